/// llama.cpp's worst-case prompt graph (n_tokens = ubatch, every token an output), built op by op
/// as llama-graph.cpp and src/models/*.cpp build it (b11312), for the allocator in `ComputeGraph`.
/// Only what decides memory is kept: shapes, types, strides, sources and the order of expansion.
/// Architectures without a builder here return nil and keep the closed-form estimate.
public struct LlamaGraph {
    let a: ModelArchitecture
    let o: PlanOptions
    let nTokens: Int64
    var g = ComputeGraph()
    /// Layers built (the last one is the model's last: it gathers the output rows).
    var nLayers = 0

    /// Which of llama.cpp's model graphs (src/models/*.cpp) the architecture runs.
    enum Family {
        /// llama, qwen2/3, mistral (dense GQA); qwen3moe, glm4moe (routed experts); deepseek2 (MLA)
        case llama
        /// openai-moe: sliding-window pairs, attention sinks, biases, SwiGLU-OAI experts (gpt-oss)
        case gptOSS
        /// gemma4 (dense): sliding-window layers and global layers of their own shape, Q/K/V norms,
        /// post-norms, GeGLU
        case gemma4
        /// qwen3next: Gated DeltaNet layers (fused kernel) with every Nth a gated full attention;
        /// routed experts plus a sigmoid-gated shared expert
        case qwen3Next
    }

    /// One KV cache's graph inputs: llama.cpp keeps a second cache for sliding-window layers.
    struct Cache {
        var cells: Int64
        var kIdxs = 0, vIdxs = 0, mask = 0
        var kRot: Int?, vRot: Int?
    }

    // inputs shared by every layer
    private var pos = 0, outIds = 0
    private var base = Cache(cells: 0), swa: Cache?

    /// The graph for `architecture` at `options`, or nil when no builder covers it yet.
    ///
    /// `cells`: the full-attention cache's (the window cache's follow from the options).
    /// `repeatingLayers`: how many of the identical middle layers to build (at least one period of
    /// the layer pattern, plus what keeps the count's residue). After a few layers the allocator
    /// cycles, so a few stand for any number and the buffer size is the same
    /// (`GraphTruncationTests` checks this on every catalog model a builder covers); nil builds
    /// them all. `named`: give tensors llama.cpp's names, for traces.
    public static func build(
        _ architecture: ModelArchitecture, _ options: PlanOptions, cells: Int,
        repeatingLayers: Int? = 2, named: Bool = false
    ) -> ComputeGraph? {
        guard let family = family(of: architecture) else { return nil }
        var b = LlamaGraph(a: architecture, o: options, nTokens: Int64(min(options.context.count, options.ubatch)))
        b.g.named = named
        b.base.cells = Int64(cells)
        if let w = architecture.slidingWindow {
            // llama-kv-cache-iswa.cpp: the window cache holds window x slots + ubatch cells, padded to 256
            let local =
                options.swaFull ? cells : min(cells, (w.window * options.slots + options.ubatch + 255) / 256 * 256)
            b.swa = Cache(cells: Int64(local))
        }
        let lead = architecture.moe?.leadingDenseLayers ?? 0
        // The middle layers settle into a cycle of period 2 (a ping-pong of two blocks); with a
        // sliding-window pattern, of the pattern's length too. Keep the middle count's residue
        // modulo that period, so the last built layer is of the last layer's kind and the allocator
        // reaches it in the same state.
        let pattern = architecture.slidingWindow?.globalEvery ?? architecture.linearAttention?.fullAttentionEvery ?? 1
        let period = pattern % 2 == 0 ? pattern : 2 * pattern
        let middle = architecture.layers - lead - 1
        b.nLayers =
            repeatingLayers.map { r0 in
                let r = max(r0, period)
                return middle <= r ? architecture.layers : lead + r + (middle - r) % period + 1
            } ?? architecture.layers
        switch family {
        case .llama: b.buildLlama()
        case .gptOSS: b.buildGptOSS()
        case .gemma4: b.buildGemma4()
        case .qwen3Next: b.buildQwen3Next()
        }
        return b.g
    }

    static func family(of a: ModelArchitecture) -> Family? {
        guard a.gatedFFN != false else { return nil }
        if a.linearAttention != nil {
            guard a.slidingWindow == nil, a.mla == nil, a.attentionSinks != true, let m = a.moe, m.sharedWidth > 0,
                m.leadingDenseLayers ?? 0 == 0, m.routing != .sigmoid
            else { return nil }
            return .qwen3Next
        }
        if a.mla != nil {
            guard a.slidingWindow == nil, a.attentionSinks != true, a.moe != nil else { return nil }
            return .llama
        }
        if a.attentionSinks == true {
            guard let w = a.slidingWindow, w.globalEvery == 2, w.globalHeadDim == nil, w.globalKvHeads == nil,
                let m = a.moe, m.sharedExperts ?? 0 == 0, m.leadingDenseLayers ?? 0 == 0
            else { return nil }
            return .gptOSS
        }
        if let w = a.slidingWindow, w.globalHeadDim != nil {
            // Gemma 4's MoE variant (a dense FFN beside the experts) has no builder yet
            return a.moe == nil ? .gemma4 : nil
        }
        guard a.slidingWindow == nil else { return nil }
        // routed experts picked by a sigmoid with a selection bias (DeepSeek V3, GLM-4.5) or a softmax
        if let m = a.moe, m.sharedExperts ?? 0 > 0, m.routing == nil { return nil }
        return .llama
    }

    private init(a: ModelArchitecture, o: PlanOptions, nTokens: Int64) {
        self.a = a
        self.o = o
        self.nTokens = nTokens
    }

    private var nEmbd: Int64 { Int64(a.hiddenSize) }
    private var kvType: GGMLType { o.kvType.ggml }

