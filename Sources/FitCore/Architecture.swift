/// Model architecture facts, as the catalog records them (from config.json / GGUF metadata).
public struct ModelArchitecture: Codable, Sendable, Hashable {
    public var layers: Int
    public var hiddenSize: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var valueHeadDim: Int?
    public var ffnSize: Int
    public var vocabSize: Int
    public var contextLength: Int
    public var tiedEmbeddings: Bool
    public var slidingWindow: SlidingWindow?
    public var moe: MixtureOfExperts?
    public var mla: LatentAttention?
    public var linearAttention: LinearAttention?
    /// Learned per-head attention sinks (gpt-oss).
    public var attentionSinks: Bool?
    /// False for a two-matrix FFN (up, down: StarCoder2, GPT-2 style); gated (gate, up, down) otherwise.
    public var gatedFFN: Bool?
    /// Multi-token-prediction (NextN) layers the checkpoint carries beyond `layers`. llama.cpp
    /// loads them only for MTP speculative decoding: plans leave them out.
    public var mtpLayers: Int?

    public init(
        layers: Int, hiddenSize: Int, heads: Int, kvHeads: Int, headDim: Int, valueHeadDim: Int? = nil,
        ffnSize: Int, vocabSize: Int, contextLength: Int, tiedEmbeddings: Bool,
        slidingWindow: SlidingWindow? = nil, moe: MixtureOfExperts? = nil, mla: LatentAttention? = nil,
        linearAttention: LinearAttention? = nil
    ) {
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.valueHeadDim = valueHeadDim
        self.ffnSize = ffnSize
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.tiedEmbeddings = tiedEmbeddings
        self.slidingWindow = slidingWindow
        self.moe = moe
        self.mla = mla
        self.linearAttention = linearAttention
    }

    public var vHeadDim: Int { valueHeadDim ?? headDim }

    /// Interleaved local (sliding-window) and global attention.
    public struct SlidingWindow: Codable, Sendable, Hashable {
        public var window: Int
        /// Every Nth layer (1-based) uses global attention; the others use the window.
        public var globalEvery: Int
        /// Global layers with their own attention shape (Gemma 4: 4 KV heads of 512 where the
        /// sliding layers have 16 of 256); nil: the model's `kvHeads` and `headDim`.
        public var globalKvHeads: Int?
        public var globalHeadDim: Int?
        /// Global layers without a value projection: K is reused as V (Gemma 4 `attention_k_eq_v`).
        /// llama.cpp still caches V for them.
        public var globalSharedKV: Bool?
        public init(
            window: Int, globalEvery: Int, globalKvHeads: Int? = nil, globalHeadDim: Int? = nil,
            globalSharedKV: Bool? = nil
        ) {
            self.window = window
            self.globalEvery = globalEvery
            self.globalKvHeads = globalKvHeads
            self.globalHeadDim = globalHeadDim
            self.globalSharedKV = globalSharedKV
        }
    }

    /// KV heads of layer `i` (Gemma 4's global layers have fewer).
    public func kvHeads(layer i: Int) -> Int {
        if let g = slidingWindow?.globalKvHeads, kind(ofLayer: i) == .global { return g }
        return kvHeads
    }
    /// Key head size of layer `i`.
    public func headDim(layer i: Int) -> Int {
        if let g = slidingWindow?.globalHeadDim, kind(ofLayer: i) == .global { return g }
        return headDim
    }
    /// Value head size of layer `i` (a global head size applies to both).
    public func vHeadDim(layer i: Int) -> Int {
        if let g = slidingWindow?.globalHeadDim, kind(ofLayer: i) == .global { return g }
        return vHeadDim
    }
    /// The widest V row of any attention layer (kv heads x value head size).
    public var widestValueRow: Int {
        (0..<layers).filter { kind(ofLayer: $0) != .linear }.map { kvHeads(layer: $0) * vHeadDim(layer: $0) }.max()
            ?? kvHeads * vHeadDim
    }

    /// Whether layer `i` has its own value projection.
    public func hasValueProjection(layer i: Int) -> Bool {
        !(slidingWindow?.globalSharedKV == true && kind(ofLayer: i) == .global)
    }

