import FitCore
import Foundation

/// A Hugging Face model folder: `config.json` (architecture and quantization) and, when present,
/// `model.safetensors.index.json` (the exact total size of the weights).
public struct HFModel: Sendable {
    public var name: String
    public var architecture: ModelArchitecture
    public var format: SafetensorsFormat
    public var weights: WeightLayout
    public var assumptions: [String]
    /// Whether the weight bytes are the safetensors index's `total_size` (else the format's bits).
    public var weightsFromIndex = false
    /// Whether they are the sum of the safetensors files' tensors, read from their headers.
    public var weightsFromHeaders = false

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// `path` is a config.json or a folder holding one.
    public static func load(_ path: String) throws(Failure) -> HFModel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw Failure(path: path, reason: "no such file; give a config.json or the model folder holding it")
        }
        let configPath = isDir.boolValue ? (path as NSString).appendingPathComponent("config.json") : path
        guard let data = FileManager.default.contents(atPath: configPath) else {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: configPath),
                !FileManager.default.fileExists(atPath: configPath)
            {
                throw Failure(
                    path: configPath,
                    reason:
                        "a broken link to \(target), which does not exist; download the model again or point at its folder"
                )
            }
            throw Failure(path: configPath, reason: "cannot be read")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Failure(path: configPath, reason: "is not a JSON object")
        }
        var model = try parse(root, path: configPath)
        let folder = configPath.parentFolder.isEmpty ? "." : configPath.parentFolder
        let index = (folder as NSString).appendingPathComponent("model.safetensors.index.json")
        let shards =
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
                $0.hasSuffix(".safetensors")
            }.sorted()
        if !shards.isEmpty {
            // The weights themselves, as their headers say: exact, and read without the weights.
            var total: Int64 = 0
            for shard in shards {
                let file = (folder as NSString).appendingPathComponent(shard)
                do { total += try SafetensorsHeader.read(file: file).dataBytes } catch {
                    throw Failure(path: file, reason: error.reason)
                }
            }
            model.weights = model.weights.scaled(toFileBytes: total)
            model.weightsFromHeaders = true
        } else if let d = FileManager.default.contents(atPath: index), let total = try indexTotalSize(d, path: index) {
            model.weights = model.weights.scaled(toFileBytes: total)
            model.weightsFromIndex = true
        } else {
            model.assumptions.append(
                "no model.safetensors.index.json: weight bytes estimated from the format (\(model.format.name))")
        }
        return model
    }

    /// `metadata.total_size` of a `model.safetensors.index.json`: nil when the file is not an
    /// index or does not say; an error when it says something no model weighs.
    public static func indexTotalSize(_ data: Data, path: String) throws(Failure) -> Int64? {
        guard let j = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let size = (j["metadata"] as? [String: Any])?["total_size"]
        else { return nil }
        let total = try ConfigNumber.integer(size, key: "metadata.total_size", path: path)
        guard total > 0, total <= 1 << 52 else {
            throw Failure(path: path, reason: "`metadata.total_size` is \(total); fit plans 1 byte to 4 PiB of weights")
        }
        return Int64(total)
    }

    /// What transformers' config classes supply when config.json leaves a field out (published
    /// configs omit defaults: Gemma 3's have no vocab_size). From transformers' `Gemma3TextConfig`,
    /// `Gemma2Config`, `LlamaConfig`, `MistralConfig` and `Qwen2Config` defaults.
    static func classDefaults(_ modelType: String) -> [String: Any]? {
        switch modelType {
        case "gemma3_text", "gemma3":
            [
                "vocab_size": 262_208, "max_position_embeddings": 131_072, "sliding_window_pattern": 6,
                "tie_word_embeddings": true,
            ]
        case "gemma2":
            [
                "vocab_size": 256_000, "max_position_embeddings": 8192, "sliding_window_pattern": 2,
                "tie_word_embeddings": true,
            ]
        case "llama": ["vocab_size": 32000, "max_position_embeddings": 2048, "tie_word_embeddings": false]
        case "mistral": ["vocab_size": 32000, "max_position_embeddings": 131_072, "tie_word_embeddings": false]
        case "qwen2": ["vocab_size": 151_936, "max_position_embeddings": 32768, "tie_word_embeddings": false]
        default: nil
        }
    }

    /// Maps config.json fields (transformers' names; `text_config` for multimodal models).
    public static func parse(_ outer: [String: Any], path: String) throws(Failure) -> HFModel {
        var c = (outer["text_config"] as? [String: Any]).map { outer.merging($0) { _, inner in inner } } ?? outer
        var assumptions: [String] = []
        if let type = c["model_type"] as? String, let defaults = classDefaults(type) {
            let used = defaults.keys.filter { c[$0] == nil }.sorted()
            if !used.isEmpty {
                c.merge(defaults) { mine, _ in mine }
                assumptions.append(
                    "\(used.joined(separator: ", ")) from transformers' \(type) defaults (config.json leaves them out)")
            }
        }
        if outer["text_config"] != nil {
            assumptions.append("multimodal: the text model is planned; the vision tower is not counted")
        }
        // Every number is read strictly: present but not a whole number in range is an error that
        // says what the file holds, never "missing" and never a trap.
        func int(_ keys: String...) throws(Failure) -> Int? {
            for k in keys {
                guard let v = c[k], !(v is NSNull) else { continue }
                return try ConfigNumber.integer(v, key: k, path: path)
            }
            return nil
        }
        func need(_ keys: String...) throws(Failure) -> Int {
            for k in keys {
                guard let v = c[k], !(v is NSNull) else { continue }
                let n = try ConfigNumber.integer(v, key: k, path: path)
                guard n > 0 else { throw Failure(path: path, reason: "`\(k)` is \(n); it must be a positive integer") }
                return n
            }
            let null = keys.first { c[$0] is NSNull }
            throw Failure(
                path: path,
                reason: null.map { "`\($0)` is null; it must be a positive integer" }
                    ?? "`\(keys[0])` is missing; it is required to plan the model")
        }
        let layers = try need("num_hidden_layers", "n_layer", "num_layers")
        let hidden = try need("hidden_size", "n_embd", "d_model")
        let heads = try need("num_attention_heads", "n_head")
        let kvHeads = try int("num_key_value_heads") ?? heads
        let headDim = try int("head_dim") ?? hidden / heads
        let vocab = try need("vocab_size")
        let context = try int("max_position_embeddings", "max_sequence_length", "seq_length") ?? 4096
        let tied = (c["tie_word_embeddings"] as? Bool) ?? false

        var sliding: ModelArchitecture.SlidingWindow?
        let layerTypes = c["layer_types"] as? [String]
        if let window = try int("sliding_window"), window > 0, (c["use_sliding_window"] as? Bool) != false {
            if let types = layerTypes, let firstFull = types.firstIndex(of: "full_attention"),
                types.contains("sliding_attention")
            {
                sliding = .init(window: window, globalEvery: firstFull + 1)
            } else if let pattern = try int("sliding_window_pattern"), pattern > 1 {
                sliding = .init(window: window, globalEvery: pattern)
            } else {
                assumptions.append("sliding_window \(window) without a layer pattern: planned as full attention")
            }
            // Gemma 4: global layers with their own head size and KV heads, K reused as V.
            if let g = try int("global_head_dim"), g != headDim { sliding?.globalHeadDim = g }
            if let g = try int("num_global_key_value_heads") { sliding?.globalKvHeads = g }
            if (c["attention_k_eq_v"] as? Bool) == true { sliding?.globalSharedKV = true }
        }

        var moe: ModelArchitecture.MixtureOfExperts?
        if let experts = try int("num_experts", "num_local_experts", "n_routed_experts"), experts > 1 {
            let moeFFN = try int("moe_intermediate_size")
            let denseFFN = try int("intermediate_size")
            let expertFFN = moeFFN ?? denseFFN ?? 0
            let sharedFFN = try int("shared_expert_intermediate_size")
            moe = .init(
                experts: experts,
                activeExperts: try int("num_experts_per_tok", "num_experts_per_token", "experts_per_token") ?? 1,
                expertFfnSize: expertFFN,
                sharedExperts: try int("n_shared_experts") ?? (sharedFFN.map { $0 > 0 ? 1 : 0 }),
                sharedExpertFfnSize: sharedFFN, leadingDenseLayers: try int("first_k_dense_replace"))
            // DeepSeek V3 says scoring_func; GLM-4.5's model type implies it
            if (c["scoring_func"] as? String) == "sigmoid" || (c["model_type"] as? String) == "glm4_moe" {
                moe?.routing = .sigmoid
            }
            if let norm = c["norm_topk_prob"] as? Bool { moe?.normalizedWeights = norm }
            if let scale = (c["routed_scaling_factor"] as? NSNumber)?.doubleValue, scale > 0, scale != 1 {
                moe?.weightsScale = scale
            }
        }
        let ffn =
            moe == nil || (moe?.leadingDenseLayers ?? 0) > 0
            ? (try int("intermediate_size", "n_inner", "ffn_dim") ?? 4 * hidden) : 0

        var mla: ModelArchitecture.LatentAttention?
        if let kvLora = try int("kv_lora_rank"), kvLora > 0 {
            mla = .init(
                qLoraRank: try int("q_lora_rank") ?? 0, kvLoraRank: kvLora,
                qkNopeHeadDim: try int("qk_nope_head_dim") ?? 128,
                qkRopeHeadDim: try int("qk_rope_head_dim") ?? 64, vHeadDim: try int("v_head_dim") ?? 128)
        }

        var linear: ModelArchitecture.LinearAttention?
        let interval =
            try int("full_attention_interval")
            ?? layerTypes.flatMap { t in
                t.contains("linear_attention") ? t.firstIndex(of: "full_attention").map { $0 + 1 } : nil
            }
        if let interval, interval > 1, let kh = try int("linear_num_key_heads") {
            linear = .init(
                fullAttentionEvery: interval, keyHeads: kh, valueHeads: try int("linear_num_value_heads") ?? kh,
                keyHeadDim: try int("linear_key_head_dim") ?? 128,
                valueHeadDim: try int("linear_value_head_dim") ?? 128,
                convKernel: try int("linear_conv_kernel_dim") ?? 4)
        }

        var architecture = ModelArchitecture(
            layers: layers, hiddenSize: hidden, heads: heads, kvHeads: kvHeads, headDim: headDim, valueHeadDim: nil,
            ffnSize: ffn, vocabSize: vocab, contextLength: context, tiedEmbeddings: tied,
            slidingWindow: sliding, moe: moe, mla: mla, linearAttention: linear)
        if (c["model_type"] as? String) == "gpt_oss" { architecture.attentionSinks = true }
        if ["starcoder2", "gpt2", "gpt_bigcode", "phi"].contains(c["model_type"] as? String ?? "") {
            architecture.gatedFFN = false
        }

        // Quantization: quantization_config (transformers) or quantization (MLX).
        var format = SafetensorsFormat.float(bytes: 2)
        if let dtype = (c["torch_dtype"] ?? c["dtype"]) as? String, dtype.contains("32") { format = .float(bytes: 4) }
        func quantNumber(_ q: [String: Any], _ keys: [String], _ range: ClosedRange<Int>) throws(Failure) -> Int? {
            for k in keys {
                guard let v = q[k], !(v is NSNull) else { continue }
                let n = try ConfigNumber.integer(v, key: k, path: path)
                // GPTQ's group_size -1: one group per row (per-channel scales)
                if k.hasSuffix("group_size"), n == -1 { return hidden }
                guard range.contains(n) else {
                    throw Failure(
                        path: path,
                        reason:
                            "`\(k)` is \(n); fit plans \(range.lowerBound) to \(range.upperBound) (-1 for per-channel)")
                }
                return n
            }
            return nil
        }
        if let q = outer["quantization"] as? [String: Any] ?? c["quantization"] as? [String: Any],
            let bits = try quantNumber(q, ["bits"], 1...16)
        {
            format = .mlx(bits: bits, group: try quantNumber(q, ["group_size"], 1...1_048_576) ?? 64)
        } else if let q = outer["quantization_config"] as? [String: Any] ?? c["quantization_config"] as? [String: Any] {
            let method = (q["quant_method"] as? String ?? "").lowercased()
            let bits = try quantNumber(q, ["bits", "w_bit"], 1...16) ?? 4
            let group = try quantNumber(q, ["group_size", "q_group_size"], 1...1_048_576) ?? 128
            switch method {
            case "fp8": format = .fp8
            case "mxfp4": format = .mxfp4
            case "awq", "gptq", "autoround", "compressed-tensors", "bitsandbytes":
                format = .groupwise(bits: bits, group: group)
            default:
                assumptions.append("quant_method `\(method)` is not known to fit; planned as \(bits)-bit groupwise")
                format = .groupwise(bits: bits, group: group)
            }
        }
        if let problem = architecture.problems.first {
            throw Failure(
                path: path,
                reason: problem.what.map { "the config describes a model whose \(problem.described(as: $0))" }
                    ?? problem.described(as: "`\(configKeys[problem.field] ?? problem.field)`"))
        }
        let name = (path.parentFolder as NSString).lastPathComponent
        return HFModel(
            name: name.isEmpty ? "model" : name, architecture: architecture, format: format,
            weights: WeightLayout(architecture: architecture, format: format), assumptions: assumptions)
    }
}