    /// A weight: memory of its own; its shape sets the shape of what it multiplies into.
    private mutating func w(_ name: @autoclosure () -> String, _ ne: [Int64]) -> Int { g.external(name(), .f16, ne) }

    // MARK: ggml ops (result shapes and types as ggml.c gives them)

    private mutating func mulMat(_ x: Int, _ y: Int, _ name: @autoclosure () -> String = "") -> Int {
        g.op(.mulMat, .f32, [g.ne(x, 1), g.ne(y, 1), g.ne(y, 2), g.ne(y, 3)], [x, y], name: name())
    }
    /// An op whose result is a fresh contiguous copy of `x`'s shape (ggml_dup_tensor).
    private mutating func same(
        _ op: ComputeGraph.Op, _ x: Int, _ extra: [Int] = [], _ name: @autoclosure () -> String = ""
    ) -> Int {
        g.op(op, g.type(x), [g.ne(x, 0), g.ne(x, 1), g.ne(x, 2), g.ne(x, 3)], [x] + extra, name: name())
    }
    private mutating func getRows(_ x: Int, _ ids: Int, _ name: @autoclosure () -> String = "") -> Int {
        g.op(.getRows, .f32, [g.ne(x, 0), g.ne(ids, 0), g.ne(ids, 1), g.ne(ids, 2)], [x, ids], name: name())
    }
    private mutating func cont(_ x: Int, _ ne: [Int64], _ name: @autoclosure () -> String = "") -> Int {
        g.op(.cont, g.type(x), ne, [x], name: name())
    }
    private mutating func setRows(_ dst: Int, _ src: Int, _ ids: Int) -> Int {
        let v = g.view(
            dst, [g.ne(dst, 0), g.ne(dst, 1), g.ne(dst, 2), g.ne(dst, 3)],
            nb: [g.nb(dst, 1), g.nb(dst, 2), g.nb(dst, 3)])
        return g.retarget(v, op: .setRows, src: [src, ids, dst])
    }
    private mutating func rmsNormMul(_ x: Int, _ weight: String, _ il: Int) -> Int {
        let n = same(.rmsNorm, x, [], "norm-\(il)")
        return same(.mul, n, [w(weight, [nEmbd])], il >= 0 ? "\(weight)-\(il)" : weight)
    }
    /// rms_norm then the norm weight: a fresh tensor when `x` is a view (ggml runs no op in place on one).
    private mutating func rmsNormMul(_ x: Int, width: Int64, _ name: @autoclosure () -> String) -> Int {
        same(.mul, same(.rmsNorm, x, [], "norm"), [w(name(), [width])], name())
    }

    private mutating func hadamard(_ x: Int, _ rot: Int) -> Int {
        let n = g.ne(rot, 0)
        let elements = g.ne(x, 0) * g.ne(x, 1) * g.ne(x, 2) * g.ne(x, 3)
        let flat = g.isContiguous(x) ? g.reshape(x, [n, elements / n]) : cont(x, [n, elements / n])
        let r = mulMat(rot, flat)
        return g.reshape(r, [g.ne(x, 0), g.ne(x, 1), g.ne(x, 2), g.ne(x, 3)])
    }

    // MARK: Inputs

    private mutating func inputs() -> Int {
        let tokens = g.input("inp_tokens", .i32, [nTokens])
        let inpEmbd = g.input("inp_embd", .f32, [nEmbd, nTokens])
        let embd = getRows(w("token_embd.weight", [nEmbd, Int64(a.vocabSize)]), tokens, "embd")
        g.expand(embd)
        g.expand(inpEmbd)
        pos = g.input("inp_pos", .i32, [nTokens])
        base = cacheInputs(base, layers: (0..<a.layers).filter { a.kind(ofLayer: $0) == .global })
        if let swa { self.swa = cacheInputs(swa, layers: (0..<a.layers).filter { a.kind(ofLayer: $0) == .local }) }
        outIds = g.input("out_ids", .i32, [nTokens])
        return embd
    }

    /// llama_kv_cache::build_input_k_idxs / v_idxs / kq_mask / k_rot / v_rot for one cache.
    private mutating func cacheInputs(_ c: Cache, layers: [Int]) -> Cache {
        var c = c
        c.kIdxs = g.input("attn_inp_k_idxs", .i64, [nTokens])
        c.vIdxs = g.input("attn_inp_v_idxs", .i64, o.flashAttention ? [nTokens] : [nTokens * Int64(a.widestValueRow)])
        c.mask = g.input("attn_inp_kq_mask", o.flashAttention ? .f16 : .f32, [c.cells, nTokens, 1, 1])
        // MLA's cache holds K only (the latent and the rope part), with no rotation
        if o.kvType.isQuantized, a.mla == nil {
            // Hadamard rotations for quantized caches: K's as large as a power of two dividing the
            // head size (all the cache's layers sharing one), V's 64 x 64
            let hk = Set(layers.map { a.headDim(layer: $0) })
            let hv = Set(layers.map { a.vHeadDim(layer: $0) })
            if hk.count == 1, a.headDim % 64 == 0, let h = hk.first {
                var n = 64
                repeat { n *= 2 } while h % n == 0
                c.kRot = g.input("attn_inp_k_rot", .f32, [Int64(n / 2), Int64(n / 2)])
            }
            if hv.count == 1, a.vHeadDim % 64 == 0 { c.vRot = g.input("attn_inp_v_rot", .f32, [64, 64]) }
        }
        return c
    }

    // MARK: Attention (llm_graph_context::build_attn with a KV cache, build_attn_mha)

