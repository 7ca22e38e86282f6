import FitTestSupport
import Foundation
import Testing

/// A Python server of the test fixtures on 127.0.0.1 that prints `PORT <n>` first: the recorded
/// Hub and Ollama registry (Tests/Fixtures/hub/server.py), the campaign's hostile chat server
/// (Tests/Fixtures/hostile/server/server.py).
final class LoopbackServer {
    let root: URL
    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }
    private var server: Process?

    private init(root: URL, port: Int, server: Process) {
        self.root = root
        self.port = port
        self.server = server
    }

    /// Starts `script` (relative to the package) with `arguments`; its output goes to a file in `root`.
    static func start(script: String, arguments: [String], root: URL) async throws -> LoopbackServer {
        let out = root.appendingPathComponent("server-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", packageRoot.appendingPathComponent(script).path] + arguments
        p.standardOutput = try FileHandle(forWritingTo: out)
        let err = root.appendingPathComponent("server-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        // A bound for a hang, not for speed: Python starts in well under a second, but a loaded
        // 2-core machine took more than 10 s (CI-style run 2 of issue 17). A server that died says why.
        for _ in 0..<2400 {
            if !p.isRunning {
                let why = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
                throw CocoaError(
                    .fileReadUnknown,
                    userInfo: [NSLocalizedDescriptionKey: "\(script) exited: \(why.suffix(400))"])
            }
            if let text = try? String(contentsOf: out, encoding: .utf8), let line = text.split(separator: "\n").first,
                line.hasPrefix("PORT "), let port = Int(line.dropFirst(5))
            {
                return LoopbackServer(root: root, port: port, server: p)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(p.processIdentifier, SIGKILL)
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(script) did not start"])
    }

    func stop() {
        if let s = server, s.isRunning {
            kill(s.processIdentifier, SIGKILL)
            s.waitUntilExit()  // a killed process: a few milliseconds
        }
        server = nil
    }
    deinit { stop() }

    /// What the recorded Hub was asked, one line per request: `GET PATH RANGE`.
    var requests: [String] {
        ((try? String(contentsOf: root.appendingPathComponent("requests.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }
}

/// The recorded Hugging Face Hub and Ollama registry on loopback: the API routes, the redirects
/// and Range requests, as the real services serve them. `root` holds the repos and tags.
enum LoopbackHub {
    static func start(root: URL) async throws -> LoopbackServer {
        try await LoopbackServer.start(script: "Tests/Fixtures/hub/server.py", arguments: [root.path], root: root)
    }
}

/// Writes a real safetensors file: the 8-byte length, the JSON header padded to 8 bytes, and the
/// tensors' bytes as a sparse run of zeros (the file is as long as the header says).
func writeSafetensors(_ url: URL, tensors: [(String, String, [Int64])]) throws -> Int64 {
    var offset: Int64 = 0
    var entries: [String] = []
    for (name, dtype, shape) in tensors {
        let bytes = shape.reduce(1, *) * (dtype == "F32" ? 4 : 2)
        entries.append(
            "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
        )
        offset += bytes
    }
    var header = Array(("{\"__metadata__\":{\"format\":\"pt\"}," + entries.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
    file += header
    FileManager.default.createFile(atPath: url.path, contents: Data(file))
    let handle = try FileHandle(forWritingTo: url)
    try handle.truncate(atOffset: UInt64(file.count) + UInt64(offset))
    try handle.close()
    return offset
}

@Suite("models from the Hub, read by Range requests on loopback", .serialized)
struct HubTests {
    let root: URL
    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fit-hub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// `acme/llama-like`: a real Llama 3.1 8B config.json and two shards with that model's tensors.
    func makeRepo(_ name: String, gated: String? = nil) throws -> URL {
        let repo = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: hfFixtures.appendingPathComponent("llama-3.1-8b-instruct/config.json"),
            to: repo.appendingPathComponent("config.json"))
        var first: [(String, String, [Int64])] = [("model.embed_tokens.weight", "BF16", [128_256, 4096])]
        var second: [(String, String, [Int64])] = [
            ("lm_head.weight", "BF16", [128_256, 4096]), ("model.norm.weight", "BF16", [4096]),
        ]
        for l in 0..<32 {
            let layer: [(String, String, [Int64])] = [
                ("model.layers.\(l).self_attn.q_proj.weight", "BF16", [4096, 4096]),
                ("model.layers.\(l).self_attn.k_proj.weight", "BF16", [1024, 4096]),
                ("model.layers.\(l).self_attn.v_proj.weight", "BF16", [1024, 4096]),
                ("model.layers.\(l).self_attn.o_proj.weight", "BF16", [4096, 4096]),
                ("model.layers.\(l).mlp.gate_proj.weight", "BF16", [14336, 4096]),
                ("model.layers.\(l).mlp.up_proj.weight", "BF16", [14336, 4096]),
                ("model.layers.\(l).mlp.down_proj.weight", "BF16", [4096, 14336]),
                ("model.layers.\(l).input_layernorm.weight", "BF16", [4096]),
                ("model.layers.\(l).post_attention_layernorm.weight", "BF16", [4096]),
            ]
            if l < 16 { first += layer } else { second += layer }
        }
        _ = try writeSafetensors(repo.appendingPathComponent("model-00001-of-00002.safetensors"), tensors: first)
        _ = try writeSafetensors(repo.appendingPathComponent("model-00002-of-00002.safetensors"), tensors: second)
        if let gated { try gated.write(to: repo.appendingPathComponent(".gated"), atomically: true, encoding: .utf8) }
        return repo
    }

    func plan(_ model: String, _ env: [String: String], _ extra: [String] = []) async throws -> Fit {
        try await Fit.run(["plan", model, "--json", "--machine", vmMachine] + extra, env: env)
    }

    @Test(
        "a repo the catalog does not know is planned from config.json and its shards' headers, to the byte of the same files on disk; the second run needs no network"
    )
    func plansFromTheHub() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let repo = try makeRepo("acme/llama-like")
        let hub = try await LoopbackHub.start(root: root)
        let cache = root.appendingPathComponent("cache").path
        let env = ["HF_ENDPOINT": hub.endpoint, "FIT_CACHE_DIR": cache]
        let fromHub = try await plan("acme/llama-like", env)
        #expect(fromHub.code == 0, "\(fromHub.stderr)")
        let onDisk = try await plan(repo.path, ["FIT_CACHE_DIR": cache])
        #expect(onDisk.code == 0, "\(onDisk.stderr)")
        let a = try await fromHub.json()
        let b = try await onDisk.json()
        let memoryA = try #require(a["memory"] as? [String: Int64])
        #expect(memoryA == b["memory"] as? [String: Int64], "the Hub and the disk plan the same bytes")
        #expect(memoryA["weightsBytes"] ?? 0 > 15_000_000_000)
        #expect(a["weightsSource"] as? String == "safetensorsHeaders")
        // Only headers were read: every file request asked for a range, none for the weights.
        let fileRequests = hub.requests.filter { $0.contains("/cdn/") && $0.contains(".safetensors") }
        #expect(fileRequests.count == 4, "\(hub.requests)")
        #expect(fileRequests.allSatisfy { $0.contains("bytes=") })
        let text = try await Fit.run(["plan", "acme/llama-like", "--machine", vmMachine], env: env)
        #expect(
            text.stdout.contains("read from the Hub (\(hub.endpoint)): acme/llama-like at commit"),
            "\(text.stdout.prefix(600))")

        hub.stop()
        let again = try await plan("acme/llama-like", env, ["--offline"])
        #expect(again.code == 0, "\(again.stderr)")
        #expect(try await again.json()["memory"] as? [String: Int64] == memoryA, "the cache answers offline")
    }

    @Test("gated repos, unknown repos, no Hub and an empty cache offline: one line each, naming the fix")
    func failures() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try makeRepo("acme/gated", gated: "secret-token")
        let hub = try await LoopbackHub.start(root: root)
        let cache = root.appendingPathComponent("cache").path
        let gated = try await plan("acme/gated", ["HF_ENDPOINT": hub.endpoint, "FIT_CACHE_DIR": cache])
        #expect(
            gated.code == 64 && gated.stderr.contains("acme/gated is gated or private on the Hub: set HF_TOKEN"),
            "\(gated.stderr)")
        let token = try await plan(
            "acme/gated", ["HF_ENDPOINT": hub.endpoint, "FIT_CACHE_DIR": cache, "HF_TOKEN": "secret-token"])
        #expect(token.code == 0, "\(token.stderr)")
        let missing = try await plan("acme/nothing-here", ["HF_ENDPOINT": hub.endpoint, "FIT_CACHE_DIR": cache])
        #expect(
            missing.code == 64 && missing.stderr.contains("is not a model repo on the Hub at \(hub.endpoint)"),
            "\(missing.stderr)")
        hub.stop()
        let down = try await plan("acme/other", ["HF_ENDPOINT": "http://127.0.0.1:9", "FIT_CACHE_DIR": cache])
        #expect(
            down.code == 64 && down.stderr.contains("could not reach the Hub at http://127.0.0.1:9"), "\(down.stderr)")
        let offline = try await plan("acme/other", ["FIT_CACHE_DIR": cache], ["--offline"])
        #expect(offline.code == 64 && offline.stderr.contains("is not in fit's Hub cache"), "\(offline.stderr)")
        for r in [gated, missing, down, offline] { #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)") }
    }

    @Test(
        "a GGUF repo: the quant picks the file, its header and tensor table come by Range requests, and plan as the file on disk"
    )
    func ggufRepo() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let repo = root.appendingPathComponent("acme/tiny-GGUF")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        let gguf = packageRoot.appendingPathComponent("Tests/Fixtures/gguf")
        let gemma = gguf.appendingPathComponent("gemma-3-270m-q4_k_m.header.gguf")
        let smol = gguf.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.header.gguf")
        try FileManager.default.copyItem(at: gemma, to: repo.appendingPathComponent("gemma-3-270m-it-Q4_K_M.gguf"))
        try FileManager.default.copyItem(at: smol, to: repo.appendingPathComponent("SmolLM2-135M-Instruct-Q4_1.gguf"))
        try "{}".write(to: repo.appendingPathComponent("mmproj-F16.gguf"), atomically: true, encoding: .utf8)
        let hub = try await LoopbackHub.start(root: root)
        let env = ["HF_ENDPOINT": hub.endpoint, "FIT_CACHE_DIR": root.appendingPathComponent("cache").path]
        for (quant, local) in [(nil as String?, gemma), ("Q4_1", smol)] {
            let fromHub = try await plan("acme/tiny-GGUF", env, quant.map { ["--quant", $0] } ?? [])
            #expect(fromHub.code == 0, "\(fromHub.stderr)")
            let onDisk = try await plan(local.path, env)
            let a = try await fromHub.json()["memory"] as? [String: Int64]
            let b = try await onDisk.json()["memory"] as? [String: Int64]
            #expect(a != nil && a == b, "\(quant ?? "default")")
        }
        let fileRequests = hub.requests.filter { $0.contains("/cdn/") }
        #expect(!fileRequests.isEmpty && fileRequests.allSatisfy { $0.contains("bytes=0-") }, "\(hub.requests)")
        #expect(!hub.requests.contains { $0.contains("mmproj") }, "a vision projector is not a model")
        let missing = try await plan("acme/tiny-GGUF", env, ["--quant", "Q8_0"])
        #expect(missing.code == 64 && missing.stderr.contains("no GGUF file in the repo is Q8_0"), "\(missing.stderr)")
    }
}