extension ModelBuild {
    /// A config.json folder (safetensors weights), planned with llama.cpp's buffers unless a
    /// runtime preset says otherwise.
    public static func config(_ hf: HFModel, path: String) -> ModelBuild {
        let entry = CatalogModel(
            id: hf.name, name: hf.name, family: "safetensors", released: "", license: "", aliases: [],
            sources: [path], notes: nil, architecture: hf.architecture, quants: [])
        let tensors = TensorLayout(hf.architecture).tensors
        let work = BuildWork(
            modelID: hf.name, quant: nil, architecture: hf.architecture, weights: hf.weights,
            quantized: !hf.format.name.hasPrefix("BF16") && !hf.format.name.hasPrefix("F16"),
            activeParameters: hf.architecture.activeParameters(tensors))
        // vLLM and MLX serve a local folder as they serve a repo.
        let folder = path.hasSuffix("config.json") ? path.parentFolder : path
        let launch: ModelBuild.Launch =
            hf.format.name.hasPrefix("MLX")
            ? .mlx(repo: folder.isEmpty ? "." : folder) : .vllm(repo: folder.isEmpty ? "." : folder)
        return ModelBuild(
            model: entry, label: hf.format.name,
            origin: hf.weightsFromHeaders ? .safetensorsHeaders : hf.weightsFromIndex ? .safetensors : .format,
            work: work,
            launch: launch,
            notes: hf.assumptions.map(PlanNote.assumption) + [.llamaCppBuffers], tensors: tensors)
    }
}

