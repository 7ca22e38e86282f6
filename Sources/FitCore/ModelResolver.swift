/// Resolves what people type (catalog id, Hugging Face repo id, Ollama tag, GGUF repo) to a model.
public struct ModelResolver: Sendable {
    public let models: [CatalogModel]
    private let index: [String: Int]

    public init(models: [CatalogModel]) {
        self.models = models
        var index: [String: Int] = [:]
        for (i, m) in models.enumerated() {
            for name in [m.id] + m.aliases { index[Self.key(name)] = index[Self.key(name)] ?? i }
        }
        self.index = index
    }

    static func key(_ s: String) -> String {
        var k = s.lowercased()
        if k.hasPrefix("hf.co/") { k.removeFirst(6) }
        if k.hasPrefix("https://huggingface.co/") { k.removeFirst(23) }
        return k
    }

    public enum Resolution: Sendable, Equatable {
        case found(CatalogModel, quant: QuantScheme?)
        case unknown(suggestions: [String])
    }

    /// Exact id or alias (case-insensitive); an Ollama tag or GGUF name may carry a quant suffix
    /// (`qwen3-coder:30b-q4_K_M`, `bartowski/...-GGUF:Q4_K_M`), which is returned as the quant.
    public func resolve(_ name: String) -> Resolution {
        let k = Self.key(name)
        if let i = index[k] { return .found(models[i], quant: nil) }
        // Strip a trailing quant: "-q4_k_m", ":q4_k_m", "-gguf:q8_0"
        for scheme in QuantScheme.allCases {
            let q = scheme.rawValue.lowercased()
            for sep in ["-", ":", "_"] where k.hasSuffix(sep + q) {
                let base = String(k.dropLast(q.count + sep.count))
                if let i = index[base] { return .found(models[i], quant: scheme) }
            }
        }
        return .unknown(suggestions: suggestions(for: k))
    }

    /// The closest ids, by edit distance to the id or any alias; a name that contains what was
    /// typed (or is contained in it) counts half.
    public func suggestions(for name: String, limit: Int = 3) -> [String] {
        let k = Self.key(name)
        var scored: [(String, Int)] = []
        for m in models {
            var best = Int.max
            for candidate in [m.id] + m.aliases {
                let c = Self.key(candidate)
                let d = Self.distance(k, c)
                best = min(best, c.contains(k) || k.contains(c) ? d / 2 : d)
            }
            scored.append((m.id, best))
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(limit).map(\.0)
    }

    /// Levenshtein distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