    public struct MixtureOfExperts: Codable, Sendable, Hashable {
        public var experts: Int
        public var activeExperts: Int
        public var expertFfnSize: Int
        public var sharedExperts: Int?
        public var sharedExpertFfnSize: Int?
        public var leadingDenseLayers: Int?
        /// How the router scores experts: nil or softmax (Mixtral, Qwen3), or a sigmoid with a
        /// per-expert selection bias (DeepSeek V3, GLM-4.5: GGUF `expert_gating_func` 2).
        public var routing: Routing?
        public enum Routing: String, Codable, Sendable { case softmax, sigmoid }
        /// Whether the chosen experts' weights are divided by their sum (config.json `norm_topk_prob`,
        /// GGUF `expert_weights_norm`); nil: they are. DeepSeek-V2 does not normalize.
        public var normalizedWeights: Bool?
        /// A factor on the chosen experts' weights (config.json `routed_scaling_factor`, GGUF
        /// `expert_weights_scale`); nil: 1. DeepSeek V3 uses 2.5.
        public var weightsScale: Double?
        public init(
            experts: Int, activeExperts: Int, expertFfnSize: Int, sharedExperts: Int? = nil,
            sharedExpertFfnSize: Int? = nil, leadingDenseLayers: Int? = nil
        ) {
            self.experts = experts
            self.activeExperts = activeExperts
            self.expertFfnSize = expertFfnSize
            self.sharedExperts = sharedExperts
            self.sharedExpertFfnSize = sharedExpertFfnSize
            self.leadingDenseLayers = leadingDenseLayers
        }
        /// Total FFN width of the shared expert(s): count x (their own width, else the routed width).
        var sharedWidth: Int { (sharedExperts ?? 0) * (sharedExpertFfnSize ?? expertFfnSize) }
    }

    /// Multi-head latent attention (DeepSeek V2/V3, Kimi K2).
    public struct LatentAttention: Codable, Sendable, Hashable {
        public var qLoraRank: Int
        public var kvLoraRank: Int
        public var qkNopeHeadDim: Int
        public var qkRopeHeadDim: Int
        public var vHeadDim: Int
        public init(qLoraRank: Int, kvLoraRank: Int, qkNopeHeadDim: Int, qkRopeHeadDim: Int, vHeadDim: Int) {
            self.qLoraRank = qLoraRank
            self.kvLoraRank = kvLoraRank
            self.qkNopeHeadDim = qkNopeHeadDim
            self.qkRopeHeadDim = qkRopeHeadDim
            self.vHeadDim = vHeadDim
        }
    }

    /// Gated DeltaNet (linear attention) layers interleaved with full attention (Qwen3-Next, Qwen3.5).
    public struct LinearAttention: Codable, Sendable, Hashable {
        public var fullAttentionEvery: Int
        public var keyHeads: Int
        public var valueHeads: Int
        public var keyHeadDim: Int
        public var valueHeadDim: Int
        public var convKernel: Int
        public init(
            fullAttentionEvery: Int, keyHeads: Int, valueHeads: Int, keyHeadDim: Int, valueHeadDim: Int, convKernel: Int
        ) {
            self.fullAttentionEvery = fullAttentionEvery
            self.keyHeads = keyHeads
            self.valueHeads = valueHeads
            self.keyHeadDim = keyHeadDim
            self.valueHeadDim = valueHeadDim
            self.convKernel = convKernel
        }
        /// Channels of the short convolution: q, k and v.
        var convChannels: Int { 2 * keyHeads * keyHeadDim + valueHeads * valueHeadDim }
        /// Fixed f32 state per sequence for one layer: conv state plus the delta-rule state.
        public var stateBytesPerLayer: Int64 {
            Int64(convKernel - 1) * Int64(convChannels) * 4 + Int64(valueHeads) * Int64(keyHeadDim)
                * Int64(valueHeadDim) * 4
        }
    }

    public enum LayerKind: Sendable, Equatable { case global, local, linear }

    public func kind(ofLayer i: Int) -> LayerKind {
        if let la = linearAttention, la.fullAttentionEvery > 0, (i + 1) % la.fullAttentionEvery != 0 { return .linear }
        if let sw = slidingWindow, sw.globalEvery > 0, (i + 1) % sw.globalEvery != 0 { return .local }
        return .global
    }

    public func isMoE(layer i: Int) -> Bool {
        guard let moe else { return false }
        return i >= (moe.leadingDenseLayers ?? 0)
    }

    /// Total parameters, counted from the tensor layout.
    public var parameterCount: Int64 { Self.parameters(TensorLayout(self).tensors) }

    /// Parameters read per token: routed experts count only for the active ones.
    public var activeParameterCount: Int64 { activeParameters(TensorLayout(self).tensors) }

    public static func parameters(_ tensors: [TensorShape]) -> Int64 { tensors.reduce(0) { $0 + $1.elements } }

    public func activeParameters(_ tensors: [TensorShape]) -> Int64 {
        tensors.reduce(0) { sum, t in
            if t.role.isRoutedExpert, let moe {
                return sum + t.elements / Int64(moe.experts) * Int64(moe.activeExperts)
            }
            if t.role == .tokenEmbedding { return sum }  // a row lookup, not a matmul
            return sum + t.elements
        }
    }
}

