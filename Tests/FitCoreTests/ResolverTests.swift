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

    @Test("unknown names get the closest entries")
    func suggestions() {
        guard case .unknown(let s) = resolver.resolve("lama-3.1-8b") else {
            Issue.record("resolved")
            return
        }
        #expect(s.first == "llama-3.1-8b-instruct")
    }
}
