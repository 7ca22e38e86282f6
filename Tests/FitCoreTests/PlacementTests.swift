import FitTestSupport
import Testing

@testable import FitCore

@Suite("Placement and verdicts, per device", .onWorkerThreads)
struct PlacementTests {
    let llama8B = Ref.model("llama-3.1-8b", Ref.llama31_8B)
    let llama70B = Ref.model("llama-3.1-70b", Ref.llama31_70B)

    func plan(_ m: CatalogModel, _ q: QuantScheme = .q4_K_M, ctx: Int, _ t: PlanTarget) -> MemoryPlan {
        MemoryPlanner(model: m, scheme: q, memo: Ref.memo).plan(PlanOptions(context: TokenCount(ctx)), on: t)
    }

    @Test(
        "model x machine x context -> verdict",
        arguments: [
            ("8B on a 24 GiB GPU at 8k", 8, 8192, 64.0, [24.0], Verdict.gpu),
            ("8B on a 24 GiB GPU at 128k", 8, 131072, 64.0, [24.0], Verdict.gpu),
            ("8B on an 8 GiB GPU at 128k", 8, 131072, 64.0, [8.0], Verdict.partial),
            ("70B on a 24 GiB GPU", 70, 8192, 64.0, [24.0], Verdict.partial),
            ("70B on two 24 GiB GPUs at 8k", 70, 8192, 64.0, [24.0, 24.0], Verdict.gpu),
            ("8B on a CPU with 32 GiB", 8, 65536, 32.0, [], Verdict.ram),
            ("70B on a CPU with 32 GiB", 70, 8192, 32.0, [], Verdict.none),
            ("70B on a 1 GiB GPU and 64 GiB RAM", 70, 8192, 64.0, [1.0], Verdict.ram),
        ])
    func verdicts(_ name: String, _ size: Int, _ ctx: Int, _ ram: Double, _ gpus: [Double], _ expected: Verdict) {
        let p = plan(size == 8 ? llama8B : llama70B, ctx: ctx, Ref.target(ramGiB: ram, gpusGiB: gpus))
        #expect(p.verdict == expected, "\(name): got \(p.verdict), \(p.gpuLayers)/\(p.totalLayers) layers")
    }

    @Test("full offload: token_embd stays in RAM, everything else on the GPU")
    func fullOffload() {
        let p = plan(llama8B, ctx: 8192, Ref.target(ramGiB: 64, gpusGiB: [24]))
        let host = p.devices[0]
        let gpu = p.devices[1]
        let w = llama8B.weights(.q4_K_M)
        #expect(p.gpuLayers == 33 && p.totalLayers == 33)
        #expect(host.memory.weightsBytes == w.tokenEmbedding)
        #expect(gpu.memory.weightsBytes == w.perLayer.reduce(0, +) + w.outputLayer)
        #expect(gpu.memory.kvCacheBytes == 1 << 30)
        #expect(gpu.memory.overheadBytes == Backend.cuda.overhead.bytes)
        #expect(gpu.memory.totalBytes <= gpu.capacityBytes)
    }

    @Test("two GPUs split layers in proportion to free memory and never exceed either")
    func multiGPU() {
        let p = plan(llama70B, ctx: 8192, Ref.target(ramGiB: 64, gpusGiB: [24, 24]))
        let gpus = p.devices.filter { $0.id != "cpu" }
        #expect(gpus.count == 2)
        #expect(gpus.allSatisfy { $0.memory.totalBytes <= $0.capacityBytes })
        #expect(abs(gpus[0].layerCount - gpus[1].layerCount) <= 1)
        #expect(gpus[1].holdsOutputLayer)
    }

    @Test("a unified-memory GPU draws on the same pool as the CPU")
    func unified() {
        let t = Ref.target(ramGiB: 100, gpusGiB: [0], unified: true)
        #expect(plan(llama70B, ctx: 8192, t).verdict == .gpu)
        #expect(plan(llama70B, .f16, ctx: 8192, t).verdict == .none)  // 141 GB of weights
    }

    @Test("more memory never turns fits into does not fit", arguments: [8192, 65536, 131072])
    func moreMemoryNeverHurts(_ ctx: Int) {
        for model in [llama8B, llama70B] {
            for q in [QuantScheme.q4_K_M, .q8_0] {
                var last = Verdict.none
                for ram in stride(from: 8.0, through: 256.0, by: 8.0) {
                    let v = plan(model, q, ctx: ctx, Ref.target(ramGiB: ram)).verdict
                    #expect(v <= last, "\(model.id) \(q) at \(ram) GiB got \(v) after \(last)")
                    last = v
                }
                var lastGPU = Verdict.none
                for vram in stride(from: 2.0, through: 160.0, by: 2.0) {
                    let v = plan(model, q, ctx: ctx, Ref.target(ramGiB: 64, gpusGiB: [vram])).verdict
                    #expect(v <= lastGPU, "\(model.id) \(q) at \(vram) GiB VRAM got \(v) after \(lastGPU)")
                    lastGPU = v
                }
            }
        }
    }

    @Test("a longer context never lowers the estimate")
    func longerContextNeverCheaper() {
        for a in [Ref.llama31_8B, Ref.gemma3_12B, Ref.qwen3_30B_A3B, Ref.deepseekV3, Ref.qwen3Next80B] {
            let m = Ref.model("m", a)
            let planner = MemoryPlanner(model: m, scheme: .q4_K_M, memo: Ref.memo)
            var last: Int64 = 0
            for ctx in stride(from: 256, through: 262144, by: 4096) {
                let total = planner.plan(PlanOptions(context: TokenCount(ctx)), on: Ref.target(ramGiB: 4096)).memory
                    .totalBytes
                #expect(total >= last)
                last = total
            }
        }
    }

