import FitTestSupport
import Testing

@testable import FitCore

@Suite(
    "the compute-buffer memo: the allocator's own answers, kept for the next run of the same build", .onWorkerThreads)
struct ComputeBufferMemoTests {
    let options = PlanOptions(context: TokenCount(32768))

    func planner(_ memo: ComputeBufferMemo?) -> MemoryPlanner {
        MemoryPlanner(model: Ref.model("llama", Ref.llama31_8B), scheme: .q4_K_M, memo: memo)
    }

    @Test("a memo answers what the allocator answers, and a stored table loads back into the same answers")
    func roundTrip() throws {
        let fresh = planner(nil).computeBytes(options)
        let memo = ComputeBufferMemo(build: 7)
        #expect(planner(memo).computeBytes(options) == fresh)
        let stored = try #require(memo.stored(), "a new buffer was computed, so there is something to keep")
        let next = ComputeBufferMemo(build: 7)
        next.load(stored)
        #expect(next.stored() == nil, "loading adds nothing new")
        var calls = 0
        #expect(
            next.bytes(
                Ref.llama31_8B, Self.shape(planner(nil), options),
                {
                    calls += 1
                    return 1
                }) == fresh)
        #expect(calls == 0, "the stored buffer is used, no graph is allocated")
    }

    @Test("another build's table, or a damaged one, is ignored whole")
    func foreignOrDamaged() throws {
        let memo = ComputeBufferMemo(build: 7)
        _ = planner(memo).computeBytes(options)
        let stored = try #require(memo.stored())
        for bytes in [stored, Array(stored.dropLast(3)), [UInt8](repeating: 0xff, count: 64), []] {
            let other = ComputeBufferMemo(build: bytes == stored ? 8 : 7)
            other.load(bytes)
            var calls = 0
            _ = other.bytes(
                Ref.llama31_8B, Self.shape(planner(nil), options),
                {
                    calls += 1
                    return 1
                })
            #expect(calls == 1, "nothing was taken from a foreign or damaged table")
        }
    }

    @Test("the architecture digest is the same for equal architectures and differs for any changed field")
    func digest() {
        var a = Ref.llama31_8B
        #expect(StableDigest.of(a) == StableDigest.of(Ref.llama31_8B))
        a.contextLength += 1
        #expect(StableDigest.of(a) != StableDigest.of(Ref.llama31_8B))
        var b = Ref.llama31_8B
        b.attentionSinks = false
        #expect(StableDigest.of(b) != StableDigest.of(Ref.llama31_8B), "an optional set to a value differs from absent")
    }

    @Test("past its size limit the stored table keeps only what the last run used")
    func bounded() throws {
        let first = ComputeBufferMemo(build: 7)
        var shape = Self.shape(planner(nil), options)
        for cells in 0...ComputeBufferMemo.maxStored {
            shape.cells = cells
            _ = first.bytes(Ref.llama31_8B, shape, { Int64(cells) })
        }
        let big = try #require(first.stored())
        let next = ComputeBufferMemo(build: 7)
        next.load(big)
        shape.cells = -1
        _ = next.bytes(Ref.llama31_8B, shape, { 1 })
        let small = try #require(next.stored())
        #expect(small.count < 100, "one entry, not \(ComputeBufferMemo.maxStored + 2)")
    }

    static func shape(_ p: MemoryPlanner, _ o: PlanOptions) -> ComputeBufferMemo.Shape {
        let cells = (0..<p.architecture.layers).map { p.cells(layer: $0, o) }.max() ?? 0
        return ComputeBufferMemo.Shape(
            cells: cells, tokens: min(o.context.count, o.ubatch), windowCells: 0,
            flashAttention: o.flashAttention, kvType: o.kvType)
    }
}
