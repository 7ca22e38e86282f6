/// llama.cpp's worst-case prompt graph (n_tokens = ubatch, every token an output), built op by op
/// as llama-graph.cpp and src/models/*.cpp build it (b11312), for the allocator in `ComputeGraph`.
/// Only what decides memory is kept: shapes, types, strides, sources and the order of expansion.
/// Architectures without a builder here return nil and keep the closed-form estimate.
public struct LlamaGraph {
    let a: ModelArchitecture
    let o: PlanOptions
    let nTokens: Int64
    let nKV: Int64
    var g = ComputeGraph()
    /// Layers built (the last one is the model's last: it gathers the output rows).
    var nLayers = 0

    // inputs shared by every layer
    private var pos = 0, kIdxs = 0, vIdxs = 0, mask = 0, outIds = 0
    private var kRot: Int?, vRot: Int?

    /// The graph for `architecture` at `options`, or nil when no builder covers it yet.
    ///
    /// `repeatingLayers`: how many of the identical middle layers to build (one more to keep their
    /// count's parity). After a few layers the allocator cycles with period 2, so a few stand for any
    /// number and the buffer size is the same (`ComputeGraphTests` checks this on every catalog model a builder
    /// covers); nil builds them all. `named`: give tensors llama.cpp's names, for traces.
    public static func build(_ architecture: ModelArchitecture, _ options: PlanOptions, cells: Int,
                             repeatingLayers: Int? = 2, named: Bool = false) -> ComputeGraph? {
        guard architecture.mla == nil, architecture.linearAttention == nil, architecture.slidingWindow == nil,
              architecture.attentionSinks != true, architecture.gatedFFN != false else { return nil }
        // routed experts picked by a sigmoid with a selection bias (DeepSeek V3, GLM-4.5) or a softmax
        if let m = architecture.moe, m.sharedExperts ?? 0 > 0, m.routing == nil { return nil }
        var b = LlamaGraph(a: architecture, o: options, nTokens: Int64(min(options.context.count, options.ubatch)), nKV: Int64(cells))
        b.g.named = named
        let lead = architecture.moe?.leadingDenseLayers ?? 0
        // the middle layers settle into a cycle of period 2 (a ping-pong of two blocks): keep the parity
        let middle = architecture.layers - lead - 1
        b.nLayers = repeatingLayers.map { r in middle <= r ? architecture.layers : lead + r + (middle - r) % 2 + 1 } ?? architecture.layers
        b.buildLlama()
        return b.g
    }