extension HFModel {
    /// config.json keys of the architecture fields, for messages that name what the file says.
    static let configKeys: [String: String] = [
        "layers": "num_hidden_layers", "hiddenSize": "hidden_size", "heads": "num_attention_heads",
        "kvHeads": "num_key_value_heads", "headDim": "head_dim", "ffnSize": "intermediate_size",
        "vocabSize": "vocab_size", "contextLength": "max_position_embeddings",
        "slidingWindow.window": "sliding_window", "slidingWindow.globalEvery": "sliding_window_pattern",
        "slidingWindow.globalKvHeads": "num_global_key_value_heads", "slidingWindow.globalHeadDim": "global_head_dim",
        "moe.experts": "num_experts", "moe.activeExperts": "num_experts_per_tok",
        "moe.expertFfnSize": "moe_intermediate_size", "moe.sharedExperts": "n_shared_experts",
        "moe.sharedExpertFfnSize": "shared_expert_intermediate_size", "moe.leadingDenseLayers": "first_k_dense_replace",
        "mla.qLoraRank": "q_lora_rank", "mla.kvLoraRank": "kv_lora_rank", "mla.qkNopeHeadDim": "qk_nope_head_dim",
        "mla.qkRopeHeadDim": "qk_rope_head_dim", "mla.vHeadDim": "v_head_dim",
        "linearAttention.fullAttentionEvery": "full_attention_interval",
        "linearAttention.keyHeads": "linear_num_key_heads", "linearAttention.valueHeads": "linear_num_value_heads",
        "linearAttention.keyHeadDim": "linear_key_head_dim", "linearAttention.valueHeadDim": "linear_value_head_dim",
        "linearAttention.convKernel": "linear_conv_kernel_dim",
    ]
}

/// A JSON number read as a whole number, strictly: a string, a Boolean, a fraction, infinity or a
/// value beyond any model is an error that says what the file holds.
enum ConfigNumber {
    static func integer(_ v: Any, key: String, path: String) throws(HFModel.Failure) -> Int {
        guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else {
            throw HFModel.Failure(path: path, reason: "`\(key)` is \(describe(v)); it must be an integer")
        }
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded() else {
            throw HFModel.Failure(path: path, reason: "`\(key)` is \(n); it must be a whole number")
        }
        // 2^53: beyond every plausible range, and exact in a Double
        guard abs(d) <= 9_007_199_254_740_992 else {
            throw HFModel.Failure(path: path, reason: "`\(key)` is \(n), beyond any model fit can plan")
        }
        return Int(d)
    }

    static func describe(_ v: Any) -> String {
        switch v {
        case let s as String: "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case let n as NSNumber: n.boolValue ? "true" : "false"
        case is [Any]: "a list"
        case is [String: Any]: "an object"
        default: "not a number"
        }
    }
}
