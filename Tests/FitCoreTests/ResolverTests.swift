import FitCore
import FitTestSupport
import Testing

@Suite("Model names resolve the way people type them", .onWorkerThreads)
struct ResolverTests {
    let resolver: ModelResolver = {
        var coder = Ref.model("qwen3-coder-30b-a3b-instruct", Ref.qwen3_30B_A3B)
        coder.aliases = ["Qwen/Qwen3-Coder-30B-A3B-Instruct", "qwen3-coder:30b"]
        var llama = Ref.model("llama-3.1-8b-instruct", Ref.llama31_8B)
        llama.aliases = ["meta-llama/Llama-3.1-8B-Instruct", "llama3.1:8b"]
        return ModelResolver(models: [coder, llama])
    }()

    @Test(
        "ids, Hugging Face repo ids and Ollama tags",
        arguments: [
            ("qwen3-coder-30b-a3b-instruct", "qwen3-coder-30b-a3b-instruct"),
            ("Qwen/Qwen3-Coder-30B-A3B-Instruct", "qwen3-coder-30b-a3b-instruct"),
            ("qwen/qwen3-coder-30b-a3b-instruct", "qwen3-coder-30b-a3b-instruct"),
            ("hf.co/meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b-instruct"),
            ("qwen3-coder:30b", "qwen3-coder-30b-a3b-instruct"),
            ("llama3.1:8b", "llama-3.1-8b-instruct"),
        ])
    func resolves(_ name: String, _ id: String) {
        guard case .found(let m, _) = resolver.resolve(name) else {
            Issue.record("\(name) did not resolve")
            return
        }
        #expect(m.id == id)
    }

    @Test("an Ollama tag with a quant suffix names the quant too")
    func quantSuffix() {
        #expect(resolver.resolve("qwen3-coder:30b-q8_0") == .found(resolver.models[0], quant: .q8_0))
    }

    /// Ollama's names: a bare name is its `:latest` tag, which may not be the model whose id it
    /// spells (Ollama's `deepseek-r1` is the 8B distill, not the 671B model).
    let ollama: ModelResolver = {
        var r1 = Ref.model("deepseek-r1-671b", Ref.qwen3_30B_A3B)
        r1.aliases = ["deepseek-ai/DeepSeek-R1", "deepseek-r1"]
        var distill = Ref.model("deepseek-r1-0528-qwen3-8b", Ref.llama31_8B)
        distill.aliases = ["deepseek-r1:8b", "deepseek-r1:latest"]
        var qwen32 = Ref.model("deepseek-r1-distill-qwen-32b", Ref.llama31_8B)
        qwen32.aliases = ["deepseek-r1:32b"]
        var gemma = Ref.model("gemma-3-27b-it", Ref.llama31_8B)
        gemma.aliases = ["gemma3:27b"]
        var qwen3 = Ref.model("qwen3-30b-a3b", Ref.qwen3_30B_A3B)
        qwen3.aliases = ["qwen3:30b-a3b", "unsloth/Qwen3-30B-A3B-GGUF"]
        return ModelResolver(models: [r1, distill, qwen32, gemma, qwen3])
    }()

    @Test(
        "Ollama names as `ollama run` and `ollama list` spell them, and Unsloth's dynamic quants",
        arguments: [
            ("deepseek-r1", "deepseek-r1-0528-qwen3-8b", nil as QuantScheme?),
            ("deepseek-r1:latest", "deepseek-r1-0528-qwen3-8b", nil),
            ("registry.ollama.ai/library/deepseek-r1:8b", "deepseek-r1-0528-qwen3-8b", nil),
            ("deepseek-r1:32b-qwen-distill-q4_K_M", "deepseek-r1-distill-qwen-32b", .q4_K_M),
            ("gemma3:27b-it-qat", "gemma-3-27b-it", .q4_0),
            ("gemma3:27b-it-fp16", "gemma-3-27b-it", .f16),
            ("deepseek-ai/DeepSeek-R1", "deepseek-r1-671b", nil),
            ("hf.co/unsloth/Qwen3-30B-A3B-GGUF:UD-Q4_K_XL", "qwen3-30b-a3b", .q4_K_M),
            ("unsloth/Qwen3-30B-A3B-GGUF:Q8_0", "qwen3-30b-a3b", .q8_0),
        ])
    func ollamaNames(_ name: String, _ id: String, _ quant: QuantScheme?) {
        guard case .found(let m, let q) = ollama.resolve(name) else {
            Issue.record("\(name) did not resolve")
            return
        }
        #expect(m.id == id, "\(name)")
        #expect(q == quant, "\(name)")
    }

    @Test(
        "words after the size count only when the model's id carries them: another checkpoint is not guessed",
        arguments: ["qwen3:30b-a3b-instruct-2507-q4_K_M", "deepseek-r1:8b-llama-distill-q4_K_M", "gemma3:27b-pt"])
    func ollamaTagNotGuessed(_ name: String) {
        guard case .unknown = ollama.resolve(name) else {
            Issue.record("\(name) resolved to \(ollama.resolve(name))")
            return
        }
    }

    @Test("unknown names get the closest entries")
    func suggestions() {
        guard case .unknown(let s) = resolver.resolve("lama-3.1-8b") else {
            Issue.record("resolved")
            return
        }
        #expect(s.first == "llama-3.1-8b-instruct")
    }
}
