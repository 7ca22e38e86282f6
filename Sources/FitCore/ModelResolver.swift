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
        for prefix in [
            "https://huggingface.co/", "huggingface.co/", "hf.co/", "https://ollama.com/library/",
            "ollama.com/library/",
            "registry.ollama.ai/library/", "library/",
        ] where k.hasPrefix(prefix) {
            k.removeFirst(prefix.count)
        }
        return k
    }

    public enum Resolution: Sendable, Equatable {
        case found(CatalogModel, quant: QuantScheme?)
        case unknown(suggestions: [String])
    }

    /// What people type, the way `ollama run`, `ollama list`, `llama-server -hf` and the Hub spell
    /// it: an exact id or alias (case-insensitive); a bare Ollama name, which means its `:latest`
    /// tag (`qwen3`, `deepseek-r1`); a name with a quant suffix (`qwen3-coder:30b-q4_K_M`,
    /// `bartowski/...-GGUF:Q4_K_M`, `hf.co/unsloth/...-GGUF:UD-Q4_K_XL`, `gemma3:27b-it-qat`),
    /// whose quant is returned; and an Ollama tag with words after the size
    /// (`llama3.1:8b-instruct`) when the model that size names carries those words in its id, so
    /// `qwen3:30b-a3b-instruct-2507` is not taken for the original Qwen3-30B-A3B.
    public func resolve(_ name: String) -> Resolution {
        let k = Self.key(name)
        if let (m, q) = lookup(k) { return .found(m, quant: q) }
        for (base, scheme) in Self.quantSuffixes(k) {
            if let (m, _) = lookup(base) { return .found(m, quant: scheme) }
        }
        return .unknown(suggestions: suggestions(for: k))
    }

    /// A name without a quant: exact, then `:latest` for a bare Ollama name, then an Ollama tag
    /// with trailing words that the model's id confirms.
    private func lookup(_ k: String) -> (CatalogModel, QuantScheme?)? {
        guard !k.isEmpty else { return nil }
        if !k.contains(":"), !k.contains("/"), let i = index[k + ":latest"] { return (models[i], nil) }
        if let i = index[k] { return (models[i], nil) }
        if k.hasSuffix(":latest"), let i = index[String(k.dropLast(7))] { return (models[i], nil) }
        guard let colon = k.lastIndex(of: ":"), !k.contains("/") else { return nil }
        let family = k[..<colon]
        let words = k[k.index(after: colon)...].split(separator: "-").map(String.init)
        guard words.count > 1 else { return nil }
        for n in stride(from: words.count - 1, through: 1, by: -1) {
            guard let i = index[family + ":" + words[..<n].joined(separator: "-")] else { continue }
            let idWords = Set(models[i].id.split(whereSeparator: { "-_.".contains($0) }).map(String.init))
            return words[n...].allSatisfy(idWords.contains) ? (models[i], nil) : nil
        }
        return nil
    }

    /// The ways a name can end in a quant, longest first: `-q4_k_m`, `:q8_0`, `_q4_0`, Ollama's
    /// `-qat` (Google's quantization-aware Q4_0) and `-fp16`, and Unsloth's dynamic quants
    /// (`UD-Q4_K_XL`), planned as the K-quant they build on.
    static func quantSuffixes(_ k: String) -> [(base: String, scheme: QuantScheme)] {
        var out: [(String, QuantScheme)] = []
        var named: [(String, QuantScheme)] = QuantScheme.allCases.map { ($0.rawValue.lowercased(), $0) }
        named += [("qat", .q4_0), ("fp16", .f16)]
        named += Self.unslothDynamic.map { ($0.key, $0.value) }
        for (q, scheme) in named {
            for sep in ["-", ":", "_", "."] where k.hasSuffix(sep + q) {
                out.append((String(k.dropLast(q.count + sep.count)), scheme))
            }
        }
        return out.sorted { $0.0.count < $1.0.count }
    }

    /// Unsloth's dynamic quants (`UD-*`): most tensors at the named K-quant, some kept higher.
    /// The file is within a few percent of that K-quant's; fit plans that quant.
    public static let unslothDynamic: [String: QuantScheme] = [
        "ud-q2_k_xl": .q2_K, "ud-q3_k_xl": .q3_K_M, "ud-q4_k_xl": .q4_K_M, "ud-q5_k_xl": .q5_K_M,
        "ud-q6_k_xl": .q6_K, "ud-q8_k_xl": .q8_0,
    ]

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
