import FitTestSupport
import Foundation
import Testing

/// Ollama names the catalog does not know, read from a recorded registry on loopback
/// (Tests/Fixtures/hub/server.py) and from an Ollama store on disk, with real GGUF headers.
@Suite("Ollama names from the registry and the local store", .serialized)
struct OllamaTests {
    let root: URL
    let gguf = packageRoot.appendingPathComponent("Tests/Fixtures/gguf")
    var gemma: URL { gguf.appendingPathComponent("gemma-3-270m-q4_k_m.header.gguf") }
    var smol: URL { gguf.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.header.gguf") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fit-ollama-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// A tag on the recorded registry: its model file and the text layers `ollama pull` also gets.
    func publish(_ namespace: String, _ model: String, _ tag: String, file: URL, projector: Bool = false) throws {
        let d = root.appendingPathComponent("ollama/\(namespace)/\(model)/\(tag)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: d.appendingPathComponent("model.gguf"))
        try "{{ .Prompt }}".write(to: d.appendingPathComponent("template"), atomically: true, encoding: .utf8)
        try #"{"stop": ["<end_of_turn>"]}"#.write(
            to: d.appendingPathComponent("params"), atomically: true, encoding: .utf8)
        if projector { try FileManager.default.copyItem(at: smol, to: d.appendingPathComponent("projector.gguf")) }
    }

    func plan(_ model: String, _ env: [String: String], _ extra: [String] = []) async throws -> Fit {
        try await Fit.run(["plan", model, "--json", "--machine", vmMachine] + extra, env: env)
    }

    func memory(_ r: Fit) async throws -> [String: Int64]? { try await r.json()["memory"] as? [String: Int64] }

    @Test(
        "a name the catalog does not know is planned from the registry's manifest and the model blob's header, to the byte of the file on disk; the second run is offline"
    )
    func fromTheRegistry() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try publish("library", "tinygemma", "270m-it-q4_K_M", file: gemma, projector: true)
        let server = try await LoopbackHub.start(root: root)
        let env = ["FIT_OLLAMA_REGISTRY": server.endpoint, "FIT_CACHE_DIR": root.appendingPathComponent("cache").path]
        let fromRegistry = try await plan("tinygemma:270m-it-q4_K_M", env)
        #expect(fromRegistry.code == 0, "\(fromRegistry.stderr)")
        let onDisk = try await plan(gemma.path, env)
        let planned = try await memory(fromRegistry)
        let local = try await memory(onDisk)
        #expect(planned != nil && planned == local, "the registry and the disk plan the same bytes")
        // The manifest, then the model layer by Range requests from its first byte; never the
        // projector, the template or the weights past the header.
        let blobs = server.requests.filter { $0.contains("/blobs/") }
        #expect(server.requests.contains { $0.hasPrefix("GET /v2/library/tinygemma/manifests/270m-it-q4_K_M") })
        #expect(!blobs.isEmpty && blobs.allSatisfy { $0.contains("bytes=0-") }, "\(server.requests)")
        #expect(blobs.filter { $0.hasPrefix("GET /v2/") }.count == 1, "one layer read: \(server.requests)")
        let text = try await Fit.run(["plan", "tinygemma:270m-it-q4_K_M", "--machine", vmMachine], env: env)
        #expect(
            text.stdout.contains(
                "read from the Ollama registry (\(server.endpoint)): tinygemma:270m-it-q4_K_M, model layer sha256:"))
        #expect(text.stdout.contains("its vision projector is not planned"), "\(text.stdout.prefix(800))")