    /// `sinks`: a per-head sink weight joins the softmax (gpt-oss); `outBias`: the output projection's.
    private mutating func attention(
        q qIn: Int, k kIn: Int, v vIn: Int, il: Int, sinks: Bool = false, outBias: Bool = false,
        project: Bool = true
    ) -> Int {
        var q = qIn
        var k = kIn
        var v = vIn
        let local = swa != nil && a.kind(ofLayer: il) == .local
        let c = local ? swa! : base
        if let r = c.kRot {
            q = hadamard(q, r)
            k = hadamard(k, r)
        }
        if let r = c.vRot { v = hadamard(v, r) }
        // the single-cache build_attn expands V before K (for rope fusion); the iswa one K first
        if swa == nil {
            g.expand(q)
            g.expand(v)
            g.expand(k)
        } else {
            g.expand(q)
            g.expand(k)
            g.expand(v)
        }
        let hd = Int64(a.headDim(layer: il))
        let hdv = Int64(a.vHeadDim(layer: il))
        let nkv = Int64(a.kvHeads(layer: il))
        let cells = c.cells
        let (kIdxs, vIdxs, mask) = (c.kIdxs, c.vIdxs, c.mask)
        let cacheK = g.external("cache_k_l\(il)", kvType, [hd * nkv, cells])
        let vRow = o.flashAttention ? hdv * nkv : Int64(a.widestValueRow)
        let cacheV = g.external("cache_v_l\(il)", kvType, [vRow, cells])
        // cpy_k
        let kView = g.view(k, [hd * nkv, nTokens], nb: [g.nb(k, 2)])
        g.expand(setRows(cacheK, kView, kIdxs))
        // cpy_v
        if o.flashAttention {
            let vView = g.view(v, [hdv * nkv, nTokens], nb: [g.nb(v, 2)])
            g.expand(setRows(cacheV, vView, vIdxs))
        } else {
            var vCur = g.isContiguous(v) ? g.reshape(v, [hdv * nkv, nTokens]) : cont(v, [hdv * nkv, nTokens])
            let cacheFlat = g.reshape(cacheV, [1, vRow * cells])
            // rows narrower than the cache's (Gemma 4's global layers) are padded to its width
            if hdv * nkv < vRow { vCur = g.op(.pad, g.type(vCur), [vRow, nTokens], [vCur]) }
            vCur = g.reshape(vCur, [1, vRow * nTokens])
            g.expand(setRows(cacheFlat, vCur, vIdxs))
        }
        // get_k / get_v
        let ts = Int64(kvType.block.bytes)
        let be = Int64(kvType.block.elements)
        let kGet = g.view(
            cacheK, [hd, nkv, cells, 1], nb: [ts * hd / be, ts * hd * nkv / be, ts * hd * nkv * cells / be])
        let vGet: Int
        if o.flashAttention {
            vGet = g.view(
                cacheV, [hdv, nkv, cells, 1], nb: [ts * hdv / be, ts * hdv * nkv / be, ts * hdv * nkv * cells / be])
        } else {
            vGet = g.view(
                cacheV, [cells, nkv, hdv, 1], nb: [ts * cells * hdv / be, ts * cells / be, ts * cells * vRow / be])
        }
        // build_attn_mha
        let qv = g.view(
            q, [g.ne(q, 0), g.ne(q, 1), g.ne(q, 2), 1], nb: [g.nb(q, 1), g.nb(q, 2), g.nb(q, 2) * g.ne(q, 2)])
        let qp = g.permute(qv, (0, 2, 1, 3))
        let kp = g.permute(kGet, (0, 2, 1, 3))
        let vp = g.permute(vGet, (0, 2, 1, 3))
        var cur: Int
        let sink = sinks ? [w("blk.\(il).attn_sinks", [Int64(a.heads)])] : []
        if o.flashAttention {
            cur = g.op(
                .flashAttn, .f32, [g.ne(vp, 0), g.ne(qp, 2), g.ne(qp, 1), g.ne(qp, 3)], [qp, kp, vp, mask] + sink)
            cur = g.reshape(cur, [g.ne(cur, 0) * g.ne(cur, 1), g.ne(cur, 2) * g.ne(cur, 3)], name: "kqv_out-\(il)")
        } else {
            var kq = mulMat(kp, qp, "kq-\(il)")
            kq = same(.softMax, kq, [mask] + sink, "kq_soft_max-\(il)")
            let kqv = mulMat(vp, kq, "kqv-\(il)")
            let p = g.permute(kqv, (0, 2, 1, 3))
            cur = cont(p, [g.ne(p, 0) * g.ne(p, 1), g.ne(p, 2) * g.ne(p, 3)], "kqv_out-\(il)")
        }
        g.expand(cur)
        if let r = c.vRot { cur = hadamard(cur, r) }
        guard project else { return cur }
        cur = mulMat(w("blk.\(il).attn_output.weight", [Int64(a.heads) * hdv, nEmbd]), cur, "attn_out-\(il)")
        return outBias ? same(.add, cur, [w("blk.\(il).attn_output.bias", [nEmbd])], "attn_out-\(il)") : cur
    }

    // MARK: MLA (deepseek2.cpp with the absorption optimisation; build_attn with a K-only cache)

    private mutating func concat(_ x: Int, _ y: Int, _ name: @autoclosure () -> String) -> Int {
        g.op(.concat, .f32, [g.ne(x, 0) + g.ne(y, 0), g.ne(x, 1), g.ne(x, 2), g.ne(x, 3)], [x, y], name: name())
    }