    private init(a: ModelArchitecture, o: PlanOptions, nTokens: Int64, nKV: Int64) {
        self.a = a; self.o = o; self.nTokens = nTokens; self.nKV = nKV
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
    private mutating func same(_ op: ComputeGraph.Op, _ x: Int, _ extra: [Int] = [], _ name: @autoclosure () -> String = "") -> Int {
        g.op(op, g.type(x), [g.ne(x, 0), g.ne(x, 1), g.ne(x, 2), g.ne(x, 3)], [x] + extra, name: name())
    }
    private mutating func getRows(_ x: Int, _ ids: Int, _ name: @autoclosure () -> String = "") -> Int {
        g.op(.getRows, .f32, [g.ne(x, 0), g.ne(ids, 0), g.ne(ids, 1), g.ne(ids, 2)], [x, ids], name: name())
    }
    private mutating func cont(_ x: Int, _ ne: [Int64], _ name: @autoclosure () -> String = "") -> Int {
        g.op(.cont, g.type(x), ne, [x], name: name())
    }
    private mutating func setRows(_ dst: Int, _ src: Int, _ ids: Int) -> Int {
        let v = g.view(dst, [g.ne(dst, 0), g.ne(dst, 1), g.ne(dst, 2), g.ne(dst, 3)], nb: [g.nb(dst, 1), g.nb(dst, 2), g.nb(dst, 3)])
        return g.retarget(v, op: .setRows, src: [src, ids, dst])
    }
    private mutating func rmsNormMul(_ x: Int, _ weight: String, _ il: Int) -> Int {
        let n = same(.rmsNorm, x, [], "norm-\(il)")
        return same(.mul, n, [w(weight, [nEmbd])], il >= 0 ? "\(weight)-\(il)" : weight)
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
        kIdxs = g.input("attn_inp_k_idxs", .i64, [nTokens])
        vIdxs = g.input("attn_inp_v_idxs", .i64, o.flashAttention ? [nTokens] : [nTokens * Int64(a.widestValueRow)])
        mask = g.input("attn_inp_kq_mask", o.flashAttention ? .f16 : .f32, [nKV, nTokens, 1, 1])
        if o.kvType.isQuantized {
            // llama-kv-cache.cpp build_input_k_rot/v_rot: Hadamard rotations for quantized caches
            if a.headDim % 64 == 0 {
                var n = 64
                repeat { n *= 2 } while a.headDim % n == 0
                kRot = g.input("attn_inp_k_rot", .f32, [Int64(n / 2), Int64(n / 2)])
            }
            if a.vHeadDim % 64 == 0 { vRot = g.input("attn_inp_v_rot", .f32, [64, 64]) }
        }
        outIds = g.input("out_ids", .i32, [nTokens])
        return embd
    }

    // MARK: Attention (llm_graph_context::build_attn with a KV cache, build_attn_mha)

    private mutating func attention(q qIn: Int, k kIn: Int, v vIn: Int, il: Int) -> Int {
        var q = qIn, k = kIn, v = vIn
        if let kRot { q = hadamard(q, kRot); k = hadamard(k, kRot) }
        if let vRot { v = hadamard(v, vRot) }
        g.expand(q); g.expand(v); g.expand(k)
        let hd = Int64(a.headDim), hdv = Int64(a.vHeadDim), nkv = Int64(a.kvHeads)
        let cells = nKV
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
            vCur = g.reshape(vCur, [1, hdv * nkv * nTokens])
            g.expand(setRows(cacheFlat, vCur, vIdxs))
        }
        // get_k / get_v
        let ts = Int64(kvType.block.bytes), be = Int64(kvType.block.elements)
        let kGet = g.view(cacheK, [hd, nkv, cells, 1], nb: [ts * hd / be, ts * hd * nkv / be, ts * hd * nkv * cells / be])
        let vGet: Int
        if o.flashAttention {
            vGet = g.view(cacheV, [hdv, nkv, cells, 1], nb: [ts * hdv / be, ts * hdv * nkv / be, ts * hdv * nkv * cells / be])
        } else {
            vGet = g.view(cacheV, [cells, nkv, hdv, 1], nb: [ts * cells * hdv / be, ts * cells / be, ts * cells * vRow / be])
        }
        // build_attn_mha
        let qv = g.view(q, [g.ne(q, 0), g.ne(q, 1), g.ne(q, 2), 1], nb: [g.nb(q, 1), g.nb(q, 2), g.nb(q, 2) * g.ne(q, 2)])
        let qp = g.permute(qv, (0, 2, 1, 3)), kp = g.permute(kGet, (0, 2, 1, 3)), vp = g.permute(vGet, (0, 2, 1, 3))
        var cur: Int
        if o.flashAttention {
            cur = g.op(.flashAttn, .f32, [g.ne(vp, 0), g.ne(qp, 2), g.ne(qp, 1), g.ne(qp, 3)], [qp, kp, vp, mask])
            cur = g.reshape(cur, [g.ne(cur, 0) * g.ne(cur, 1), g.ne(cur, 2) * g.ne(cur, 3)], name: "kqv_out-\(il)")
        } else {
            var kq = mulMat(kp, qp, "kq-\(il)")
            kq = same(.softMax, kq, [mask], "kq_soft_max-\(il)")
            let kqv = mulMat(vp, kq, "kqv-\(il)")
            let p = g.permute(kqv, (0, 2, 1, 3))
            cur = cont(p, [g.ne(p, 0) * g.ne(p, 1), g.ne(p, 2) * g.ne(p, 3)], "kqv_out-\(il)")
        }
        g.expand(cur)
        if let vRot { cur = hadamard(cur, vRot) }
        return mulMat(w("blk.\(il).attn_output.weight", [Int64(a.heads) * hdv, nEmbd]), cur, "attn_out-\(il)")
    }

    // MARK: FFN

    private mutating func ffn(_ x: Int, width: Int64, _ name: String) -> Int {
        let up = mulMat(w("\(name).up", [nEmbd, width]), x, "\(name)_up")
        let gate = mulMat(w("\(name).gate", [nEmbd, width]), x, "\(name)_gate")
        let act = g.op(.glu, .f32, [g.ne(gate, 0), g.ne(gate, 1), g.ne(gate, 2), g.ne(gate, 3)], [gate, up], name: "\(name)_swiglu")
        return mulMat(w("\(name).down", [width, nEmbd]), act, "\(name)_out")
    }

