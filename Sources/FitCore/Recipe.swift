/// llama.cpp's per-tensor quantization recipe (src/llama-quant.cpp, `llama_tensor_get_type`), for
/// the named mixes `fit` knows. Facts from llama.cpp's `src/llama-quant.cpp` (b11312); the code here is our own.
struct QuantRecipe {
    let scheme: QuantScheme
    let architecture: ModelArchitecture
    /// Number of attn_v tensors (attention layers without MLA or linear attention).
    let attentionVCount: Int
    /// llama.cpp bumps attn_v of its "70B" model type (80 layers, 8192 wide).
    let is70BClass: Bool
    let expertCount: Int

    init(scheme: QuantScheme, architecture a: ModelArchitecture) {
        self.scheme = scheme
        self.architecture = a
        attentionVCount = a.mla != nil ? 0 : (0..<a.layers).filter { a.kind(ofLayer: $0) != .linear }.count
        is70BClass = a.layers == 80 && a.hiddenSize == 8192
        expertCount = a.moe?.experts ?? 0
    }

    /// llama.cpp's `use_more_bits`: first and last eighth, and every third layer between.
    static func moreBits(_ i: Int, _ n: Int) -> Bool {
        i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
    }

    /// The type of one tensor. `attentionVIndex` counts attn_v tensors seen before this one.
    func type(of t: TensorShape, attentionVIndex: Int) -> GGMLType {
        var type = chosenType(of: t, attentionVIndex: attentionVIndex)
        // Rows that are not a multiple of the block fall back (llama-quant.cpp, convert_incompatible_tensor).
        if t.rowWidth % type.block.elements != 0 {
            type = type.fallbackForIncompatibleRows
            if t.rowWidth % type.block.elements != 0 { type = .f16 }
        }
        return type
    }

    private func chosenType(of t: TensorShape, attentionVIndex: Int) -> GGMLType {
        if t.role.staysF32 || t.rows == 1 { return .f32 }
        if scheme.isFloat { return scheme.baseType }
        if scheme == .mxfp4 { return t.role.isRoutedExpert ? .mxfp4 : .q8_0 }
        let base = scheme.baseType
        let n = architecture.layers
        let i = t.layer ?? 0
        let isOutput = t.role == .output || (t.role == .tokenEmbedding && architecture.tiedEmbeddings)
        if isOutput { return base == .q8_0 ? .q8_0 : .q6_K }
        switch t.role {
        case .attnV:
            var type = base
            switch scheme {
            case .q2_K: type = architecture.heads / max(architecture.kvHeads, 1) >= 4 ? .q4_K : .q3_K
            case .q3_K_M: type = attentionVIndex < 2 ? .q5_K : .q4_K
            case .q3_K_L: type = .q5_K
            case .iq4_NL, .iq4_XS: if architecture.heads / max(architecture.kvHeads, 1) >= 4 { type = .q5_K }
            case .q4_K_M, .q5_K_M: if Self.moreBits(attentionVIndex, attentionVCount) { type = .q6_K }
            case .q4_K_S: if attentionVIndex < 4 { type = .q5_K }
            default: break
            }
            if is70BClass, type == .q3_K || type == .q4_K { type = .q5_K }
            if expertCount == 8 { type = .q8_0 }
            return type
        case .attnK:
            return expertCount == 8 ? .q8_0 : base
        case .attnOutput:
            if expertCount == 8 {
                switch scheme {
                case .q2_K, .q3_K_S, .q3_K_M, .iq4_NL, .q4_K_S, .q4_K_M, .iq4_XS: return .q5_K
                default: return base
                }
            }
            switch scheme {
            case .q2_K: return .q3_K
            case .q3_K_M: return .q4_K
            case .q3_K_L: return .q5_K
            default: return base
            }
        case .ffnDown, .expertsDown, .sharedDown:
            switch scheme {
            case .q2_K: return .q3_K
            case .q3_K_M: return i < n / 16 ? .q5_K : .q4_K
            case .q3_K_L: return .q5_K
            case .q4_K_M, .q5_K_M: return Self.moreBits(i, n) ? .q6_K : base
            case .q4_K_S: return i < n / 8 ? .q5_K : base
            case .iq4_NL, .iq4_XS: return i < n / 8 ? .q5_K : base
            default: return base
            }
        default:
            return base
        }
    }
}

