import FitTestSupport
import Foundation
import Testing

/// The campaign's hostile chat server (Tests/Fixtures/hostile/server/server.py, section 8 of its
/// README): every behaviour that hung fit, grew its memory without end, crashed it or poisoned its
/// calibration ends with one sentence, within the request's timeout, and stores nothing absurd.
@Suite("hostile endpoints: every server behaviour of the campaign ends in one sentence")
struct HostileEndpointTests {
    let smol = packageRoot.appendingPathComponent("Tests/Fixtures/gguf/SmolLM2-135M-Instruct.Q4_1.header.gguf").path

    func withServer<T>(_ body: (String, [String: String]) async throws -> T) async throws -> T {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fit-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        // Each of its replies stops by itself after 30 s; fit's timeout here is 5 s.
        let server = try await LoopbackServer.start(
            script: "Tests/Fixtures/hostile/server/server.py", arguments: ["0", "30"], root: root)
        defer { server.stop() }
        return try await body(server.endpoint, ["FIT_DATA_DIR": root.appendingPathComponent("data").path])
    }

    @Test(
        "bench runtime: hangs, endless streams, a 300 MB reply, broken JSON, errors and early closes: exit 1, one line",
        arguments: [
            ("hang", "did not finish within 5 s"), ("slowloris", "did not finish within 5 s"),
            ("slowtok", "did not finish within 5 s"),
            ("endless", "sent more than 32 MiB for one reply"), ("endlessnonl", "sent more than 32 MiB for one reply"),
            ("hugereply", "sent more than 32 MiB for one reply|did not finish within 5 s"),
            ("badjsonstream", "streamed a line that is not JSON"),
            ("err500", "answered HTTP 500"), ("badjson", "streamed no tokens"), ("nochoices", "streamed no tokens"),
            ("closeearly", "v1/chat/completions"), ("empty", "v1/chat/completions"), ("weirdstatus", "999"),
        ])
    func runtime(mode: String, says: String) async throws {
        try await withServer { url, env in
            let r = try await Fit.run(
                [
                    "bench", "runtime", smol, "--endpoint", "\(url)/\(mode)", "--gen", "4", "--timeout", "5",
                    "--machine",
                    vmMachine,
                ], env: env)
            #expect(r.code == 1, "\(mode): \(r.code) \(r.stderr)")
            // A 300 MB reply ends at 32 MiB, or at the timeout when the server is slower to build it.
            let said = says.split(separator: "|").contains { r.stderr.contains($0) }
            #expect(r.stderr.hasPrefix("fit: ") && said, "\(mode): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(mode): \(r.stderr)")
            #expect(!r.stderr.contains("\u{1B}"), "escape codes from the server never reach the terminal")
        }
    }

    @Test(
        "absurd, zero and negative server timings are never stored as a speed, and plans afterwards still work",
        arguments: ["absurdtimings", "negtimings", "timings_1e-300_1e-300", "timings_5e-324_1e300", "onetoken"])
    func timings(mode: String) async throws {
        try await withServer { url, env in
            let r = try await Fit.run(
                [
                    "bench", "runtime", smol, "--endpoint", "\(url)/\(mode)", "--gen", "4", "--timeout", "5", "--json",
                    "--machine", vmMachine,
                ], env: env)
            #expect([0, 1, 65].contains(r.code), "\(mode): \(r.code) \(r.stderr)")
            if r.code == 0 {
                let j = try await r.json()
                let measured = try #require(j["measurement"] as? [String: Any])
                for key in ["prefillTokensPerSecond", "decodeTokensPerSecond"] {
                    if let v = measured[key] as? Double { #expect(v >= 1e-3 && v < 1e7, "\(mode) \(key) = \(v)") }
                }
            } else {
                #expect(r.stderr.split(separator: "\n").count == 1, "\(mode): \(r.stderr)")
            }
            // F-D2: one hostile run used to poison the calibration, and every later plan failed.
            let plan = try await Fit.run(["plan", "qwen3-8b", "--json", "--machine", vmMachine], env: env)
            #expect(plan.code == 0, "\(mode): \(plan.stderr)")
            let choose = try await Fit.run(
                ["choose", "--tier", "basic", "--json", "--machine", vmMachine], env: env)
            #expect(choose.code == 0, "\(mode): \(choose.stderr)")
        }
    }

    @Test(
        "bench agent: a tool-call storm, token counts of 2^63 - 1 and a hung server end within the limits; a malformed URL is refused",
        arguments: ["toolstorm", "usageoverflow", "hang", "regexbomb"])
    func agent(mode: String) async throws {
        try await withServer { url, env in
            let r = try await Fit.run(
                [
                    "bench", "agent", "m", "--endpoint", "\(url)/\(mode)", "--tier", "basic", "--runs", "1", "--tasks",
                    "basic-config-port", "--timeout", "5", "--max-turns", "3", "--json", "--machine", vmMachine,
                ], env: env)
            #expect(r.code == 0, "\(mode): \(r.code) \(r.stderr)")
            let j = try await r.json()
            let runs = j["runs"] as? [[String: Any]] ?? []
            #expect(runs.count == 1, "\(mode): \(r.stdout.prefix(400))")
            #expect(runs.first?["passed"] as? Bool == false, "\(mode)")
            for key in ["tokensIn", "tokensOut"] {
                let n = runs.first?[key] as? Int ?? 0
                #expect(n >= 0 && n <= 1_000_000_000_000, "\(mode) \(key) = \(n)")
            }
        }
        let malformed = try await Fit.run(
            ["bench", "agent", "m", "--endpoint", "http://[::1", "--tier", "basic", "--runs", "1"])
        #expect(malformed.code == 64 && malformed.stderr.contains("is not a well-formed URL"), "\(malformed.stderr)")
    }
}