    private mutating func latentAttention(_ x: Int, _ m: ModelArchitecture.LatentAttention, _ il: Int) -> Int {
        let nh = Int64(a.heads)
        let nope = Int64(m.qkNopeHeadDim)
        let rope = Int64(m.qkRopeHeadDim)
        let rank = Int64(m.kvLoraRank)
        let hdv = Int64(m.vHeadDim)
        let hk = nope + rope
        var q: Int
        if m.qLoraRank > 0 {
            q = mulMat(w("wq_a\(il)", [nEmbd, Int64(m.qLoraRank)]), x, "q-\(il)")
            q = rmsNormMul(q, width: Int64(m.qLoraRank), "q-\(il)")
            q = mulMat(w("wq_b\(il)", [Int64(m.qLoraRank), hk * nh]), q, "q-\(il)")
        } else {
            q = mulMat(w("wq\(il)", [nEmbd, hk * nh]), x, "q-\(il)")
        }
        q = g.reshape(q, [hk, nh, nTokens])
        // queries: the no-rope part absorbed into the latent space, then the roped part appended
        let qNope = g.permute(g.view(q, [nope, nh, nTokens], nb: [g.nb(q, 1), g.nb(q, 2)]), (0, 2, 1, 3))
        let absorbed = g.permute(
            mulMat(w("wk_b\(il)", [nope, rank, nh]), qNope, "q_nope_absorbed-\(il)"), (0, 2, 1, 3))
        var qPe = g.view(q, [rope, nh, nTokens], nb: [g.nb(q, 1), g.nb(q, 2)])
        qPe = same(.rope, qPe, [pos], "q_pe-\(il)")
        let qCur = concat(absorbed, qPe, "Qcur-\(il)")
        // keys: the compressed latent (normed) and the roped shared key
        let kvPe = mulMat(w("wkv_a_mqa\(il)", [nEmbd, rank + rope]), x, "kv_cmpr_pe-\(il)")
        let rowBytes = g.nb(kvPe, 1)
        var kv = g.view(kvPe, [rank, nTokens], nb: [rowBytes], name: "kv_cmpr-\(il)")
        var kPe = g.view(kvPe, [rope, 1, nTokens], nb: [rowBytes, rowBytes], name: "k_pe-\(il)")
        kPe = same(.rope, kPe, [pos], "k_pe-\(il)")
        kv = rmsNormMul(kv, width: rank, "kv_cmpr-\(il)")
        let vCur = g.reshape(kv, [rank, 1, nTokens], name: "Vcur-\(il)")
        let kCur = concat(vCur, kPe, "Kcur-\(il)")
        g.expand(qCur)
        g.expand(vCur)
        g.expand(kCur)
        // cpy_k, get_k; V is the latent part of the cached K
        let cells = base.cells
        let ts = Int64(kvType.block.bytes)
        let be = Int64(kvType.block.elements)
        let width = rank + rope
        let cacheK = g.external("cache_k_l\(il)", kvType, [width, cells])
        g.expand(setRows(cacheK, g.view(kCur, [width, nTokens], nb: [g.nb(kCur, 2)]), base.kIdxs))
        let kGet = g.view(
            cacheK, [width, 1, cells, 1], nb: [ts * width / be, ts * width / be, ts * width * cells / be])
        let vGet = g.view(kGet, [rank, 1, cells, 1], nb: [g.nb(kGet, 1), g.nb(kGet, 2), g.nb(kGet, 3)])
        let qv = g.view(
            qCur, [g.ne(qCur, 0), g.ne(qCur, 1), g.ne(qCur, 2), 1],
            nb: [g.nb(qCur, 1), g.nb(qCur, 2), g.nb(qCur, 2) * g.ne(qCur, 2)])
        let qp = g.permute(qv, (0, 2, 1, 3))
        let kp = g.permute(kGet, (0, 2, 1, 3))
        let vp = g.permute(vGet, (0, 2, 1, 3))
        let vMla = w("wv_b\(il)", [rank, hdv, nh])
        var cur: Int
        if o.flashAttention {
            cur = g.op(
                .flashAttn, .f32, [g.ne(vp, 0), g.ne(qp, 2), g.ne(qp, 1), g.ne(qp, 3)], [qp, kp, vp, base.mask])
            cur = mulMat(vMla, g.permute(cur, (0, 2, 1, 3)), "fattn_mla-\(il)")
            let p = g.permute(cur, (0, 2, 1, 3))
            cur = cont(p, [g.ne(p, 0), g.ne(p, 1), g.ne(p, 2), g.ne(p, 3)])
            cur = g.reshape(cur, [g.ne(cur, 0) * g.ne(cur, 1), g.ne(cur, 2) * g.ne(cur, 3)], name: "kqv_out-\(il)")
        } else {
            // V is not stored transposed here: a transposed copy of the latent per layer
            let vt = g.transpose(vp)
            let vCont = cont(vt, [g.ne(vt, 0), g.ne(vt, 1), g.ne(vt, 2), g.ne(vt, 3)], "v_cont-\(il)")
            var kq = mulMat(kp, qp, "kq-\(il)")
            kq = same(.softMax, kq, [base.mask], "kq_soft_max-\(il)")
            var kqv = mulMat(vCont, kq, "kqv-\(il)")
            kqv = mulMat(vMla, kqv, "kqv_mla-\(il)")
            let p = g.permute(kqv, (0, 2, 1, 3))
            cur = cont(p, [g.ne(p, 0) * g.ne(p, 1), g.ne(p, 2) * g.ne(p, 3)], "kqv_out-\(il)")
        }
        g.expand(cur)
        return mulMat(w("blk.\(il).attn_output.weight", [nh * hdv, nEmbd]), cur, "attn_out-\(il)")
    }

    // MARK: FFN

    private mutating func ffn(_ x: Int, width: Int64, _ name: String) -> Int {
        let up = mulMat(w("\(name).up", [nEmbd, width]), x, "\(name)_up")
        let gate = mulMat(w("\(name).gate", [nEmbd, width]), x, "\(name)_gate")
        let act = g.op(
            .glu, .f32, [g.ne(gate, 0), g.ne(gate, 1), g.ne(gate, 2), g.ne(gate, 3)], [gate, up], name: "\(name)_swiglu"
        )
        return mulMat(w("\(name).down", [width, nEmbd]), act, "\(name)_out")
    }

    /// How a model's router turns logits into expert weights (llama_expert_gating_func_type).
    enum Gating { case softmax, sigmoid, softmaxWeight }

