import Foundation

/// A GGUF of a catalog model's shape with zero weights, for `fit bench runtime MODEL` when the
/// model is not on disk: speed and memory depend on shapes and quant types, not on the values.
/// It is written as llama.cpp's `llama` architecture (the loader every runtime build has) with the
/// model's layer count, widths, heads, KV heads, head dims, FFN or experts, vocabulary and the
/// per-tensor types of the quant recipe. What `llama` cannot express is refused or approximated,
/// and said: sliding windows and sinks are dropped (full attention is slower, a bound from below),
/// shared experts are dropped; MLA and linear-attention layers are refused.
public enum SyntheticGGUF {
    public struct Unsupported: Error, Sendable { public var reason: String }

    public struct Layout: Sendable {
        /// The header, metadata and tensor table, padded to the alignment: the file's first bytes.
        public var header: [UInt8]
        /// The file's full size; everything after the header is zeros (a sparse hole).
        public var fileBytes: Int64
        public var tensorBytes: Int64
        public var approximations: [String]
    }

    static let alignment = 32

    public static func make(_ m: CatalogModel, scheme: QuantScheme) throws(Unsupported) -> Layout {
        let a = m.architecture
        if a.mla != nil { throw Unsupported(reason: "\(m.id) uses multi-head latent attention, which a llama-architecture stand-in cannot reproduce") }
        if a.linearAttention != nil { throw Unsupported(reason: "\(m.id) has linear-attention layers, which a llama-architecture stand-in cannot reproduce") }
        var notes: [String] = []
        if a.slidingWindow != nil { notes.append("sliding-window layers run as full attention (slower at long context: a bound from below)") }
        if a.moe?.sharedExperts ?? 0 > 0 { notes.append("shared experts left out (decode reads less than the real model)") }

        // Tensors in llama.cpp's llama layout, each with the recipe's type.
        let recipe = QuantRecipe(scheme: scheme, architecture: a)
        var tensors: [(name: String, dims: [Int64], type: GGMLType)] = []
        var vIndex = 0
        func add(_ name: String, _ role: TensorRole, _ layer: Int?, _ dims: [Int64]) {
            let shape = TensorShape(role: role, layer: layer, rowWidth: Int(dims[0]), rows: dims.dropFirst().reduce(1, *))
            let type = recipe.type(of: shape, attentionVIndex: vIndex)
            if role == .attnV { vIndex += 1 }
            tensors.append((name, dims, type))
        }
        let h = Int64(a.hiddenSize), vocab = Int64(a.vocabSize)
        add("token_embd.weight", .tokenEmbedding, nil, [h, vocab])
        add("output_norm.weight", .norm, nil, [h])
        if !a.tiedEmbeddings { add("output.weight", .output, nil, [h, vocab]) }
        let q = Int64(a.heads * a.headDim), k = Int64(a.kvHeads * a.headDim), v = Int64(a.kvHeads * a.vHeadDim), o = Int64(a.heads * a.vHeadDim)
        for i in 0..<a.layers {
            add("blk.\(i).attn_norm.weight", .norm, i, [h])
            add("blk.\(i).attn_q.weight", .attnQ, i, [h, q])
            add("blk.\(i).attn_k.weight", .attnK, i, [h, k])
            add("blk.\(i).attn_v.weight", .attnV, i, [h, v])
            add("blk.\(i).attn_output.weight", .attnOutput, i, [o, h])
            add("blk.\(i).ffn_norm.weight", .norm, i, [h])
            if let moe = a.moe {
                let e = Int64(moe.experts), f = Int64(moe.expertFfnSize)
                add("blk.\(i).ffn_gate_inp.weight", .router, i, [h, e])
                add("blk.\(i).ffn_gate_exps.weight", .expertsGate, i, [h, f, e])
                add("blk.\(i).ffn_up_exps.weight", .expertsUp, i, [h, f, e])
                add("blk.\(i).ffn_down_exps.weight", .expertsDown, i, [f, h, e])
            } else {
                let f = Int64(a.ffnSize)
                add("blk.\(i).ffn_gate.weight", .ffnGate, i, [h, f])
                add("blk.\(i).ffn_up.weight", .ffnUp, i, [h, f])
                add("blk.\(i).ffn_down.weight", .ffnDown, i, [f, h])
            }
        }
        if let lead = a.moe?.leadingDenseLayers, lead > 0 {
            notes.append("the first \(lead) dense layers are expert layers too (llama has one FFN layout for every layer)")
        }

        // Metadata.
        var w = GGUFWriter()
        var kv: [(String, GGUFWriter.Value)] = [
            ("general.architecture", .string("llama")),
            ("general.name", .string("\(m.name) (synthetic, zero weights)")),
            ("general.file_type", .u32(scheme.llamaFileType)),
            ("general.alignment", .u32(UInt32(alignment))),
            ("llama.context_length", .u32(UInt32(a.contextLength))),
            ("llama.embedding_length", .u32(UInt32(a.hiddenSize))),
            ("llama.block_count", .u32(UInt32(a.layers))),
            ("llama.feed_forward_length", .u32(UInt32(a.moe.map { $0.expertFfnSize } ?? a.ffnSize))),
            ("llama.attention.head_count", .u32(UInt32(a.heads))),
            ("llama.attention.head_count_kv", .u32(UInt32(a.kvHeads))),
            ("llama.attention.key_length", .u32(UInt32(a.headDim))),
            ("llama.attention.value_length", .u32(UInt32(a.vHeadDim))),
            ("llama.rope.dimension_count", .u32(UInt32(a.headDim))),
            ("llama.rope.freq_base", .f32(10000)),
            ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5)),
            ("llama.vocab_size", .u32(UInt32(a.vocabSize))),
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.bos_token_id", .u32(1)),
            ("tokenizer.ggml.eos_token_id", .u32(2)),
            ("tokenizer.ggml.unknown_token_id", .u32(0)),
        ]
        if let moe = a.moe {
            kv.append(("llama.expert_count", .u32(UInt32(moe.experts))))
            kv.append(("llama.expert_used_count", .u32(UInt32(moe.activeExperts))))
        }
        // A SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then fillers.
        var tokens = ["<unk>", "<s>", "</s>"] + (0..<256).map { String(format: "<0x%02X>", $0) }
        tokens += (tokens.count..<max(a.vocabSize, tokens.count)).map { "t\($0)" }
        tokens = Array(tokens.prefix(a.vocabSize))
        let types: [Int32] = tokens.indices.map { $0 == 0 ? 2 : $0 < 3 ? 3 : $0 < 259 ? 6 : 1 }
        kv.append(("tokenizer.ggml.tokens", .strings(tokens)))
        kv.append(("tokenizer.ggml.scores", .f32s(tokens.indices.map { -Float($0) })))
        kv.append(("tokenizer.ggml.token_type", .i32s(types)))

        w.header(tensors: tensors.count, kvs: kv.count)
        for (key, value) in kv { w.kv(key, value) }
        var offset: Int64 = 0
        for t in tensors {
            w.tensorInfo(t.name, dims: t.dims, type: t.type, offset: offset)
            offset += padded(t.type.bytes(elements: t.dims.reduce(1, *)))
        }
        w.pad(to: alignment)
        return Layout(header: w.bytes, fileBytes: Int64(w.bytes.count) + offset, tensorBytes: offset, approximations: notes)
    }

    static func padded(_ n: Int64) -> Int64 { (n + Int64(alignment) - 1) / Int64(alignment) * Int64(alignment) }
}