        server.stop()
        let again = try await plan("tinygemma:270m-it-q4_K_M", env, ["--offline"])
        #expect(again.code == 0, "\(again.stderr)")
        let cached = try await memory(again)
        #expect(cached == planned, "the cache answers with the registry gone")
    }

    @Test("a bare name is its :latest tag, with or without ollama.com/library/; one the registry lacks names both")
    func bareNamesAndMisses() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try publish("library", "smolthing", "latest", file: smol)
        try publish("someone", "smolthing", "135m", file: smol)
        let server = try await LoopbackHub.start(root: root)
        let env = ["FIT_OLLAMA_REGISTRY": server.endpoint, "FIT_CACHE_DIR": root.appendingPathComponent("cache").path]
        let expected = try await memory(try await plan(smol.path, env))
        for name in ["smolthing", "smolthing:latest", "ollama.com/library/smolthing", "someone/smolthing:135m"] {
            let r = try await plan(name, env)
            #expect(r.code == 0, "\(name): \(r.stderr)")
            let planned = try await memory(r)
            #expect(planned == expected, "\(name)")
        }
        let miss = try await plan("nosuchmodel:7b", env)
        #expect(miss.code == 64, "\(miss.stderr)")
        #expect(
            miss.stderr.contains("unknown model `nosuchmodel:7b`; closest catalog entries: ")
                && miss.stderr.contains("nosuchmodel:7b is not on the Ollama registry at \(server.endpoint) (HTTP 404)"),
            "\(miss.stderr)")
        let tagged = try await plan("smolthing", env, ["--quant", "Q8_0"])
        #expect(
            tagged.code == 64 && tagged.stderr.contains("--quant does not apply to an Ollama name"), "\(tagged.stderr)")
        server.stop()
        let down = try await plan("othermodel:1b", env)
        #expect(
            down.code == 64 && down.stderr.contains("could not reach the Ollama registry at \(server.endpoint)"),
            "\(down.stderr)")
        let offline = try await plan("othermodel:1b", env, ["--offline"])
        #expect(offline.code == 64 && offline.stderr.contains("not in fit's Ollama cache"), "\(offline.stderr)")
        for r in [miss, tagged, down, offline] { #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)") }
    }

    @Test("a model this machine pulled is planned from the Ollama store on disk, the exact file, with no network")
    func fromTheLocalStore() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        // The store `ollama pull` leaves: the manifest by host, namespace, model and tag; the
        // files under blobs/ by their sha256.
        let store = root.appendingPathComponent("models")
        let blobs = store.appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let digest = try await sha256(gemma)
        try FileManager.default.copyItem(at: gemma, to: blobs.appendingPathComponent("sha256-\(digest)"))
        let size = try FileManager.default.attributesOfItem(atPath: gemma.path)[.size] as? Int ?? 0
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:\(digest)","size":\(size)}]}
            """
        let tagFolder = store.appendingPathComponent("manifests/registry.ollama.ai/library/mygemma")
        try FileManager.default.createDirectory(at: tagFolder, withIntermediateDirectories: true)
        try manifest.write(to: tagFolder.appendingPathComponent("latest"), atomically: true, encoding: .utf8)
        let env = ["OLLAMA_MODELS": store.path, "FIT_CACHE_DIR": root.appendingPathComponent("cache").path]
        let r = try await plan("mygemma", env)
        #expect(r.code == 0, "\(r.stderr)")
        let planned = try await memory(r)
        let local = try await memory(try await plan(gemma.path, env))
        #expect(planned != nil && planned == local)
        let text = try await Fit.run(["plan", "MyGemma:latest", "--machine", vmMachine], env: env)
        #expect(
            text.stdout.contains("read from the local Ollama store (\(store.path)): MyGemma:latest"),
            "\(text.stdout.prefix(600))")

        // fit bench runtime measures the pulled file itself: past the name, on to the server.
        let bench = try await Fit.run(
            ["bench", "runtime", "mygemma", "--endpoint", "http://127.0.0.1:9", "--machine", vmMachine], env: env)
        #expect(bench.code == 1 && bench.stderr.contains("refused the connection"), "\(bench.stderr)")

        // A store whose blob is gone names the fix; a manifest that is not Ollama's says so.
        try FileManager.default.removeItem(at: blobs.appendingPathComponent("sha256-\(digest)"))
        let gone = try await plan("mygemma", env)
        #expect(gone.code == 64 && gone.stderr.contains("run `ollama pull mygemma:latest` again"), "\(gone.stderr)")
        try "not json".write(to: tagFolder.appendingPathComponent("latest"), atomically: true, encoding: .utf8)
        let bad = try await plan("mygemma", env)
        #expect(bad.code == 64 && bad.stderr.contains("is not Ollama's JSON"), "\(bad.stderr)")
    }

    @Test("hf.co/USER/REPO:QUANT, as Ollama pulls from the Hub, is the repo's GGUF file of that quant")
    func hubNames() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let repo = root.appendingPathComponent("acme/tiny-GGUF")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: gemma, to: repo.appendingPathComponent("gemma-3-270m-it-Q4_K_M.gguf"))
        try FileManager.default.copyItem(at: smol, to: repo.appendingPathComponent("SmolLM2-135M-Instruct-Q4_1.gguf"))
        let server = try await LoopbackHub.start(root: root)
        let env = ["HF_ENDPOINT": server.endpoint, "FIT_CACHE_DIR": root.appendingPathComponent("cache").path]
        for (name, file) in [
            ("hf.co/acme/tiny-GGUF:Q4_1", smol), ("hf.co/acme/tiny-GGUF", gemma), ("acme/tiny-GGUF:Q4_1", smol),
        ] {
            let r = try await plan(name, env)
            #expect(r.code == 0, "\(name): \(r.stderr)")
            let planned = try await memory(r)
            let local = try await memory(try await plan(file.path, env))
            #expect(planned != nil && planned == local, "\(name)")
        }
        // The launch line fetches the same file: llama-server -hf REPO:QUANT.
        let j = try await (try await plan("hf.co/acme/tiny-GGUF:Q4_1", env)).json()
        let launch = (j["llamaServer"] as? [String] ?? []).joined(separator: " ")
        #expect(launch.hasPrefix("llama-server -hf acme/tiny-GGUF:Q4_1 -c "), "\(launch)")
    }

    func sha256(_ file: URL) async throws -> String {
        let r = try await runChild(
            "/usr/bin/env",
            [
                "python3", "-c", "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
                file.path,
            ])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
