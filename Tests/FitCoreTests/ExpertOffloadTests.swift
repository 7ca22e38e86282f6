import FitTestSupport
import Testing

@testable import FitCore

@Suite("MoE expert offload (--n-cpu-moe, --cpu-moe)", .onWorkerThreads)
struct ExpertOffloadTests {
    let moe = Ref.model("qwen3-30b-a3b", Ref.qwen3_30B_A3B)
    let target = Ref.target(ramGiB: 64, gpusGiB: [12])

    func plan(_ cpuMoE: Int, ctx: Int = 32768) -> MemoryPlan {
        var o = PlanOptions(context: TokenCount(ctx))
        o.experts = .firstLayersInRAM(cpuMoE)
        return MemoryPlanner(model: moe, scheme: .q4_K_M, memo: Ref.memo).plan(
            o, on: Ref.target(ramGiB: 64, gpusGiB: [80]))
    }

    @Test("the experts of the first N layers move from the GPU to RAM, byte for byte")
    func moves() {
        let all = plan(0)
        let some = plan(10)
        let w = moe.weights(.q4_K_M)
        let moved = w.perLayerExperts.prefix(10).reduce(0, +)
        #expect(all.verdict == .gpu && some.verdict == .partial)
        #expect(some.devices[1].memory.weightsBytes == all.devices[1].memory.weightsBytes - moved)
        #expect(some.devices[0].memory.weightsBytes == all.devices[0].memory.weightsBytes + moved)
        #expect(some.gpuLayers == 49)
        #expect(
            plan(1000).devices[1].memory.weightsBytes == all.devices[1].memory.weightsBytes
                - w.perLayerExperts.reduce(0, +))
    }

    @Test("the suggestion is the fewest layers that keep everything else on the GPU")
    func suggestion() {
        let planner = MemoryPlanner(model: moe, scheme: .q4_K_M, memo: Ref.memo)
        let o = PlanOptions(context: TokenCount(32768))
        guard let n = planner.expertOffload(o, on: target) else {
            Issue.record("no suggestion")
            return
        }
        var fits = o
        var tooFew = o
        fits.experts = .firstLayersInRAM(n)
        tooFew.experts = .firstLayersInRAM(n - 1)
        #expect(planner.plan(fits, on: target).gpuLayers == 49)
        #expect(planner.plan(tooFew, on: target).gpuLayers < 49)
        let flags = LaunchFlags.llamaServer(modelFile: "m.gguf", plan: planner.plan(fits, on: target), devices: 1)
        #expect(flags.suffix(2) == ["--n-cpu-moe", String(n)])
    }

    @Test("--cpu-moe launches as --cpu-moe, not as a huge --n-cpu-moe count, and plans every expert in RAM")
    func allExperts() {
        var o = PlanOptions(context: TokenCount(32768))
        o.experts = .allInRAM
        let planner = MemoryPlanner(model: moe, scheme: .q4_K_M, memo: Ref.memo)
        let p = planner.plan(o, on: Ref.target(ramGiB: 64, gpusGiB: [80]))
        let flags = LaunchFlags.llamaServer(modelFile: "m.gguf", plan: p, devices: 1)
        #expect(flags.contains("--cpu-moe"))
        #expect(!flags.contains("--n-cpu-moe"))
        #expect(!flags.contains { $0.count > 6 && Int($0) != nil })
        #expect(
            p.devices[1].memory.weightsBytes == plan(0).devices[1].memory.weightsBytes
                - moe.weights(.q4_K_M).perLayerExperts.reduce(0, +))
    }

    @Test("no suggestion for dense models, or when the model already fits")
    func none() {
        let dense = MemoryPlanner(model: Ref.model("llama", Ref.llama31_8B), scheme: .q4_K_M, memo: Ref.memo)
        #expect(dense.expertOffload(PlanOptions(context: TokenCount(8192)), on: target) == nil)
        let planner = MemoryPlanner(model: moe, scheme: .q4_K_M, memo: Ref.memo)
        #expect(
            planner.expertOffload(PlanOptions(context: TokenCount(8192)), on: Ref.target(ramGiB: 64, gpusGiB: [80]))
                == nil)
    }
}
