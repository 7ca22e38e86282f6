import FitTestSupport
import Testing

@testable import FitCore

@Suite("Weights follow llama.cpp's per-tensor quant recipe", .onWorkerThreads)
struct RecipeTests {
    @Test("block sizes from ggml's type traits")
    func blocks() {
        #expect(GGMLType.q4_K.bitsPerWeight == 4.5)
        #expect(GGMLType.q6_K.bitsPerWeight == 6.5625)
        #expect(GGMLType.q8_0.bitsPerWeight == 8.5)
        #expect(GGMLType.mxfp4.bitsPerWeight == 4.25)
        #expect(GGMLType.iq4_XS.bytes(elements: 256) == 136)
    }

    @Test("use_more_bits picks the first and last eighth and every third layer between")
    func moreBits() {
        let picked = (0..<32).filter { QuantRecipe.moreBits($0, 32) }
        #expect(picked == [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31])
    }

    @Test("rows that are not a multiple of 256 fall back to a 32-block type")
    func fallback() {
        let r = QuantRecipe(scheme: .q4_K_M, architecture: Ref.llama31_8B)
        let odd = TensorShape(role: .ffnGate, layer: 5, rowWidth: 2880, rows: 10)
        #expect(r.type(of: odd, attentionVIndex: 0) == .q5_0)
    }

    /// Published Q4_K_M GGUF file sizes (their Hugging Face repos' file listings): tensors plus 6-8 MB of tokenizer metadata.
    @Test(
        "Q4_K_M predicts published files within 1%",
        arguments: [
            (Ref.llama31_8B, Int64(4_920_739_232)),
            (Ref.qwen25_7B, Int64(4_683_074_240)),
            (Ref.qwen3_30B_A3B, Int64(18_556_685_824)),
            (Ref.llama31_70B, Int64(42_520_398_400)),
        ])
    func publishedSizes(_ a: ModelArchitecture, _ published: Int64) {
        let predicted = WeightLayout(architecture: a, scheme: .q4_K_M).fileTensorBytes
        let error = Double(predicted - published) / Double(published)
        #expect(abs(error) < 0.01, "predicted \(predicted), published \(published), error \(error * 100)%")
    }

    @Test("tied embeddings: the GPU copy of the output is token_embd at the output type")
    func tied() {
        let w = WeightLayout(architecture: Ref.gemma3_12B, scheme: .q4_K_M)
        #expect(w.outputLayer >= w.tokenEmbedding)
        #expect(w.fileTensorBytes == w.tokenEmbedding + w.perLayer.reduce(0, +) + (w.outputLayer - w.tokenEmbedding))
    }

    @Test(
        "more bits never make a smaller file",
        arguments: [Ref.llama31_8B, Ref.qwen3_30B_A3B, Ref.gemma3_12B, Ref.deepseekV3])
    func ordering(_ a: ModelArchitecture) {
        let sizes = [QuantScheme.q2_K, .q3_K_M, .q4_K_M, .q5_K_M, .q6_K, .q8_0, .f16].map {
            WeightLayout(architecture: a, scheme: $0).fileTensorBytes
        }
        #expect(sizes == sizes.sorted())
    }

    @Test(
        "parameter counts match the published model sizes",
        arguments: [
            (Ref.llama31_8B, 8.03), (Ref.llama31_70B, 70.55), (Ref.qwen3_30B_A3B, 30.5), (Ref.deepseekV3, 671.0),
        ])
    func parameters(_ a: ModelArchitecture, _ billions: Double) {
        #expect(abs(Double(a.parameterCount) / 1e9 - billions) / billions < 0.01)
    }
}
