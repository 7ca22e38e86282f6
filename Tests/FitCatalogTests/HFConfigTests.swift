import FitCatalog
import FitCore
import FitTestSupport
import Foundation
import Testing

let hfFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/hf").path

/// Real config.json files (sources in Tests/Fixtures/hf/README.md).
@Suite("Hugging Face config.json: architecture and weights by format", .onWorkerThreads)
struct HFConfigTests {
    func load(_ name: String) throws -> HFModel { try HFModel.load(hfFixtures + "/" + name) }

    @Test("Llama-3.1-8B-Instruct BF16: 8.03B parameters at 2 bytes")
    func llama() throws {
        let m = try load("llama-3.1-8b-instruct")
        #expect(m.format == .float(bytes: 2))
        #expect(m.architecture == Ref.llama31_8B)
        #expect(abs(Double(m.weights.fileTensorBytes) / 2 / 8.03e9 - 1) < 0.01)
    }

    @Test("Gemma 3 27B (multimodal): the text_config, with transformers' defaults for what it leaves out")
    func gemma() throws {
        let m = try load("gemma-3-27b-it")
        let a = m.architecture
        #expect(a.layers == 62 && a.hiddenSize == 5376 && a.heads == 32 && a.kvHeads == 16 && a.headDim == 128)
        #expect(a.slidingWindow == .init(window: 1024, globalEvery: 6))
        #expect(a.vocabSize == 262_208 && a.tiedEmbeddings)
        #expect(m.assumptions.contains { $0.contains("vocab_size") && $0.contains("defaults") })
        #expect(m.assumptions.contains { $0.contains("vision tower is not counted") })
    }

    @Test("DeepSeek-V3 FP8: MLA and shared experts from the config, about one byte per weight")
    func deepseek() throws {
        let m = try load("deepseek-v3")
        #expect(m.format == .fp8)
        #expect(
            m.architecture.mla
                == .init(qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128))
        #expect(
            m.architecture.moe?.experts == 256 && m.architecture.moe?.leadingDenseLayers == 3
                && m.architecture.moe?.sharedExperts == 1)
        let gb = Double(m.weights.fileTensorBytes) / 1e9
        #expect(gb > 660 && gb < 700, "\(gb) GB")  // 671B weights, 16-bit embeddings
    }

    @Test("gpt-oss-120b MXFP4: experts at 4.25 bits, the rest 16-bit: about 65 GB")
    func gptOSS() throws {
        let m = try load("gpt-oss-120b")
        #expect(m.format == .mxfp4)
        #expect(m.architecture.slidingWindow == .init(window: 128, globalEvery: 2))
        let gb = Double(m.weights.fileTensorBytes) / 1e9
        #expect(gb > 60 && gb < 67, "\(gb) GB")
    }

    @Test("an AWQ 4-bit g128 build: about 4.16 bits per weight, 16-bit embeddings")
    func awq() throws {
        let m = try load("qwen2.5-72b-instruct-ko-awq")
        #expect(m.format == .groupwise(bits: 4, group: 128))
        let bpw = Double(m.weights.fileTensorBytes * 8) / Double(m.architecture.parameterCount)
        #expect(bpw > 4.1 && bpw < 4.6, "\(bpw) bits per weight")
    }

    @Test("a config.json missing a required field: a sentence naming it")
    func missing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fit-hf-\(UUID().uuidString).json")
            .path
        try #"{"hidden_size": 4096, "num_attention_heads": 32, "vocab_size": 1000}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: HFModel.Failure.self) { try HFModel.load(path) }
        do { _ = try HFModel.load(path) } catch {
            #expect(error.description.contains("`num_hidden_layers` is missing"))
        }
    }
}
