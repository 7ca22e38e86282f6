/// Compares fit's per-buffer predictions with what llama.cpp allocated (Reports/validation/).
public struct ValidationCase: Codable, Sendable {
    public var name: String
    public var model: String
    public var file: String
    public var quant: String
    public var architecture: ModelArchitecture
    public var tensorBytes: Int64
    public var context: Int
    public var flashAttention: Bool
    public var kvType: String
    public var ubatch: Int
    public var slots: Int
    public var llamaCpp: Measured
    /// Whether llama.cpp ran with weight repacking (measure.py turns it off for big models).
    public var repack: Bool?
    /// Bytes of the file's tensors by ggml type.
    public var bytesByType: [String: Int64]?
    /// "alloc" (a real load) or "dry-run" (llama-fit-params).
    public var method: String?

    public struct Measured: Codable, Sendable {
        public var modelMiB: Double
        public var kvMiB: Double
        public var recurrentMiB: Double?
        public var computeMiB: Double
        public var outputMiB: Double
        public var repackMiB: Double?
    }
}

public struct ValidationFile: Codable, Sendable {
    public struct Version: Codable, Sendable {
        public var version: String
        public var commit: String?
        public var source: String?
    }
    public var llamaCpp: Version
    public var cases: [ValidationCase]
}

public struct BufferError: Sendable, Equatable {
    public var buffer: String
    public var predicted: Double  // MiB
    public var measured: Double  // MiB
    public var errorMiB: Double { predicted - measured }
    public var errorPercent: Double {
        measured == 0 ? (predicted == 0 ? 0 : 100) : (predicted - measured) / measured * 100
    }
    /// The target: within 1% or 2 MiB.
    public var withinTarget: Bool { abs(errorMiB) <= 2 || abs(errorPercent) <= 1 }
}

public enum MemoryValidation {
    /// fit's prediction for one case, on a CPU-only machine (llama.cpp ran with -ngl 0).
    public static func compare(_ c: ValidationCase) -> [BufferError] {
        let mib = 1_048_576.0
        var a = c.architecture
        a.contextLength = max(a.contextLength, c.context)
        // Weights: llama.cpp's recipe when the file is a named mix (that is what is validated),
        // else the file's own tensor table.
        let scheme = QuantScheme.named(c.quant)
        let weights =
            scheme.map { WeightLayout(architecture: a, scheme: $0) }
            ?? WeightLayout(architecture: a, scheme: .f16).scaled(toFileBytes: c.tensorBytes)
        let planner = MemoryPlanner(architecture: a, weights: weights, memo: nil)
        // CPU_REPACK copies when llama.cpp repacked: from the recipe for a named mix, else every
        // repackable type in the file.
        var repack: Int64 = 0
        if c.repack == true {
            if scheme != nil {
                repack = weights.perLayerRepack.reduce(0, +) + weights.outputRepack
            } else {
                repack = (c.bytesByType ?? [:]).filter {
                    GGMLType(rawValue: $0.key).map(WeightLayout.avx2RepackTypes.contains) ?? false
                }.values.reduce(0, +)
            }
        }
        let kv = KVCacheType(rawValue: c.kvType) ?? .f16
        let o = PlanOptions(
            context: TokenCount(c.context), kvType: kv, flashAttention: c.flashAttention, ubatch: c.ubatch,
            slots: c.slots)
        let kvBytes = (0..<a.layers).reduce(Int64(0)) { $0 + planner.kvBytes(layer: $1, o) }
        let rs = (0..<a.layers).reduce(Int64(0)) { $0 + planner.recurrentBytes(layer: $1, o) }
        var rows = [
            // measured on an x86 CPU with AVX2: the mapped file plus the CPU_REPACK copies
            BufferError(
                buffer: "model", predicted: Double(weights.fileTensorBytes + repack) / mib,
                measured: c.llamaCpp.modelMiB + (c.llamaCpp.repackMiB ?? 0)),
            BufferError(buffer: "kv", predicted: Double(kvBytes) / mib, measured: c.llamaCpp.kvMiB),
            BufferError(
                buffer: "compute", predicted: Double(planner.computeBytes(o)) / mib, measured: c.llamaCpp.computeMiB),
            BufferError(
                buffer: "output", predicted: Double(planner.outputBytes(o)) / mib, measured: c.llamaCpp.outputMiB),
        ]
        if rs > 0 || (c.llamaCpp.recurrentMiB ?? 0) > 0 {
            rows.append(
                BufferError(buffer: "recurrent", predicted: Double(rs) / mib, measured: c.llamaCpp.recurrentMiB ?? 0))
        }
        let total = rows.reduce(into: (0.0, 0.0)) {
            $0.0 += $1.predicted
            $0.1 += $1.measured
        }
        rows.append(BufferError(buffer: "total", predicted: total.0, measured: total.1))
        return rows
    }
}

/// The formula of the most popular tool (llmfit): parameters x bytes per
/// parameter for the quant (Q4_K_M 0.58, Q8_0 1.05) + a full-attention KV cache (sliding
/// window, MLA and hybrid layers treated as full attention) + 0.5 GB. Nil where it has no factor.
public enum LlmfitFormula {
    public static func estimateMiB(_ c: ValidationCase) -> Double? {
        let perParam: Double
        switch c.quant {
        case "Q4_K_M": perParam = 0.58
        case "Q8_0": perParam = 1.05
        default: return nil
        }
        let a = c.architecture
        let kvType = KVCacheType(rawValue: c.kvType) ?? .f16
        let perToken = Double(kvType.bytes(elements: Int64(a.kvHeads * (a.headDim + a.vHeadDim))))
        let kv = Double(a.layers) * Double(c.context) * perToken
        return (Double(a.parameterCount) * perParam + kv + 0.5e9) / 1_048_576
    }
}