    @Test("the largest context is exact: it keeps the verdict and 256 tokens more do not")
    func maxContext() {
        let t = Ref.target(ramGiB: 64, gpusGiB: [12])
        let planner = MemoryPlanner(model: llama8B, scheme: .q4_K_M, memo: Ref.memo)
        let o = PlanOptions(context: TokenCount(8192))
        let max = planner.maxContext(o, on: t, atLeast: .gpu)
        #expect(max != nil)
        if let max {
            #expect(planner.plan(o.with(context: max), on: t).verdict == .gpu)
            #expect(planner.plan(o.with(context: TokenCount(max.count + 256)), on: t).verdict != .gpu)
        }
        #expect(planner.maxContext(o, on: Ref.target(ramGiB: 1), atLeast: .ram) == nil)
    }

    @Test("the CPU-only shortcut the list uses sums exactly what the full plan does")
    func hostOnlyShortcut() {
        for a in [Ref.llama31_8B, Ref.gemma3_12B, Ref.qwen3_30B_A3B, Ref.deepseekV3, Ref.qwen3Next80B] {
            for q in [QuantScheme.q4_K_M, .q8_0] {
                let planner = MemoryPlanner(model: Ref.model("m", a), scheme: q, memo: Ref.memo)
                for ctx in [256, 4000, 32768, 131072] {
                    for fa in [true, false] {
                        let o = PlanOptions(context: TokenCount(ctx), flashAttention: fa)
                        #expect(
                            planner.hostOnlyTotal(o) == planner.plan(o, on: Ref.target(ramGiB: 4096)).memory.totalBytes)
                    }
                }
            }
        }
    }

    @Test("list puts the most useful answers first")
    func listOrder() {
        let rows = FitList.evaluate(
            models: [llama8B, llama70B], target: Ref.target(ramGiB: 64, gpusGiB: [24]),
            options: PlanOptions(context: TokenCount(8192)), contextFor: nil, speed: Ref.noSpeed, largestContext: true,
            memo: Ref.memo)
        #expect(rows.map(\.verdict) == rows.map(\.verdict).sorted())
        let firstPartial = rows.firstIndex { $0.verdict == .partial }
        #expect(rows.first?.verdict == .gpu && firstPartial != nil)
        // within a verdict, the larger model first; within a model, more bits first
        let gpuRows = rows.filter { $0.verdict == .gpu && $0.model == "llama-3.1-8b" }
        #expect(gpuRows.map(\.quant.nominalBits) == gpuRows.map(\.quant.nominalBits).sorted(by: >))
    }
}

@Suite("Answers people ask for", .onWorkerThreads)
struct AnswerTests {
    @Test("the build to use per model: the best verdict, then Q4_K_M or the next larger build, never below 4 bits")
    func best() {
        let models = [Ref.model("llama-3.1-8b", Ref.llama31_8B), Ref.model("llama-3.1-70b", Ref.llama31_70B)]
        let rows = FitList.evaluate(
            models: models, target: Ref.target(ramGiB: 64, gpusGiB: [24]),
            options: PlanOptions(context: TokenCount(8192)),
            contextFor: nil, speed: Ref.noSpeed, largestContext: false, memo: Ref.memo)
        let best = BuildChoice.perModel(rows)
        #expect(best.count == 2)
        // F16 fits the 24 GiB GPU too, but more bits cost speed without evidence of better work
        let small = best.first { $0.model == "llama-3.1-8b" }
        #expect(rows.contains { $0.model == "llama-3.1-8b" && $0.quant == .f16 && $0.verdict == .gpu })
        #expect(small?.verdict == .gpu && small?.quant == .q4_K_M)
        // the 70B fits only by offloading: still Q4_K_M, not the Q8_0 that also fits partly
        let big = best.first { $0.model == "llama-3.1-70b" }
        #expect(big?.verdict == .partial && big?.quant == .q4_K_M)
        // a model that fits only below 4 bits has no build to use
        let tiny = Ref.target(ramGiB: 6)
        let only3 = FitList.evaluate(
            models: [models[0]], target: tiny, options: PlanOptions(context: TokenCount(8192)), contextFor: nil,
            speed: Ref.noSpeed, largestContext: false, memo: Ref.memo)
        if only3.filter(\.fits).allSatisfy(\.quant.isBelowFourBits) { #expect(BuildChoice.perModel(only3).isEmpty) }
    }

    @Test("parallel sequences each get the context: KV scales with -np, and -c is the total")
    func slots() {
        let planner = MemoryPlanner(model: Ref.model("llama", Ref.llama31_8B), scheme: .q4_K_M, memo: Ref.memo)
        let one = planner.plan(PlanOptions(context: TokenCount(32768)), on: Ref.target(ramGiB: 64))
        let four = planner.plan(PlanOptions(context: TokenCount(32768), slots: 4), on: Ref.target(ramGiB: 64))
        #expect(four.memory.kvCacheBytes == 4 * one.memory.kvCacheBytes)
        let flags = LaunchFlags.llamaServer(modelFile: "m.gguf", plan: four, devices: 0)
        #expect(flags.contains("131072") && flags.contains("-np"))
    }
}