/// GGUF v3, little-endian.
struct GGUFWriter {
    enum Value {
        case u32(UInt32), i32(Int32), f32(Float), string(String), strings([String]), f32s([Float]), i32s([Int32])
    }
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += s.utf8 }

    mutating func header(tensors: Int, kvs: Int) {
        bytes += Array("GGUF".utf8)
        u32(3)
        u64(UInt64(tensors))
        u64(UInt64(kvs))
    }

    mutating func kv(_ key: String, _ v: Value) {
        string(key)
        switch v {
        case .u32(let x): u32(4); u32(x)
        case .i32(let x): u32(5); u32(UInt32(bitPattern: x))
        case .f32(let x): u32(6); u32(x.bitPattern)
        case .string(let s): u32(8); string(s)
        case .strings(let a): u32(9); u32(8); u64(UInt64(a.count)); for s in a { string(s) }
        case .f32s(let a): u32(9); u32(6); u64(UInt64(a.count)); for x in a { u32(x.bitPattern) }
        case .i32s(let a): u32(9); u32(5); u64(UInt64(a.count)); for x in a { u32(UInt32(bitPattern: x)) }
        }
    }

    mutating func tensorInfo(_ name: String, dims: [Int64], type: GGMLType, offset: Int64) {
        string(name)
        u32(UInt32(dims.count))
        for d in dims { u64(UInt64(d)) }
        u32(type.ggmlTypeID)
        u64(UInt64(offset))
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }
}

extension GGMLType {
    /// ggml.h `enum ggml_type`.
    public var ggmlTypeID: UInt32 {
        let table: [GGMLType: UInt32] = [
            .f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q5_0: 6, .q5_1: 7, .q8_0: 8, .q8_1: 9, .q2_K: 10, .q3_K: 11, .q4_K: 12, .q5_K: 13,
            .q6_K: 14, .q8_K: 15, .iq2_XXS: 16, .iq2_XS: 17, .iq3_XXS: 18, .iq1_S: 19, .iq4_NL: 20, .iq3_S: 21, .iq2_S: 22, .iq4_XS: 23,
            .i8: 24, .i16: 25, .i32: 26, .i64: 27, .f64: 28, .iq1_M: 29, .bf16: 30, .tq1_0: 34, .tq2_0: 35, .mxfp4: 39,
        ]
        return table[self] ?? 0
    }
}

extension QuantScheme {
    /// llama.h `enum llama_ftype` (general.file_type).
    public var llamaFileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q2_K: 10
        case .q3_K_S: 11
        case .q3_K_M: 12
        case .q3_K_L: 13
        case .q4_K_S: 14
        case .q4_K_M: 15
        case .q5_K_S: 16
        case .q5_K_M: 17
        case .q6_K: 18
        case .iq4_NL: 25
        case .iq4_XS: 30
        case .bf16: 32
        case .mxfp4: 38
        }
    }
}
