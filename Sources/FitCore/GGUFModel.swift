/// A model read from GGUF files: its architecture from the metadata and its exact weights from
/// the tensor table. What the metadata does not say is listed in `assumptions`, never hidden.
public struct GGUFModel: Sendable {
    public var architectureName: String
    public var name: String?
    public var fileType: String?
    public var architecture: ModelArchitecture
    public var weights: WeightLayout
    public var assumptions: [String]
    /// Tensors whose ggml type fit does not know (their size is unknown and left out).
    public var unknownTensors: [String]

    /// Builds the model from one file, or from every part of a split model (metadata from the first).
    public init(parts: [GGUFFile]) throws(GGUFError) {
        guard let first = parts.first else { throw .corrupt("no GGUF parts") }
        guard let arch = first.architectureName else { throw .corrupt("no general.architecture in the metadata") }
        let meta = first.metadata
        var assumptions: [String] = []
        func key(_ k: String) -> GGUFValue? { meta[arch + "." + k] }
        func int(_ k: String) -> Int? { key(k).flatMap { $0.int ?? $0.ints?.max() } }
        let tensors = parts.flatMap(\.tensors)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        guard let blocks = int("block_count"), blocks > 0, blocks <= 10_000 else {
            throw .corrupt("\(arch).block_count is missing or absurd")
        }
        // Multi-token-prediction (NextN) blocks come after the trunk (GLM-4.5 files keep them);
        // llama.cpp skips their tensors and gives them no KV cache unless MTP decoding is asked for.
        let nextn = min(max(int("nextn_predict_layers") ?? 0, 0), blocks - 1)
        let layers = blocks - nextn
        if nextn > 0 {
            assumptions.append(
                "\(nextn) multi-token-prediction layer\(nextn == 1 ? "" : "s") in the file: llama.cpp loads \(nextn == 1 ? "it" : "them") only for MTP speculative decoding, so the plan leaves \(nextn == 1 ? "it" : "them") out"
            )
        }
        guard let hidden = int("embedding_length"), hidden > 0 else {
            throw .corrupt("\(arch).embedding_length is missing")
        }
        let heads = int("attention.head_count") ?? 0
        // Per-layer KV head counts (hybrids list 0 for recurrent layers): plan with the largest.
        let kvList = key("attention.head_count_kv")?.ints ?? []
        var kvHeads = kvList.max() ?? heads
        // Gemma 4: sliding layers have their own key length and KV heads, global layers others.
        let keyLengthSWA = int("attention.key_length_swa")
        let swaFlags: [Bool]? = {
            guard case .array(let flags, _)? = key("attention.sliding_window_pattern"), !flags.isEmpty else {
                return nil
            }
            return flags.map { ($0.int ?? 0) != 0 }
        }()
        var globalKV: Int?
        if keyLengthSWA != nil, let flags = swaFlags, kvList.count == flags.count,
            let local = flags.firstIndex(of: true), let global = flags.firstIndex(of: false)
        {
            kvHeads = kvList[local]
            if kvList[global] != kvList[local] { globalKV = kvList[global] }
        } else if Set(kvList.filter { $0 > 0 }).count > 1 {
            assumptions.append("KV head counts vary by layer; planned with the largest (\(kvHeads))")
        }
        if kvHeads == 0 { kvHeads = max(heads, 1) }
        let fullKeyLength = int("attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
        let keyLength = keyLengthSWA ?? fullKeyLength
        let valueLength = keyLengthSWA != nil ? int("attention.value_length_swa") : int("attention.value_length")
        let vocab =
            int("vocab_size") ?? meta["tokenizer.ggml.tokens"]?.count ?? byName["token_embd.weight"].map {
                Int($0.dims.count > 1 ? $0.dims[1] : 0)
            } ?? 0
        let context = int("context_length") ?? 4096
        if key("context_length") == nil { assumptions.append("no \(arch).context_length; assumed 4096") }

        var sliding: ModelArchitecture.SlidingWindow?
        if let window = int("attention.sliding_window"), window > 0 {
            let every: Int
            if let pattern = key("attention.sliding_window_pattern") {
                if case .array(let flags, _) = pattern, !flags.isEmpty {
                    // true = sliding-window layer: the period ends at the first global layer
                    every = (flags.firstIndex { $0.int == 0 } ?? (flags.count - 1)) + 1
                } else {
                    every = pattern.int ?? 1
                }
            } else {
                switch arch {
                case "gemma3", "gemma3n": every = 6
                case "gemma2", "gpt-oss", "gptoss": every = 2
                case "cohere2", "llama4": every = 4
                default:
                    every = 1
                }
                if every == 1 {
                    assumptions.append(
                        "\(arch): sliding window \(window) without a layer pattern; planned as full attention")
                }
            }
            if every > 1 {
                sliding = .init(window: window, globalEvery: every)
                if let swa = keyLengthSWA, swa != fullKeyLength { sliding?.globalHeadDim = fullKeyLength }
                sliding?.globalKvHeads = globalKV
                // no attn_v in the first global layer: K is reused as V
                if keyLengthSWA != nil, byName["blk.\(every - 1).attn_v.weight"] == nil,
                    byName["blk.\(every - 1).attn_k.weight"] != nil
                {
                    sliding?.globalSharedKV = true
                }
            }
        }

        var moe: ModelArchitecture.MixtureOfExperts?
        if let experts = int("expert_count"), experts > 1 {
            let expertFFN =
                int("expert_feed_forward_length")
                ?? tensors.first { $0.name.hasSuffix("ffn_gate_exps.weight") }.map {
                    Int($0.dims.count > 1 ? $0.dims[1] : 0)
                } ?? 0
            moe = .init(
                experts: experts, activeExperts: int("expert_used_count") ?? 1, expertFfnSize: expertFFN,
                sharedExperts: int("expert_shared_count"),
                sharedExpertFfnSize: int("expert_shared_feed_forward_length"),
                leadingDenseLayers: int("leading_dense_block_count"))
            if int("expert_gating_func") == 2 { moe?.routing = .sigmoid }  // LLAMA_EXPERT_GATING_FUNC_TYPE_SIGMOID
            if let norm = int("expert_weights_norm") { moe?.normalizedWeights = norm != 0 }
            if let scale = key("expert_weights_scale")?.double, scale > 0, scale != 1 { moe?.weightsScale = scale }
        }

        var mla: ModelArchitecture.LatentAttention?
        if let kvLora = int("attention.kv_lora_rank"), kvLora > 0 {
            let rope = int("rope.dimension_count") ?? 64
            let keyMLA = int("attention.key_length_mla") ?? keyLength
            let valueMLA = int("attention.value_length_mla") ?? valueLength ?? 128
            mla = .init(
                qLoraRank: int("attention.q_lora_rank") ?? 0, kvLoraRank: kvLora, qkNopeHeadDim: max(keyMLA - rope, 0),
                qkRopeHeadDim: rope, vHeadDim: valueMLA)
        }

        var linear: ModelArchitecture.LinearAttention?
        if let interval = int("full_attention_interval"), interval > 1, let conv = int("ssm.conv_kernel") {
            let keyHeads = int("ssm.group_count") ?? 0
            let valueHeads = int("ssm.time_step_rank") ?? 0
            let keyDim = int("ssm.state_size") ?? 0
            let valueDim = valueHeads > 0 ? (int("ssm.inner_size") ?? 0) / valueHeads : 0
            linear = .init(
                fullAttentionEvery: interval, keyHeads: keyHeads, valueHeads: valueHeads, keyHeadDim: keyDim,
                valueHeadDim: valueDim, convKernel: conv)
        } else if key("ssm.conv_kernel") != nil {
            assumptions.append("\(arch) has recurrent (SSM) layers fit does not model yet; their state is left out")
        }

        let ffn = key("feed_forward_length")?.ints?.max() ?? 0
        architecture = ModelArchitecture(
            layers: layers, hiddenSize: hidden, heads: heads == 0 ? 1 : heads, kvHeads: kvHeads,
            headDim: keyLength == 0 ? 1 : keyLength,
            valueHeadDim: valueLength, ffnSize: ffn, vocabSize: vocab, contextLength: context,
            tiedEmbeddings: byName["output.weight"] == nil, slidingWindow: sliding, moe: moe, mla: mla,
            linearAttention: linear)
        if nextn > 0 { architecture.mtpLayers = nextn }
        if let problem = architecture.problems.first {
            throw .corrupt(Self.sentence(problem, arch: arch))
        }
        guard !tensors.isEmpty else {
            throw .corrupt("it holds no tensors (a vocabulary-only or header-only file cannot be planned)")
        }

        // Weights, exactly as the tensor table says.
        var perLayer = [Int64](repeating: 0, count: layers)
        var experts = [Int64](repeating: 0, count: layers)
        var embd: Int64 = 0
        var output: Int64 = 0
        var other: Int64 = 0
        var file: Int64 = 0
        var unknown: [String] = []
        var repack = [Int64](repeating: 0, count: layers)
        var outRepack: Int64 = 0
        for t in tensors {
            guard let b = t.bytes else {
                unknown.append(t.name)
                continue
            }
            guard b >= 0, file <= GGUFModel.maxTensorBytes - b else {
                throw .corrupt("its tensors add up to more than 4 PiB")
            }
            file += b
            let isMatrix =
                t.dims.count >= 2 && t.name.hasSuffix(".weight") && !t.name.contains("norm")
                && !t.name.contains("ffn_gate_inp")
            let repacked =
                isMatrix && t.type.map { WeightLayout.avx2RepackTypes.contains($0) } == true && t.dims[1] % 8 == 0
                ? b : 0
            let block =
                t.name.hasPrefix("blk.")
                ? t.name.dropFirst(4).firstIndex(of: ".").flatMap {
                    Int(t.name[t.name.index(t.name.startIndex, offsetBy: 4)..<$0])
                } : nil
            if let l = block, l < 0 { throw .corrupt("tensor \(t.name) has a negative block number") }
            if let l = block, l >= layers { continue }  // an MTP block: in the file, not in memory
            if let l = block {
                perLayer[l] += b
                repack[l] += repacked
                if t.name.contains("_exps") { experts[l] += b }
            } else if t.name == "token_embd.weight" {
                embd = b
                if byName["output.weight"] == nil { outRepack += repacked }
            } else if t.name == "output.weight" {
                output = b
                outRepack += repacked
            } else {
                other += b  // output_norm, rope factors, position embeddings: small, kept with the output layer
            }
        }
        var w = WeightLayout(
            perLayer: perLayer, perLayerExperts: experts, tokenEmbedding: embd,
            outputLayer: (architecture.tiedEmbeddings ? embd : output) + other, fileTensorBytes: file)
        w.perLayerRepack = repack
        w.outputRepack = outRepack
        weights = w
        if !unknown.isEmpty {
            assumptions.append("\(unknown.count) tensors of unknown types are left out (e.g. \(unknown[0]))")
        }
        architectureName = arch
        name = meta["general.name"]?.string
        fileType = meta["general.file_type"]?.int.map { Self.fileTypeName($0) }
        self.assumptions = assumptions
        unknownTensors = unknown
    }

    /// 4 PiB: what the tensor table of one model may add up to.
    static let maxTensorBytes: Int64 = 1 << 52

    /// GGUF metadata keys of the architecture fields, for messages that name what the file says.
    static let metadataKeys: [String: String] = [
        "layers": "block_count", "hiddenSize": "embedding_length", "heads": "attention.head_count",
        "kvHeads": "attention.head_count_kv", "headDim": "attention.key_length",
        "valueHeadDim": "attention.value_length", "ffnSize": "feed_forward_length", "vocabSize": "vocab_size",
        "contextLength": "context_length", "mtpLayers": "nextn_predict_layers",
        "slidingWindow.window": "attention.sliding_window",
        "slidingWindow.globalEvery": "attention.sliding_window_pattern",
        "slidingWindow.globalKvHeads": "attention.head_count_kv", "slidingWindow.globalHeadDim": "attention.key_length",
        "moe.experts": "expert_count", "moe.activeExperts": "expert_used_count",
        "moe.expertFfnSize": "expert_feed_forward_length", "moe.sharedExperts": "expert_shared_count",
        "moe.sharedExpertFfnSize": "expert_shared_feed_forward_length",
        "moe.leadingDenseLayers": "leading_dense_block_count", "mla.qLoraRank": "attention.q_lora_rank",
        "mla.kvLoraRank": "attention.kv_lora_rank", "mla.qkNopeHeadDim": "attention.key_length_mla",
        "mla.qkRopeHeadDim": "rope.dimension_count", "mla.vHeadDim": "attention.value_length_mla",
        "linearAttention.fullAttentionEvery": "full_attention_interval", "linearAttention.keyHeads": "ssm.group_count",
        "linearAttention.valueHeads": "ssm.time_step_rank", "linearAttention.keyHeadDim": "ssm.state_size",
        "linearAttention.valueHeadDim": "ssm.inner_size", "linearAttention.convKernel": "ssm.conv_kernel",
    ]

    static func sentence(_ p: ArchitectureProblem, arch: String) -> String {
        if let what = p.what { return "the metadata describes a model whose \(p.described(as: what))" }
        return p.described(as: "\(arch).\(metadataKeys[p.field] ?? p.field)")
    }

    /// llama.cpp's `llama_ftype` names (general.file_type).
    static let fileTypeNames: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
        11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
        17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
        23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
        29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
    ]

    static func fileTypeName(_ t: Int) -> String { fileTypeNames[t] ?? "type \(t)" }
}
