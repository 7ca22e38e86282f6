import FitCore
import FitTestSupport
import Testing

@Suite("Runtime presets apply each runtime's real defaults", .onWorkerThreads)
struct RuntimeTests {
    let qwen3 = Ref.qwen3_30B_A3B  // trained for 40,960 tokens

    @Test(
        "default contexts: llama-server and vLLM use the training context; Ollama goes by VRAM",
        arguments: [
            (Runtime.llamaCpp, 24.0, 40960), (.vllm, 24.0, 40960), (.ollama, 48.0, 40960), (.ollama, 24.0, 32768),
            (.ollama, 8.0, 4096),
        ])
    func contexts(_ r: Runtime, _ vramGiB: Double, _ expected: Int) {
        #expect(r.defaultContext(model: qwen3, totalVRAM: .gib(vramGiB)) == TokenCount(expected))
    }

    @Test("llama-server's 4 slots share one KV cache of the context")
    func llamaServerSlots() {
        let planner = MemoryPlanner(model: Ref.model("m", Ref.llama31_8B), scheme: .q4_K_M, memo: Ref.memo)
        let o = Runtime.llamaCpp.apply(to: PlanOptions(context: TokenCount(32768)))
        #expect(o.slots == 4 && o.unifiedKV)
        let shared = planner.plan(o, on: Ref.target(ramGiB: 64))
        let single = planner.plan(PlanOptions(context: TokenCount(32768)), on: Ref.target(ramGiB: 64))
        #expect(shared.memory.kvCacheBytes == single.memory.kvCacheBytes)
        #expect(shared.memory.outputBytes == 4 * single.memory.outputBytes)
        let flags = LaunchFlags.llamaServer(modelFile: "m.gguf", plan: shared, devices: 0)
        #expect(flags.contains("32768") && flags.contains("--kv-unified"))
    }

    @Test("vLLM cannot offload to the CPU: partial offload is 'does not fit'")
    func vllmGPUOnly() {
        let planner = MemoryPlanner(model: Ref.model("m", Ref.llama31_70B), scheme: .q4_K_M, memo: Ref.memo)
        let t = Ref.target(ramGiB: 128, gpusGiB: [24])
        #expect(planner.plan(PlanOptions(context: TokenCount(8192)), on: t).verdict == .partial)
        #expect(planner.plan(Runtime.vllm.apply(to: PlanOptions(context: TokenCount(8192))), on: t).verdict == .none)
    }
}