/// What a tensor does; the quant recipe keys on it.
public enum TensorRole: String, Sendable, Equatable {
    case tokenEmbedding, output, norm
    case attnQ, attnK, attnV, attnOutput
    case mlaQA, mlaQB, mlaKVA, mlaKVB
    case linearIn, linearOut, linearSmall
    case ffnGate, ffnUp, ffnDown
    case router
    case expertsGate, expertsUp, expertsDown
    case sharedGate, sharedUp, sharedDown

    var isRoutedExpert: Bool { self == .expertsGate || self == .expertsUp || self == .expertsDown }
    var isFFNDown: Bool { self == .ffnDown || self == .expertsDown || self == .sharedDown }
    /// Tensors llama-quant never quantizes: 1-D norms, MoE routers, convolution and gating vectors.
    var staysF32: Bool { self == .norm || self == .router || self == .linearSmall }
}

/// One tensor: `rowWidth` is ne[0] (the dimension blocks run along), `rows` the product of the rest.
public struct TensorShape: Sendable, Equatable {
    public var role: TensorRole
    public var layer: Int?
    public var rowWidth: Int
    public var rows: Int64
    public var elements: Int64 { Int64(rowWidth) * rows }
}

/// The tensors of a GGUF model of this architecture, in llama.cpp's layout.
public struct TensorLayout: Sendable {
    public let tensors: [TensorShape]

    public init(_ a: ModelArchitecture) {
        var t: [TensorShape] = []
        let h = a.hiddenSize
        func add(_ role: TensorRole, _ layer: Int?, _ width: Int, _ rows: Int) {
            guard width > 0, rows > 0 else { return }
            t.append(TensorShape(role: role, layer: layer, rowWidth: width, rows: Int64(rows)))
        }
        add(.tokenEmbedding, nil, h, a.vocabSize)
        for i in 0..<a.layers {
            add(.norm, i, h, 1)  // attention norm
            add(.norm, i, h, 1)  // ffn norm
            switch (a.kind(ofLayer: i), a.linearAttention) {
            case (.linear, let la?):
                let qkvz = 2 * la.keyHeads * la.keyHeadDim + 2 * la.valueHeads * la.valueHeadDim
                add(.linearIn, i, h, qkvz)
                add(.linearIn, i, h, 2 * la.valueHeads)  // beta, alpha
                add(.linearSmall, i, la.convKernel, la.convChannels)
                add(.linearSmall, i, la.valueHeads, 2)  // A, dt bias
                add(.norm, i, la.valueHeadDim, 1)
                add(.linearOut, i, la.valueHeads * la.valueHeadDim, h)
            default:
                if let m = a.mla {
                    let qDim = a.heads * (m.qkNopeHeadDim + m.qkRopeHeadDim)
                    if m.qLoraRank > 0 {
                        add(.mlaQA, i, h, m.qLoraRank)
                        add(.norm, i, m.qLoraRank, 1)
                        add(.mlaQB, i, m.qLoraRank, qDim)
                    } else {
                        add(.attnQ, i, h, qDim)
                    }
                    add(.mlaKVA, i, h, m.kvLoraRank + m.qkRopeHeadDim)
                    add(.norm, i, m.kvLoraRank, 1)
                    add(.mlaKVB, i, m.kvLoraRank, a.heads * (m.qkNopeHeadDim + m.vHeadDim))
                    add(.attnOutput, i, a.heads * m.vHeadDim, h)
                } else {
                    let kv = a.kvHeads(layer: i)
                    let d = a.headDim(layer: i)
                    let dv = a.vHeadDim(layer: i)
                    add(.attnQ, i, h, a.heads * d)
                    add(.attnK, i, h, kv * d)
                    if a.hasValueProjection(layer: i) { add(.attnV, i, h, kv * dv) }
                    add(.attnOutput, i, a.heads * dv, h)
                }
            }
            if a.isMoE(layer: i), let moe = a.moe {
                add(.router, i, h, moe.experts)
                add(.expertsGate, i, h, moe.expertFfnSize * moe.experts)
                add(.expertsUp, i, h, moe.expertFfnSize * moe.experts)
                add(.expertsDown, i, moe.expertFfnSize, h * moe.experts)
                let shared = moe.sharedWidth
                if shared > 0 {
                    add(.sharedGate, i, h, shared)
                    add(.sharedUp, i, h, shared)
                    add(.sharedDown, i, shared, h)
                }
            } else {
                if a.gatedFFN != false { add(.ffnGate, i, h, a.ffnSize) }
                add(.ffnUp, i, h, a.ffnSize)
                add(.ffnDown, i, a.ffnSize, h)
            }
        }
        add(.norm, nil, h, 1)  // output norm
        if !a.tiedEmbeddings { add(.output, nil, h, a.vocabSize) }
        tensors = t
    }
}
