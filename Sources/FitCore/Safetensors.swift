/// Weights of Hugging Face (safetensors) builds, for vLLM and MLX: bytes per tensor by format.
/// Facts from the formats' published layouts (FP16/BF16 16 bpw, FP8 about 8, AWQ/GPTQ 4-bit g128 about 4.16,
/// MLX affine 4-bit g64 4.5, MXFP4 4.25; embeddings and lm_head usually stay 16-bit, MLX quantizes them).
public enum SafetensorsFormat: Sendable, Equatable {
    case float(bytes: Int)  // bf16/f16: 2, f32: 4
    case fp8  // 1 byte + one f32 scale per 128x128 block
    case groupwise(bits: Int, group: Int)  // AWQ/GPTQ: f16 scale + packed zero per group
    case mlx(bits: Int, group: Int)  // affine: f16 scale and bias per group, embeddings too
    case mxfp4  // gpt-oss: routed experts in MXFP4, the rest bf16

    public var name: String {
        switch self {
        case .float(let b): b == 4 ? "F32" : "BF16/F16"
        case .fp8: "FP8"
        case .groupwise(let bits, let g): "\(bits)-bit g\(g) (AWQ/GPTQ)"
        case .mlx(let bits, let g): "MLX \(bits)-bit g\(g)"
        case .mxfp4: "MXFP4"
        }
    }

    /// The names the catalog's `builds` use, and the format each stands for (MLX's default group is
    /// 64, AWQ's and GPTQ's 128: the sizes their converters write unless told otherwise).
    public static let catalogNames: [(name: String, format: SafetensorsFormat)] = [
        ("BF16", .float(bytes: 2)), ("FP8", .fp8), ("MXFP4", .mxfp4),
        ("AWQ-4bit", .groupwise(bits: 4, group: 128)), ("GPTQ-4bit", .groupwise(bits: 4, group: 128)),
        ("GPTQ-8bit", .groupwise(bits: 8, group: 128)),
        ("MLX-3bit", .mlx(bits: 3, group: 64)), ("MLX-4bit", .mlx(bits: 4, group: 64)),
        ("MLX-6bit", .mlx(bits: 6, group: 64)), ("MLX-8bit", .mlx(bits: 8, group: 64)),
    ]

    public static func named(_ name: String) -> SafetensorsFormat? {
        catalogNames.first { $0.name.lowercased() == name.lowercased() }?.format
    }

    /// Bits per weight of one tensor in this format.
    func bits(_ t: TensorShape) -> Double {
        if t.role.staysF32 || t.rows == 1 { return 16 }  // norms and routers: bf16 in checkpoints
        let isEdge = t.role == .tokenEmbedding || t.role == .output
        switch self {
        case .float(let b): return Double(b * 8)
        case .fp8: return isEdge ? 16 : 8 + 32.0 / (128 * 128)
        case .groupwise(let bits, let g): return isEdge ? 16 : Double(bits) + (16 + Double(bits)) / Double(g)
        case .mlx(let bits, let g): return Double(bits) + 32 / Double(g)
        case .mxfp4: return t.role.isRoutedExpert ? 4.25 : 16
        }
    }
}

extension WeightLayout {
    /// Weights of a safetensors build laid out like the GGUF one (per layer, embeddings, output).
    public init(architecture a: ModelArchitecture, format: SafetensorsFormat) {
        var perLayer = [Int64](repeating: 0, count: a.layers)
        var experts = [Int64](repeating: 0, count: a.layers)
        var embd: Int64 = 0
        var output: Int64 = 0
        var other: Int64 = 0
        var file: Int64 = 0
        for t in TensorLayout(a).tensors {
            let bytes = Int64((Double(t.elements) * format.bits(t) / 8).rounded(.up))
            file += bytes
            if let l = t.layer {
                perLayer[l] += bytes
                if t.role.isRoutedExpert { experts[l] += bytes }
            } else if t.role == .tokenEmbedding {
                embd = bytes
            } else if t.role == .output {
                output = bytes
            } else {
                other += bytes
            }
        }
        self.init(
            perLayer: perLayer, perLayerExperts: experts, tokenEmbedding: embd,
            outputLayer: (a.tiedEmbeddings ? embd : output) + other, fileTensorBytes: file)
    }
}