    /// llm_graph_context::build_moe_ffn: router, top-k, normalized weights, three expert matmuls,
    /// and the weighted sum of the chosen experts' outputs. `biases`: the router and every expert
    /// matrix carry one (gpt-oss); `normalize`: the chosen weights are divided by their sum.
    private mutating func moe(
        _ x: Int, _ m: ModelArchitecture.MixtureOfExperts, _ il: Int,
        gating: Gating, biases: Bool = false, normalize: Bool = true
    ) -> Int {
        let nExp = Int64(m.experts)
        let k = Int64(m.activeExperts)
        let ff = Int64(m.expertFfnSize)
        var logits = mulMat(w("blk.\(il).ffn_gate_inp", [nEmbd, nExp]), x, "ffn_moe_logits-\(il)")
        if biases {
            logits = same(.add, logits, [w("blk.\(il).ffn_gate_inp.bias", [nExp])], "ffn_moe_logits_biased-\(il)")
        }
        let probs: Int
        switch gating {
        case .softmax: probs = same(.softMax, logits, [], "ffn_moe_probs-\(il)")
        case .sigmoid: probs = same(.unary, logits, [], "ffn_moe_probs-\(il)")
        case .softmaxWeight: probs = logits
        }
        let selection =
            gating == .sigmoid
            ? same(.add, probs, [w("blk.\(il).exp_probs_b", [nExp])], "ffn_moe_probs_biased-\(il)") : probs
        let probs3 = g.reshape(probs, [1, nExp, nTokens])
        let argsort = g.op(.argsort, .i32, [nExp, nTokens], [selection], name: "ffn_moe_argsort-\(il)")
        let topk = g.view(argsort, [k, nTokens], nb: [g.nb(argsort, 1)], name: "ffn_moe_topk-\(il)")
        var weights = getRows(probs3, topk, "ffn_moe_weights-\(il)")
        if gating == .softmaxWeight {
            let w2 = g.reshape(weights, [k, nTokens])
            weights = g.reshape(same(.softMax, w2, [], "ffn_moe_weights_softmax-\(il)"), [1, k, nTokens])
        }
        if normalize {
            let w2 = g.reshape(weights, [k, nTokens])
            var sum = g.op(.sumRows, .f32, [1, nTokens], [w2], name: "ffn_moe_weights_sum-\(il)")
            sum = same(.clamp, sum, [], "ffn_moe_weights_sum_clamped-\(il)")
            weights = same(.div, w2, [sum], "ffn_moe_weights_norm-\(il)")
            weights = g.reshape(weights, [1, k, nTokens])
        }
        if m.weightsScale != nil { weights = same(.scale, weights, [], "ffn_moe_weights_scaled-\(il)") }
        g.expand(weights)
        let cur = g.reshape(x, [nEmbd, 1, nTokens])
        var up = g.op(
            .mulMatId, .f32, [ff, k, nTokens], [w("blk.\(il).ffn_up_exps", [nEmbd, ff, nExp]), cur, topk],
            name: "ffn_moe_up-\(il)")
        if biases {
            up = same(.addId, up, [w("blk.\(il).ffn_up_exps.bias", [ff, nExp]), topk], "ffn_moe_up_biased-\(il)")
        }
        var gate = g.op(
            .mulMatId, .f32, [ff, k, nTokens], [w("blk.\(il).ffn_gate_exps", [nEmbd, ff, nExp]), cur, topk],
            name: "ffn_moe_gate-\(il)")
        if biases {
            gate = same(
                .addId, gate, [w("blk.\(il).ffn_gate_exps.bias", [ff, nExp]), topk], "ffn_moe_gate_biased-\(il)")
        }
        let act = g.op(.glu, .f32, [ff, k, nTokens], [gate, up], name: "ffn_moe_swiglu-\(il)")
        var experts = g.op(
            .mulMatId, .f32, [nEmbd, k, nTokens], [w("blk.\(il).ffn_down_exps", [ff, nEmbd, nExp]), act, topk],
            name: "ffn_moe_down-\(il)")
        if biases {
            experts = same(
                .addId, experts, [w("blk.\(il).ffn_down_exps.bias", [nEmbd, nExp]), topk], "ffn_moe_down_biased-\(il)")
        }
        experts = same(.mul, experts, [weights], "ffn_moe_weighted-\(il)")
        g.expand(experts)
        var views: [Int] = []
        for i in 0..<k {
            let v = g.view(
                experts, [nEmbd, nTokens], nb: [g.nb(experts, 2)], name: "ffn_moe_weighted-\(il) (view \(i))")
            g.expand(v)
            views.append(v)
        }
        var out = views[0]
        for i in 1..<views.count {
            out = same(.add, out, [views[i]])
            g.expand(out)
        }
        if views.count == 1 { out = cont(out, [nEmbd, nTokens]) }
        return out
    }

    // MARK: llama, qwen2/3, mistral: dense GQA; qwen3moe, glm4moe: the same with routed experts

