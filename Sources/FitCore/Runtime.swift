/// Runtime presets: each runtime's real defaults (llama-server's `common/arg.cpp`, Ollama's `envconfig`, vLLM's engine arguments, mlx-lm's server).
public enum Runtime: String, Sendable, CaseIterable, Codable {
    case llamaCpp = "llama.cpp"
    case ollama
    case vllm
    case mlx

    /// The context a runtime uses when none is asked for.
    /// - llama-server: `-c 0`, the model's training context.
    /// - Ollama (since Jan 2026): by total VRAM: >= 47 GiB -> 262144, >= 23 GiB -> 32768, else 4096
    ///   (never beyond the model's own context).
    /// - vLLM and MLX: `max_model_len` / the model's training context.
    public func defaultContext(model: ModelArchitecture, totalVRAM: ByteCount) -> TokenCount {
        switch self {
        case .llamaCpp, .vllm, .mlx: return TokenCount(model.contextLength)
        case .ollama:
            let byVRAM = totalVRAM >= .gib(47) ? 262_144 : totalVRAM >= .gib(23) ? 32768 : 4096
            return TokenCount(min(byVRAM, model.contextLength))
        }
    }

    /// Applies the runtime's other defaults to `o`.
    /// - llama-server: 4 slots sharing one unified KV cache; flash attention auto (on); f16 KV.
    /// - Ollama: one sequence (OLLAMA_NUM_PARALLEL 1); it runs llama-server with `--fit` since May 2026.
    /// - vLLM: no CPU offload: the model, its activations and the KV for one request at
    ///   `max_model_len` must fit in `gpu_memory_utilization` (0.9) of each GPU, or it refuses to start.
    /// - MLX: one sequence; unified memory (the Metal working-set limit applies through the machine).
    public func apply(to o: PlanOptions) -> PlanOptions {
        var x = o
        switch self {
        case .llamaCpp:
            x.slots = 4
            x.unifiedKV = true
        case .ollama, .mlx:
            x.slots = 1
        case .vllm:
            x.slots = 1
            x.gpuOnly = true
        }
        return x
    }

    /// vLLM takes a fraction of each GPU's total memory; the others keep llama.cpp's 1 GiB margin.
    public func target(_ t: PlanTarget, machine: MachineDescription) -> PlanTarget {
        guard self == .vllm else { return t }
        var t = t
        for i in t.gpus.indices where !t.gpus[i].sharesHostMemory {
            if let total = machine.gpus.first(where: { "gpu\($0.index)" == t.gpus[i].id })?.memoryTotal.value {
                t.gpus[i].capacity = ByteCount(Int64(Double(total.bytes) * 0.9))
            }
        }
        return t
    }
}