    /// llm_graph_context::build_moe_ffn: router, top-k, normalized weights, three expert matmuls,
    /// and the weighted sum of the chosen experts' outputs.
    private mutating func moe(_ x: Int, _ m: ModelArchitecture.MixtureOfExperts, _ il: Int) -> Int {
        let nExp = Int64(m.experts), k = Int64(m.activeExperts), ff = Int64(m.expertFfnSize)
        let logits = mulMat(w("blk.\(il).ffn_gate_inp", [nEmbd, nExp]), x, "ffn_moe_logits-\(il)")
        let sigmoid = m.routing == .sigmoid
        let probs = sigmoid ? same(.unary, logits, [], "ffn_moe_probs-\(il)") : same(.softMax, logits, [], "ffn_moe_probs-\(il)")
        let selection = sigmoid ? same(.add, probs, [w("blk.\(il).exp_probs_b", [nExp])], "ffn_moe_probs_biased-\(il)") : probs
        let probs3 = g.reshape(probs, [1, nExp, nTokens])
        let argsort = g.op(.argsort, .i32, [nExp, nTokens], [selection], name: "ffn_moe_argsort-\(il)")
        let topk = g.view(argsort, [k, nTokens], nb: [g.nb(argsort, 1)], name: "ffn_moe_topk-\(il)")
        var weights = getRows(probs3, topk, "ffn_moe_weights-\(il)")
        let w2 = g.reshape(weights, [k, nTokens])
        var sum = g.op(.sumRows, .f32, [1, nTokens], [w2], name: "ffn_moe_weights_sum-\(il)")
        sum = same(.clamp, sum, [], "ffn_moe_weights_sum_clamped-\(il)")
        weights = same(.div, w2, [sum], "ffn_moe_weights_norm-\(il)")
        weights = g.reshape(weights, [1, k, nTokens])
        g.expand(weights)
        let cur = g.reshape(x, [nEmbd, 1, nTokens])
        let up = g.op(.mulMatId, .f32, [ff, k, nTokens], [w("blk.\(il).ffn_up_exps", [nEmbd, ff, nExp]), cur, topk], name: "ffn_moe_up-\(il)")
        let gate = g.op(.mulMatId, .f32, [ff, k, nTokens], [w("blk.\(il).ffn_gate_exps", [nEmbd, ff, nExp]), cur, topk], name: "ffn_moe_gate-\(il)")
        let act = g.op(.glu, .f32, [ff, k, nTokens], [gate, up], name: "ffn_moe_swiglu-\(il)")
        var experts = g.op(.mulMatId, .f32, [nEmbd, k, nTokens], [w("blk.\(il).ffn_down_exps", [ff, nEmbd, nExp]), act, topk], name: "ffn_moe_down-\(il)")
        experts = same(.mul, experts, [weights], "ffn_moe_weighted-\(il)")
        g.expand(experts)
        var views: [Int] = []
        for i in 0..<k {
            let v = g.view(experts, [nEmbd, nTokens], nb: [g.nb(experts, 2)], name: "ffn_moe_weighted-\(il) (view \(i))")
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
        let hd = Int64(a.headDim), nh = Int64(a.heads), nkv = Int64(a.kvHeads)
        for il in 0..<nLayers {
            var inpSA = inpL
            let cur0 = rmsNormMul(inpL, "attn_norm", il)
            var q = mulMat(w("wq\(il)", [nEmbd, hd * nh]), cur0, "Qcur-\(il)")
            var k = mulMat(w("wk\(il)", [nEmbd, hd * nkv]), cur0, "Kcur-\(il)")
            let v0 = mulMat(w("wv\(il)", [nEmbd, Int64(a.vHeadDim) * nkv]), cur0, "Vcur-\(il)")
            q = g.reshape(q, [hd, nh, nTokens]); k = g.reshape(k, [hd, nkv, nTokens])
            let v = g.reshape(v0, [Int64(a.vHeadDim), nkv, nTokens])
            q = same(.rope, q, [pos], "Qcur-\(il)")
            k = same(.rope, k, [pos], "Kcur-\(il)")
            var cur = attention(q: q, k: k, v: v, il: il)
            if il == nLayers - 1 {
                cur = getRows(cur, outIds)
                inpSA = getRows(inpSA, outIds)
            }
            let ffnInp = same(.add, cur, [inpSA], "ffn_inp-\(il)")
            let n = rmsNormMul(ffnInp, "ffn_norm", il)
            var out: Int
            if let m = a.moe, il >= m.leadingDenseLayers ?? 0 {
                out = moe(n, m, il)
                if m.sharedWidth > 0 {
                    let shared = ffn(n, width: Int64(m.sharedWidth), "ffn_shexp-\(il)")
                    out = same(.add, out, [shared], "ffn_out-\(il)")
                }
            } else {
                out = ffn(n, width: Int64(a.ffnSize), "ffn-\(il)")
            }
            inpL = same(.add, out, [ffnInp], "l_out-\(il)")
        }
        let norm = rmsNormMul(inpL, "result_norm", -1)
        g.setOutput(norm)
        let logits = mulMat(w("output.weight", [nEmbd, Int64(a.vocabSize)]), norm, "result_output")
        g.setOutput(logits)
        g.expand(logits)
    }
}