    private mutating func buildLlama() {
        var inpL = inputs()
        let hd = Int64(a.headDim)
        let nh = Int64(a.heads)
        let nkv = Int64(a.kvHeads)
        for il in 0..<nLayers {
            var inpSA = inpL
            let cur0 = rmsNormMul(inpL, "attn_norm", il)
            var cur: Int
            if let mla = a.mla {
                cur = latentAttention(cur0, mla, il)
            } else {
                var q = mulMat(w("wq\(il)", [nEmbd, hd * nh]), cur0, "Qcur-\(il)")
                var k = mulMat(w("wk\(il)", [nEmbd, hd * nkv]), cur0, "Kcur-\(il)")
                let v0 = mulMat(w("wv\(il)", [nEmbd, Int64(a.vHeadDim) * nkv]), cur0, "Vcur-\(il)")
                q = g.reshape(q, [hd, nh, nTokens])
                k = g.reshape(k, [hd, nkv, nTokens])
                let v = g.reshape(v0, [Int64(a.vHeadDim), nkv, nTokens])
                q = same(.rope, q, [pos], "Qcur-\(il)")
                k = same(.rope, k, [pos], "Kcur-\(il)")
                cur = attention(q: q, k: k, v: v, il: il)
            }
            if il == nLayers - 1 {
                cur = getRows(cur, outIds)
                inpSA = getRows(inpSA, outIds)
            }
            let ffnInp = same(.add, cur, [inpSA], "ffn_inp-\(il)")
            let n = rmsNormMul(ffnInp, "ffn_norm", il)
            var out: Int
            if let m = a.moe, il >= m.leadingDenseLayers ?? 0 {
                out = moe(
                    n, m, il, gating: m.routing == .sigmoid ? .sigmoid : .softmax,
                    normalize: m.normalizedWeights ?? true)
                if m.sharedWidth > 0 {
                    let shared = ffn(n, width: Int64(m.sharedWidth), "ffn_shexp-\(il)")
                    out = same(.add, out, [shared], "ffn_out-\(il)")
                }
            } else {
                out = ffn(n, width: Int64(a.ffnSize), "ffn-\(il)")
            }
            inpL = same(.add, out, [ffnInp], "l_out-\(il)")
        }
        keep(logits(inpL, rows: .inLastLayer))
    }

    /// Where a model graph gathers the rows it outputs (`out_ids`).
    enum OutputRows {
        /// inside the last layer, before its residual add (llama.cpp's usual graph)
        case inLastLayer
        /// after the last layer, whose full result is kept (t_h_nextn), then the final norm (gpt-oss)
        case beforeNorm
        /// after the final norm over every row, which is kept (t_h_nextn) (gemma4, qwen3next)
        case afterNorm
    }

    /// The output head up to the lm_head product: the final norm (kept, as t_embd) and the rows.
    private mutating func logits(_ x: Int, rows: OutputRows) -> Int {
        var h = x
        switch rows {
        case .inLastLayer:
            h = rmsNormMul(h, "result_norm", -1)
        case .beforeNorm:
            g.setOutput(h)
            h = rmsNormMul(getRows(h, outIds), "result_norm", -1)
        case .afterNorm:
            h = rmsNormMul(h, "h_nextn", -1)
            g.setOutput(h)
            h = getRows(h, outIds, "result_norm")
        }
        g.setOutput(h)
        return mulMat(w("output.weight", [nEmbd, Int64(a.vocabSize)]), h, "result_output")
    }

    /// The graph's result: kept, and the root of the expansion.
    private mutating func keep(_ t: Int) {
        g.setOutput(t)
        g.expand(t)
    }

    // MARK: openai-moe (gpt-oss)

    private mutating func buildGptOSS() {
        var inpL = inputs()
        let hd = Int64(a.headDim)
        let nh = Int64(a.heads)
        let nkv = Int64(a.kvHeads)
        guard let m = a.moe else { return }
        for il in 0..<nLayers {
            let inpSA = inpL
            let cur0 = rmsNormMul(inpL, "attn_norm", il)
            // build_qkv: each projection with its bias, reshaped after all three
            var q = same(
                .add, mulMat(w("wq\(il)", [nEmbd, hd * nh]), cur0, "Qcur-\(il)"), [w("bq\(il)", [hd * nh])],
                "Qcur-\(il)")
            var k = same(
                .add, mulMat(w("wk\(il)", [nEmbd, hd * nkv]), cur0, "Kcur-\(il)"), [w("bk\(il)", [hd * nkv])],
                "Kcur-\(il)")
            let v0 = same(
                .add, mulMat(w("wv\(il)", [nEmbd, hd * nkv]), cur0, "Vcur-\(il)"), [w("bv\(il)", [hd * nkv])],
                "Vcur-\(il)")
            q = g.reshape(q, [hd, nh, nTokens])
            k = g.reshape(k, [hd, nkv, nTokens])
            let v = g.reshape(v0, [hd, nkv, nTokens])
            q = same(.rope, q, [pos], "Qcur-\(il)")
            k = same(.rope, k, [pos], "Kcur-\(il)")
            let cur = attention(q: q, k: k, v: v, il: il, sinks: true, outBias: true)
            let ffnInp = same(.add, cur, [inpSA], "ffn_inp-\(il)")
            let n = rmsNormMul(ffnInp, "attn_post_norm", il)
            let out = moe(n, m, il, gating: .softmaxWeight, biases: true, normalize: false)
            inpL = same(.add, out, [ffnInp], "l_out-\(il)")
        }
        keep(logits(inpL, rows: .beforeNorm))
    }

    // MARK: gemma4

