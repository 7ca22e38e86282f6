import FitCatalog
import Foundation
import Testing

@Suite("Ollama names and manifests")
struct OllamaNameTests {
    @Test("names parse the way `ollama pull` reads them: host, namespace, model, tag")
    func names() throws {
        let cases: [(String, String, String, String, String)] = [
            ("qwen3", "registry.ollama.ai", "library", "qwen3", "latest"),
            (
                "qwen2.5-coder:32b-instruct-q4_K_M", "registry.ollama.ai", "library", "qwen2.5-coder",
                "32b-instruct-q4_K_M"
            ),
            ("ollama.com/library/gemma3:27b-it-qat", "registry.ollama.ai", "library", "gemma3", "27b-it-qat"),
            ("https://ollama.com/library/gpt-oss", "registry.ollama.ai", "library", "gpt-oss", "latest"),
            ("registry.ollama.ai/library/llama3.1:8b", "registry.ollama.ai", "library", "llama3.1", "8b"),
            (
                "mannix/llama3.1-8b-abliterated:q5_k_m", "registry.ollama.ai", "mannix", "llama3.1-8b-abliterated",
                "q5_k_m"
            ),
            ("hf.co/unsloth/Qwen3-8B-GGUF:UD-Q4_K_XL", "hf.co", "unsloth", "Qwen3-8B-GGUF", "UD-Q4_K_XL"),
            ("huggingface.co/bartowski/gemma-2-2b-it-GGUF", "hf.co", "bartowski", "gemma-2-2b-it-GGUF", "latest"),
        ]
        for (text, host, namespace, model, tag) in cases {
            let n = try #require(OllamaName.parse(text), "\(text)")
            #expect(n == OllamaName(host: host, namespace: namespace, model: model, tag: tag), "\(text)")
        }
        #expect(OllamaName.parse("qwen3")?.description == "qwen3:latest")
        #expect(OllamaName.parse("hf.co/unsloth/Qwen3-8B-GGUF:Q8_0")?.isHub == true)
    }

    @Test("what is not an Ollama name is refused: paths, empty parts, odd characters, a digest, four parts")
    func notNames() {
        for text in [
            "", "/models/x.gguf", "./x", "a//b", "a/b/c/d", "qwen3:", ":8b", "qwen 3", "qwen3@sha256:abc", "../etc",
            "q$wen", "x:" + String(repeating: "t", count: 81), "-rf", "evil/../x:1",
        ] {
            #expect(OllamaName.parse(text) == nil, "\(text)")
        }
    }

    @Test("a manifest gives the model layer; bad digests, sizes and layer counts are refused with the range")
    func manifests() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let good = """
            {"schemaVersion":2,"layers":[
              {"mediaType":"application/vnd.ollama.image.model","digest":"\(digest)","size":4683074048},
              {"mediaType":"application/vnd.ollama.image.projector","digest":"\(digest)","size":851251104},
              {"mediaType":"application/vnd.ollama.image.template","digest":"\(digest)","size":1615}]}
            """
        let m = try OllamaManifest.parse(Data(good.utf8), what: "qwen2.5vl:7b")
        #expect(m.model?.size == 4_683_074_048)
        #expect(m.projector?.size == 851_251_104)
        let bad: [(String, String)] = [
            (
                #"{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:12","size":1}]}"#,
                "is not sha256: and 64 hex digits"
            ),
            (
                #"{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"\#(digest)","size":-5}]}"#,
                "outside 0 to 4 PiB"
            ),
            (
                #"{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"\#(digest)","size":9e30}]}"#,
                "outside 0 to 4 PiB"
            ),
            (#"{"schemaVersion":2}"#, "no \"layers\" list"),
            ("[1,2,3]", "no \"layers\" list"),
            (#"{"layers":[{"digest":"\#(digest)"}]}"#, "lacks its mediaType, digest or size"),
        ]
        for (json, message) in bad {
            #expect(throws: Hub.Failure.self, "\(json)") { try OllamaManifest.parse(Data(json.utf8), what: "x") }
            do { _ = try OllamaManifest.parse(Data(json.utf8), what: "x") } catch {
                #expect(error.reason.contains(message), "\(json): \(error.reason)")
            }
        }
        let many = #"{"layers":["# + Array(repeating: "{}", count: 1_001).joined(separator: ",") + "]}"
        do { _ = try OllamaManifest.parse(Data(many.utf8), what: "x") } catch {
            #expect(error.reason.contains("fit reads at most 1,000"))
        }
        let tensors = """
            {"layers":[{"mediaType":"application/vnd.ollama.image.tensor; name=w; dtype=BF16; shape=2,2","digest":"\(digest)","size":8}]}
            """
        let t = try OllamaManifest.parse(Data(tensors.utf8), what: "x")
        #expect(throws: Hub.Failure.self) { try t.requireModel("newmodel:latest") }
    }
}
