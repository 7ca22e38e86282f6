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
        if a.mla != nil {
            throw Unsupported(
                reason: "\(m.id) uses multi-head latent attention, which a llama-architecture stand-in cannot reproduce"
            )
        }
        if a.linearAttention != nil {
            throw Unsupported(
                reason: "\(m.id) has linear-attention layers, which a llama-architecture stand-in cannot reproduce")
        }
        var notes: [String] = []
        if a.slidingWindow != nil {
            notes.append("sliding-window layers run as full attention (slower at long context: a bound from below)")
        }
        if a.moe?.sharedExperts ?? 0 > 0 {
            notes.append("shared experts left out (decode reads less than the real model)")
        }

        // Tensors in llama.cpp's llama layout, each with the recipe's type.
        let recipe = QuantRecipe(scheme: scheme, architecture: a)
        var tensors: [(name: String, dims: [Int64], type: GGMLType)] = []
        var vIndex = 0
        func add(_ name: String, _ role: TensorRole, _ layer: Int?, _ dims: [Int64]) {
            let shape = TensorShape(
                role: role, layer: layer, rowWidth: Int(dims[0]), rows: dims.dropFirst().reduce(1, *))
            let type = recipe.type(of: shape, attentionVIndex: vIndex)
            if role == .attnV { vIndex += 1 }
            tensors.append((name, dims, type))
        }
        let h = Int64(a.hiddenSize)
        let vocab = Int64(a.vocabSize)
        add("token_embd.weight", .tokenEmbedding, nil, [h, vocab])
        add("output_norm.weight", .norm, nil, [h])
        if !a.tiedEmbeddings { add("output.weight", .output, nil, [h, vocab]) }
        let q = Int64(a.heads * a.headDim)
        let k = Int64(a.kvHeads * a.headDim)
        let v = Int64(a.kvHeads * a.vHeadDim)
        let o = Int64(a.heads * a.vHeadDim)
        for i in 0..<a.layers {
            add("blk.\(i).attn_norm.weight", .norm, i, [h])
            add("blk.\(i).attn_q.weight", .attnQ, i, [h, q])
            add("blk.\(i).attn_k.weight", .attnK, i, [h, k])
            add("blk.\(i).attn_v.weight", .attnV, i, [h, v])
            add("blk.\(i).attn_output.weight", .attnOutput, i, [o, h])
            add("blk.\(i).ffn_norm.weight", .norm, i, [h])
            if let moe = a.moe {
                let e = Int64(moe.experts)
                let f = Int64(moe.expertFfnSize)
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
            notes.append(
                "the first \(lead) dense layers are expert layers too (llama has one FFN layout for every layer)")
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
        var tokens =
            ["<unk>", "<s>", "</s>"]
            + (0..<256).map { "<0x" + (($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true)) + ">" }
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
        return Layout(
            header: w.bytes, fileBytes: Int64(w.bytes.count) + offset, tensorBytes: offset, approximations: notes)
    }

    static func padded(_ n: Int64) -> Int64 { (n + Int64(alignment) - 1) / Int64(alignment) * Int64(alignment) }
}

/// GGUF v3, little-endian.
struct GGUFWriter {
    enum Value {
        case u32(UInt32)
        case i32(Int32)
        case f32(Float)
        case string(String)
        case strings([String])
        case f32s([Float])
        case i32s([Int32])
    }
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += s.utf8
    }

    mutating func header(tensors: Int, kvs: Int) {
        bytes += Array("GGUF".utf8)
        u32(3)
        u64(UInt64(tensors))
        u64(UInt64(kvs))
    }

    mutating func kv(_ key: String, _ v: Value) {
        string(key)
        switch v {
        case .u32(let x):
            u32(4)
            u32(x)
        case .i32(let x):
            u32(5)
            u32(UInt32(bitPattern: x))
        case .f32(let x):
            u32(6)
            u32(x.bitPattern)
        case .string(let s):
            u32(8)
            string(s)
        case .strings(let a):
            u32(9)
            u32(8)
            u64(UInt64(a.count))
            for s in a { string(s) }
        case .f32s(let a):
            u32(9)
            u32(6)
            u64(UInt64(a.count))
            for x in a { u32(x.bitPattern) }
        case .i32s(let a):
            u32(9)
            u32(5)
            u64(UInt64(a.count))
            for x in a { u32(UInt32(bitPattern: x)) }
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

extension QuantScheme {
    /// llama.h `enum llama_ftype` (general.file_type): the inverse of the names the GGUF reader uses.
    public var llamaFileType: UInt32 {
        UInt32(GGUFModel.fileTypeNames.first { QuantScheme.named($0.value) == self }?.key ?? 1)
    }
}