    private mutating func buildGemma4() {
        var inpL = same(.scale, inputs(), [], "inp_scaled")
        let nh = Int64(a.heads)
        for il in 0..<nLayers {
            let global = a.kind(ofLayer: il) == .global
            let hd = Int64(a.headDim(layer: il))
            let nkv = Int64(a.kvHeads(layer: il))
            let freq = global ? [w("rope_freqs.weight", [hd / 2])] : []
            let cur0 = rmsNormMul(inpL, "attn_norm", il)
            var q = g.reshape(mulMat(w("wq\(il)", [nEmbd, hd * nh]), cur0, "Qcur-\(il)"), [hd, nh, nTokens])
            q = rmsNormMul(q, width: hd, "Qcur_normed-\(il)")
            q = same(.rope, q, [pos] + freq, "Qcur_pos-\(il)")
            let kMat = mulMat(w("wk\(il)", [nEmbd, hd * nkv]), cur0, "Kcur-\(il)")
            // global layers without a V projection use K as V (before K's norm and rope)
            let vMat =
                a.hasValueProjection(layer: il) ? mulMat(w("wv\(il)", [nEmbd, hd * nkv]), cur0, "Vcur-\(il)") : kMat
            var k = rmsNormMul(g.reshape(kMat, [hd, nkv, nTokens]), width: hd, "Kcur_normed-\(il)")
            k = same(.rope, k, [pos] + freq, "Kcur_pos-\(il)")
            let v = same(.rmsNorm, g.reshape(vMat, [hd, nkv, nTokens]), [], "Vcur_normed-\(il)")
            var cur = attention(q: q, k: k, v: v, il: il)
            cur = rmsNormMul(cur, "attn_post_norm", il)
            let attnOut = same(.add, cur, [inpL], "attn_out-\(il)")
            let n = rmsNormMul(attnOut, "ffn_norm", il)
            cur = ffn(n, width: Int64(a.ffnSize), "ffn-\(il)")
            cur = rmsNormMul(cur, "ffn_post_norm", il)
            inpL = same(.add, cur, [attnOut], "l_out-\(il)")
        }
        // final logit soft-capping: scale, tanh, scale, each in place
        keep(same(.scale, same(.unary, same(.scale, logits(inpL, rows: .afterNorm)))))
    }

    // MARK: qwen3next

    /// An op ggml runs in place on `x` (ggml_*_inplace): a view of `x` that the op writes through.
    private mutating func inPlace(_ op: ComputeGraph.Op, _ x: Int, _ extra: [Int] = []) -> Int {
        g.retarget(
            g.view(x, [g.ne(x, 0), g.ne(x, 1), g.ne(x, 2), g.ne(x, 3)], nb: [g.nb(x, 1), g.nb(x, 2), g.nb(x, 3)]),
            op: op, src: [x] + extra)
    }
    /// ggml_cpy(src, dst): writes into `dst`, a view of memory the graph does not own.
    private mutating func copy(_ src: Int, into dst: Int) -> Int {
        g.retarget(
            g.view(
                dst, [g.ne(dst, 0), g.ne(dst, 1), g.ne(dst, 2), g.ne(dst, 3)],
                nb: [g.nb(dst, 1), g.nb(dst, 2), g.nb(dst, 3)]),
            op: .cpy, src: [src, dst])
    }

    /// llm_graph_context::build_rs for one sequence: the state rows this ubatch reads, copied out of
    /// the recurrent cache (and the zero-row copy of the states it leaves alone).
    private mutating func recurrentRows(_ s: Int, _ size: Int64, _ sCopy: Int) -> Int {
        let states = g.reshape(s, [size, g.ne(s, 1)])
        g.expand(inPlace(.scale, g.view(states, [size])))
        let rows = getRows(states, g.view(sCopy, [1]))
        g.expand(rows)
        let extra = getRows(states, g.view(sCopy, [0]))
        g.expand(copy(extra, into: g.view(s, [size, 0], nb: [g.nb(s, 1)])))
        return rows
    }

    /// build_gdn_l2_norm: rms_norm then a scale.
    private mutating func l2Norm(_ x: Int) -> Int { same(.scale, same(.rmsNorm, x)) }

    /// qwen3next.cpp build_layer_attn_linear with the fused qkv projection and gated-delta-net kernel.
    private mutating func gatedDeltaNet(_ x: Int, _ la: ModelArchitecture.LinearAttention, _ il: Int, _ sCopy: Int)
        -> Int
    {
        let nk = Int64(la.keyHeads)
        let nv = Int64(la.valueHeads)
        let hk = Int64(la.keyHeadDim)
        let hv = Int64(la.valueHeadDim)
        let channels = Int64(la.convChannels)
        let kernel = Int64(la.convKernel)
        let dInner = hv * nv
        let qkv = g.reshape(
            mulMat(w("attn_qkv\(il)", [nEmbd, channels]), x, "linear_attn_qkv_mixed-\(il)"), [channels, nTokens, 1])
        let z = mulMat(w("attn_gate\(il)", [nEmbd, dInner]), x, "z-\(il)")
        // beta and the decay gate from one projection
        let ba = g.reshape(
            mulMat(w("ssm_ba\(il)", [nEmbd, 2 * nv]), x, "linear_attn_mixed_ba-\(il)"), [2 * nv / nk, nk, nTokens, 1])
        let bView = g.view(ba, [nv / nk, nk, nTokens, 1], nb: [g.nb(ba, 1), g.nb(ba, 2), g.nb(ba, 3)])
        let aView = g.view(ba, [nv / nk, nk, nTokens, 1], nb: [g.nb(ba, 1), g.nb(ba, 2), g.nb(ba, 3)])
        let beta = g.reshape(same(.unary, cont(bView, [nv / nk, nk, nTokens, 1])), [1, nv, nTokens, 1])
        var gate = same(.add, cont(aView, [nv, nTokens, 1]), [w("ssm_dt\(il)", [nv])])
        gate = same(.mul, same(.unary, gate, [], "a_softplus-\(il)"), [w("ssm_a\(il)", [nv])], "gate-\(il)")
        gate = g.reshape(gate, [1, nv, nTokens, 1])
        // the short convolution over the cached last tokens and this ubatch
        let nEmbdR = (kernel - 1) * channels
        let nEmbdS = hv * hv * nv
        let convAll = g.external("cache_r_l\(il)", .f32, [nEmbdR, 1])
        let ssmAll = g.external("cache_s_l\(il)", .f32, [nEmbdS, 1])
        let convStates = g.reshape(recurrentRows(convAll, nEmbdR, sCopy), [kernel - 1, channels, 1])
        let convInput = concat(convStates, g.transpose(qkv), "conv_input-\(il)")
        let last = g.view(convInput, [kernel - 1, channels, 1], nb: [g.nb(convInput, 1), g.nb(convInput, 2)])
        g.expand(copy(last, into: g.view(convAll, [nEmbdR, 1], nb: [g.nb(convAll, 1)])))
        let state = g.reshape(recurrentRows(ssmAll, nEmbdS, sCopy), [hv, hv, nv, 1])
        let conv = same(
            .unary,
            g.op(
                .ssmConv, .f32, [channels, nTokens, 1], [convInput, w("ssm_conv1d\(il)", [kernel, channels])],
                name: "conv_output_raw-\(il)"), [], "conv_output_silu-\(il)")
        let row = g.nb(conv, 1)
        var q = l2Norm(g.view(conv, [hk, nk, nTokens, 1], nb: [4 * hk, row, row * nTokens]))
        var k = l2Norm(g.view(conv, [hk, nk, nTokens, 1], nb: [4 * hk, row, row * nTokens]))
        let v = g.view(conv, [hv, nv, nTokens, 1], nb: [4 * hv, row, row * nTokens])
        if nk != nv {
            let r = nv / nk
            q = g.reshape(
                g.op(.repeat, .f32, [hk, r, nk, nTokens], [g.reshape(q, [hk, 1, nk, nTokens])]),
                [hk, nk * r, nTokens, 1])
            k = g.reshape(
                g.op(.repeat, .f32, [hk, r, nk, nTokens], [g.reshape(k, [hk, 1, nk, nTokens])]),
                [hk, nk * r, nTokens, 1])
        }
        // ggml_gated_delta_net: the outputs, then the new state, in one tensor
        let gdn = g.op(.gatedDeltaNet, .f32, [hv * nv, nTokens + hv], [q, k, v, gate, beta, state])
        let newState = g.view(gdn, [hv, hv, nv, 1], nb: [4 * hv, 4 * hv * hv, 4 * hv * hv * nv])
        g.expand(copy(newState, into: g.view(ssmAll, [nEmbdS, 1], nb: [g.nb(ssmAll, 1)])))
        let output = g.view(gdn, [hv, nv, nTokens, 1], nb: [4 * hv, 4 * hv * nv, 4 * hv * nv * nTokens])
        // build_norm_gated: rms_norm(output) x silu(z)
        let normed = rmsNormMul(output, width: hv, "ssm_norm-\(il)")
        let gated = same(.mul, normed, [same(.unary, g.reshape(z, [hv, nv, nTokens, 1]))])
        let out = mulMat(
            w("ssm_out\(il)", [dInner, nEmbd]), g.reshape(gated, [dInner, nTokens, 1]), "linear_attn_out-\(il)")
        return g.reshape(out, [nEmbd, nTokens])
    }