/// The bytes of a quantized model, per layer and for the parts outside the layers.
public struct WeightLayout: Sendable, Equatable {
    /// Bytes of each repeating layer (attention, FFN, norms, experts).
    public var perLayer: [Int64]
    /// Of which routed experts (what `--cpu-moe` moves to the CPU).
    public var perLayerExperts: [Int64]
    /// `token_embd`: always in host RAM (mmap'd), never offloaded.
    public var tokenEmbedding: Int64
    /// The output layer: the `output` matrix and the final norm. For tied embeddings, the copy of
    /// `token_embd` that llama.cpp puts on the GPU when the output layer is offloaded.
    public var outputLayer: Int64
    /// Bytes of all tensors in the file (a tied output matrix is stored once).
    public var fileTensorBytes: Int64
    /// Bytes llama.cpp's CPU backend copies into CPU_REPACK when these weights run on an x86 CPU
    /// with AVX2 (Q4_0, Q4_K, IQ4_NL and MXFP4 matrices with ne[1] % 8 == 0): per layer, and for
    /// the output layer. The mmap'd file stays, so the copy is extra RAM.
    public var perLayerRepack: [Int64] = []
    public var outputRepack: Int64 = 0

    /// ggml-cpu repack.cpp on AVX2 (llama.cpp b11312): the types it repacks for matrix multiplies.
    public static let avx2RepackTypes: Set<GGMLType> = [.q4_0, .q4_K, .iq4_NL, .mxfp4]

    static func repacks(_ type: GGMLType, rowsPerMatrix: Int64, role: TensorRole) -> Bool {
        guard role != .tokenEmbedding, !role.staysF32, rowsPerMatrix % 8 == 0 else { return false }
        switch type {  // a switch: a Set of String-backed enums hashes a String per lookup
        case .q4_0, .q4_K, .iq4_NL, .mxfp4: return true
        default: return false
        }
    }

    public init(
        perLayer: [Int64], perLayerExperts: [Int64], tokenEmbedding: Int64, outputLayer: Int64, fileTensorBytes: Int64
    ) {
        self.perLayer = perLayer
        self.perLayerExperts = perLayerExperts
        self.tokenEmbedding = tokenEmbedding
        self.outputLayer = outputLayer
        self.fileTensorBytes = fileTensorBytes
    }

    public init(architecture a: ModelArchitecture, scheme: QuantScheme) {
        self.init(architecture: a, scheme: scheme, tensors: TensorLayout(a).tensors)
    }

    /// The same, reusing a tensor layout already built for this architecture.
    public init(architecture a: ModelArchitecture, scheme: QuantScheme, tensors: [TensorShape]) {
        let recipe = QuantRecipe(scheme: scheme, architecture: a)
        var perLayer = [Int64](repeating: 0, count: a.layers)
        var experts = [Int64](repeating: 0, count: a.layers)
        var embd: Int64 = 0
        var output: Int64 = 0
        var outputNorm: Int64 = 0
        var file: Int64 = 0
        var vIndex = 0
        var repack = [Int64](repeating: 0, count: a.layers)
        var outRepack: Int64 = 0
        for t in tensors {
            let type = recipe.type(of: t, attentionVIndex: vIndex)
            if t.role == .attnV { vIndex += 1 }
            let bytes = t.rows * type.bytes(elements: Int64(t.rowWidth))
            file += bytes
            let matrices = t.role.isRoutedExpert ? Int64(a.moe?.experts ?? 1) : 1
            let repacked = Self.repacks(type, rowsPerMatrix: t.rows / matrices, role: t.role) ? bytes : 0
            if let l = t.layer {
                perLayer[l] += bytes
                repack[l] += repacked
                if t.role.isRoutedExpert { experts[l] += bytes }
            } else if t.role == .tokenEmbedding {
                embd = bytes
                // a tied output multiplies with (a copy of) token_embd at the output type
                if a.tiedEmbeddings, Self.repacks(type, rowsPerMatrix: t.rows, role: .output) { outRepack += bytes }
            } else if t.role == .output {
                output = bytes
                outRepack += repacked
            } else {
                outputNorm += bytes
            }
        }
        self.perLayerRepack = repack
        self.outputRepack = outRepack
        self.perLayer = perLayer
        self.perLayerExperts = experts
        self.tokenEmbedding = embd
        self.outputLayer = (a.tiedEmbeddings ? embd : output) + outputNorm
        self.fileTensorBytes = file
    }

    /// Scales every part so the file total matches a published size (the file is the truth when
    /// known: publishers' mixes differ from the recipe, and metadata rides along in RAM).
    public func scaled(toFileBytes target: Int64) -> WeightLayout {
        guard fileTensorBytes > 0, target > 0 else { return self }
        let f = Double(target) / Double(fileTensorBytes)
        func s(_ x: Int64) -> Int64 { Int64((Double(x) * f).rounded()) }
        var copy = self
        copy.perLayer = perLayer.map(s)
        copy.perLayerExperts = perLayerExperts.map(s)
        copy.tokenEmbedding = s(tokenEmbedding)
        copy.outputLayer = s(outputLayer)
        copy.perLayerRepack = perLayerRepack.map(s)
        copy.outputRepack = s(outputRepack)
        copy.fileTensorBytes = target
        return copy
    }
}
