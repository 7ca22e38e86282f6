import FitTestSupport
import Testing

@testable import FitCore

/// Worked values by hand from llama.cpp 0c1e57098's allocation rules (2026-10).
@Suite("The memory model agrees with llama.cpp's worked values", .onWorkerThreads)
struct MemoryModelTests {
    func kv(_ a: ModelArchitecture, ctx: Int, _ kv: KVCacheType = .f16) -> Int64 {
        let p = MemoryPlanner(architecture: a, weights: WeightLayout(architecture: a, scheme: .q4_K_M), memo: Ref.memo)
        let o = PlanOptions(context: TokenCount(ctx), kvType: kv)
        return (0..<a.layers).reduce(0) { $0 + p.kvBytes(layer: $1, o) }
    }

    @Test("KV cache of full attention with GQA: Llama-3.1-8B is 128 KiB per token")
    func llamaKV() {
        #expect(kv(Ref.llama31_8B, ctx: 4096) == 512 << 20)
        #expect(kv(Ref.llama31_8B, ctx: 131072) == 16 << 30)
        #expect(kv(Ref.llama31_8B, ctx: 4000) == 512 << 20)  // padded to 256 cells
        #expect(kv(Ref.qwen3_30B_A3B, ctx: 1) * 1 == 96 * 1024 * 256)  // 96 KiB/token x 256 cells
    }

    @Test(
        "sliding-window layers hold window + ubatch cells: Gemma-3-12B",
        arguments: [
            (4096, 736), (32768, 2528), (131072, 8672),
        ])
    func gemmaKV(_ ctx: Int, _ mib: Int64) {
        #expect(kv(Ref.gemma3_12B, ctx: ctx) == mib << 20)
    }

    @Test("quantized KV types use their block sizes")
    func quantizedKV() {
        #expect(kv(Ref.llama31_8B, ctx: 131072, .q8_0) == (16 << 30) / 64 * 34)
        #expect(kv(Ref.llama31_8B, ctx: 131072, .q4_0) == (16 << 30) / 64 * 18)
    }

    @Test("MLA caches only the compressed latent: DeepSeek-V3 is 68.6 KiB per token")
    func mla() {
        #expect(kv(Ref.deepseekV3, ctx: 256) == 61 * 576 * 2 * 256)
    }

    @Test("linear-attention layers keep a fixed state: Qwen3-Next-80B is 75.4 MiB per sequence")
    func recurrent() {
        let a = Ref.qwen3Next80B
        let p = MemoryPlanner(architecture: a, weights: WeightLayout(architecture: a, scheme: .q4_K_M), memo: Ref.memo)
        let o = PlanOptions(context: TokenCount(4096))
        let state = (0..<a.layers).reduce(Int64(0)) { $0 + p.recurrentBytes(layer: $1, o) }
        #expect(abs(ByteCount(state).mib - 75.4) < 0.1)
        // and it does not grow with context
        let longer = (0..<a.layers).reduce(Int64(0)) {
            $0 + p.recurrentBytes(layer: $1, o.with(context: TokenCount(262144)))
        }
        #expect(longer == state)
    }

    @Test(
        "compute buffer with flash attention: 4 x ubatch x (vocab + 2 x embd)",
        arguments: [
            (Ref.llama31_8B, 266.5), (Ref.qwen3_30B_A3B, 304.75), (Ref.gemma3_12B, 527.1),
        ])
    func computeFA(_ a: ModelArchitecture, _ mib: Double) {
        let p = MemoryPlanner(architecture: a, weights: WeightLayout(architecture: a, scheme: .q4_K_M), memo: Ref.memo)
        #expect(abs(ByteCount(p.computeBytes(PlanOptions(context: TokenCount(8192)))).mib - mib) < 0.1)
    }

    @Test("compute buffer without flash attention grows with context: Llama-3-8B 572.01 MiB at 8k, 8.3 GiB at 128k")
    func computeNoFA() {
        let a = Ref.llama31_8B
        let p = MemoryPlanner(architecture: a, weights: WeightLayout(architecture: a, scheme: .q4_K_M), memo: Ref.memo)
        // A hand calculation rounds to 572 MiB; llama.cpp b11312 reserves 572.01 (Reports/validation/)
        let mib = Double(p.computeBytes(PlanOptions(context: TokenCount(8192), flashAttention: false))) / 1_048_576
        #expect(abs(mib - 572.01) < 0.01)
        #expect(
            abs(ByteCount(p.computeBytes(PlanOptions(context: TokenCount(131072), flashAttention: false))).gib - 8.3)
                < 0.05)
    }

    @Test("logits buffer is vocab x slots x 4 bytes")
    func outputBuffer() {
        let p = MemoryPlanner(
            architecture: Ref.llama31_8B, weights: WeightLayout(architecture: Ref.llama31_8B, scheme: .q4_K_M),
            memo: Ref.memo)
        #expect(p.outputBytes(PlanOptions(context: TokenCount(8192))) == 128256 * 4)
    }
}