    /// qwen3next.cpp build_layer_attn: the query carries a sigmoid output gate.
    private mutating func gatedAttention(_ x: Int, _ il: Int) -> Int {
        let hd = Int64(a.headDim)
        let nh = Int64(a.heads)
        let nkv = Int64(a.kvHeads)
        let qFull = g.reshape(
            mulMat(w("wq\(il)", [nEmbd, 2 * hd * nh]), x, "Qcur_full-\(il)"), [2 * hd, nh, nTokens, 1])
        let k0 = mulMat(w("wk\(il)", [nEmbd, hd * nkv]), x, "Kcur-\(il)")
        let v0 = mulMat(w("wv\(il)", [nEmbd, hd * nkv]), x, "Vcur-\(il)")
        var q = g.view(qFull, [hd, nh, nTokens, 1], nb: [g.nb(qFull, 1), g.nb(qFull, 2), g.nb(qFull, 3)])
        let gateView = g.view(qFull, [hd, nh, nTokens, 1], nb: [g.nb(qFull, 1), g.nb(qFull, 2), g.nb(qFull, 3)])
        var k = g.reshape(k0, [hd, nkv, nTokens])
        let v = g.reshape(v0, [hd, nkv, nTokens])
        q = same(.rope, rmsNormMul(q, width: hd, "Qcur_normed-\(il)"), [pos], "Qcur-\(il)")
        k = same(.rope, rmsNormMul(k, width: hd, "Kcur_normed-\(il)"), [pos], "Kcur-\(il)")
        var cur = attention(q: q, k: k, v: v, il: il, project: false)
        let gate = same(.unary, cont(gateView, [hd * nh, nTokens]), [], "gate_sigmoid-\(il)")
        cur = same(.mul, cur, [gate], "attn_gated-\(il)")
        return mulMat(w("blk.\(il).attn_output.weight", [nh * hd, nEmbd]), cur, "attn_output-\(il)")
    }

    private mutating func buildQwen3Next() {
        guard let la = a.linearAttention, let m = a.moe else { return }
        var inpL = inputs()
        let sCopy = g.input("rs_s_copy", .i32, [1])
        for il in 0..<nLayers {
            let inpSA = inpL
            let x = rmsNormMul(inpL, "attn_norm", il)
            g.expand(x)
            var cur = a.kind(ofLayer: il) == .linear ? gatedDeltaNet(x, la, il, sCopy) : gatedAttention(x, il)
            cur = same(.add, cur, [inpSA], "attn_residual-\(il)")
            let residual = cur
            let post = rmsNormMul(cur, "attn_post_norm", il)
            var out = moe(post, m, il, gating: .softmax, normalize: m.normalizedWeights ?? true)
            let shared = ffn(post, width: Int64(m.sharedWidth), "ffn_shexp-\(il)")
            let sharedGate = same(
                .unary, mulMat(w("ffn_gate_inp_shexp\(il)", [nEmbd, 1]), post, "shared_expert_gate-\(il)"))
            out = same(.add, out, [same(.mul, shared, [sharedGate], "ffn_shexp_gated-\(il)")], "ffn_out-\(il)")
            inpL = same(.add, out, [residual], "l_out-\(il)")
        }
        keep(logits(inpL, rows: .afterNorm))
    }
}
