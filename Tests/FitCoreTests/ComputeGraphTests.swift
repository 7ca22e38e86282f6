import FitTestSupport
import Testing

@testable import FitCore

/// ggml-alloc's rules, one at a time, on graphs small enough to follow by hand (f32 rows of 1024
/// values: 4 KiB each).
@Suite("the graph allocator behaves as ggml-alloc", .onWorkerThreads)
struct ComputeGraphAllocatorTests {
    let row: Int64 = 4096

    @Test("an op that can run in place takes over its parent's memory when it is the only consumer")
    func inPlace() {
        var g = ComputeGraph()
        let x = g.input("x", .f32, [1024])  // 0-4 KiB, read again at the end
        let a = g.op(.mulMat, .f32, [1024], [x])  // 4-8 KiB
        let b = g.op(.unary, .f32, [1024], [a])  // silu(a): in a's place
        let c = g.op(.add, .f32, [1024], [b, x])  // in b's place
        g.expand(c)
        #expect(g.allocate() == 2 * row)
        var events: [ComputeGraph.Event] = []
        _ = g.allocate { events.append($0) }
        #expect(events.filter { if case .reuse = $0 { true } else { false } }.count == 2)
        #expect(events.filter { if case .alloc = $0 { true } else { false } }.count == 2)
    }

    @Test("an op that cannot run in place gets memory of its own")
    func notInPlace() {
        var g = ComputeGraph()
        let x = g.input("x", .f32, [1024])
        let a = g.op(.mulMat, .f32, [1024], [x])
        let b = g.op(.cont, .f32, [1024], [a])  // 8-12 KiB
        let c = g.op(.add, .f32, [1024], [b, x])
        g.expand(c)
        #expect(g.allocate() == 3 * row)
    }

    @Test("a tensor another consumer still has to read is not overwritten")
    func sharedParent() {
        var g = ComputeGraph()
        let x = g.input("x", .f32, [1024])
        let a = g.op(.mulMat, .f32, [1024], [x])
        let b = g.op(.unary, .f32, [1024], [a])  // a is read again by c: b gets 8-12 KiB
        let c = g.op(.add, .f32, [1024], [b, a])  // in b's place
        let d = g.op(.add, .f32, [1024], [c, x])
        g.expand(d)
        #expect(g.allocate() == 3 * row)
    }

    @Test("the buffer is the highest offset reached, holes included")
    func fragmentation() {
        var g = ComputeGraph()
        let x = g.input("x", .f32, [1024])  // 0-4 KiB, live to the end
        let a = g.op(.mulMat, .f32, [1024], [x])  // 4-8 KiB, freed once b has run
        let b = g.op(.mulMat, .f32, [2048], [a])  // 8-16 KiB
        let c = g.op(.mulMat, .f32, [1536], [b])  // 6 KiB: a's 4 KiB hole is too small, so 16-22 KiB
        let d = g.op(.add, .f32, [1536], [c, x])
        g.expand(d)
        let expected: Int64 = 22 * 1024  // while at most 18 KiB are live at once
        #expect(g.allocate() == expected)
    }

    @Test("views take no memory and keep their source alive until their last consumer has run")
    func views() {
        var g = ComputeGraph()
        let x = g.input("x", .f32, [2048])
        let a = g.op(.mulMat, .f32, [2048], [x])
        let v = g.view(a, [1024])
        let b = g.op(.mulMat, .f32, [1024], [x])
        let c = g.op(.add, .f32, [1024], [b, v])  // b in place; a freed only now
        g.expand(c)
        let expected: Int64 = 20 * 1024  // x 8 + a 8 + b 4
        #expect(g.allocate() == expected)
    }
}

@Suite("the compute buffer from llama.cpp's graph", .onWorkerThreads)
struct LlamaGraphTests {
    @Test("a longer context never shrinks the dense-model buffer by more than fragmentation can")
    func grows() {
        let planner = MemoryPlanner(
            architecture: Ref.llama31_8B, weights: WeightLayout(architecture: Ref.llama31_8B, scheme: .q4_K_M),
            memo: Ref.memo)
        var last: Int64 = 0
        for ctx in stride(from: 4096, through: 131072, by: 4096) {
            let bytes = planner.computeBytes(PlanOptions(context: TokenCount(ctx), flashAttention: false))
            #expect(bytes >= last)
            last = bytes
        }
    }

    @Test("Llama 3.1 8B at 32k without flash attention: the f32 [n_kv, ubatch, heads] scores dominate")
    func scores() throws {
        let o = PlanOptions(context: TokenCount(32768), flashAttention: false)
        let g = try #require(LlamaGraph.build(Ref.llama31_8B, o, cells: 32768))
        // llama.cpp b11312 reserves 2156.01 MiB (Reports/validation/llamacpp-memory.json)
        let mib = Double(g.allocate()) / 1_048_576
        #expect(abs(mib - 2156.01) < 0.01)
        let scores: Double = 2048  // f32 [32768 cells, 512 tokens, 32 heads] in MiB
        #expect(mib > scores)
    }

    @Test("architectures without a builder are left to the closed form")
    func uncovered() {
        #expect(LlamaGraph.build(Ref.gemma3_12B, PlanOptions(context: TokenCount(4096)), cells: 4096) == nil)
    }
}
