import Foundation
import Testing

/// One question, one answer: whichever command asks, a build on a machine at a context has the
/// same memory, verdict, decode and prefill figures (they all come from `FitCore/Advisor.swift`).
@Suite("every command gives the same answer", .serialized)
struct OneAnswerTests {
    struct Case: CustomStringConvertible, Sendable {
        var model: String, quant: String, machine: [String], ctx: Int, flags: [String] = []
        var description: String {
            "\(model) \(quant) at \(ctx) on \(machine.joined(separator: " ")) \(flags.joined(separator: " "))"
        }
    }

    static let cases: [Case] = [
        Case(
            model: "qwen3-coder-30b-a3b-instruct", quant: "Q4_K_M",
            machine: ["--hardware", "RTX 4090", "--ram", "64GiB"], ctx: 65536),
        Case(
            model: "qwen3-coder-30b-a3b-instruct", quant: "Q4_K_M",
            machine: ["--hardware", "RTX 4090", "--ram", "64GiB"], ctx: 65536,
            flags: ["--n-cpu-moe", "24"]),
        Case(
            model: "gpt-oss-120b", quant: "MXFP4", machine: ["--hardware", "RTX 4090", "--ram", "96GiB"], ctx: 65536,
            flags: ["--cpu-moe"]),
        Case(
            model: "llama-3.3-70b-instruct", quant: "Q4_K_M", machine: ["--hardware", "2x RTX 3090", "--ram", "64GiB"],
            ctx: 32768),
        Case(model: "llama-3.1-8b-instruct", quant: "Q4_K_M", machine: ["--machine", vmMachine], ctx: 32768),
    ]

    func row(_ c: Case) async throws -> [String: Any] {
        let r = try await Fit.run(["--all", "--ctx", String(c.ctx), "--json"] + c.machine + c.flags)
        #expect(r.code == 0, "\(r.stderr)")
        let rows = try await r.json()["results"] as? [[String: Any]] ?? []
        return try #require(
            rows.first { $0["model"] as? String == c.model && $0["quant"] as? String == c.quant },
            "no list row for \(c)")
    }

    func plan(_ c: Case, extra: [String] = []) async throws -> [String: Any] {
        let r = try await Fit.run(
            ["plan", c.model, "--quant", c.quant, "--ctx", String(c.ctx), "--json"] + c.machine + c.flags + extra)
        #expect(r.code == 0, "\(r.stderr)")
        return try await r.json()
    }

    /// Equal, up to `fit --json`'s two decimals.
    static func same(_ a: Any?, _ b: Any?) -> Bool {
        switch (a as? Double, b as? Double) {
        case (nil, nil): return a == nil && b == nil || (a is NSNull) == (b is NSNull)
        case (let x?, let y?): return abs(x - y) <= 0.0051
        default: return false
        }
    }

    @Test("fit and fit plan: the same memory, verdict, decode (empty and at the context) and prefill", arguments: cases)
    func listAndPlan(_ c: Case) async throws {
        let row = try await row(c)
        let p = try await plan(c)
        let memory = p["memory"] as? [String: Any]
        let rowMemory = row["memory"] as? [String: Any]
        #expect((memory?["totalBytes"] as? Int) == (rowMemory?["totalBytes"] as? Int))
        #expect(p["verdict"] as? String == row["verdict"] as? String)
        let t = p["throughput"] as? [String: Any] ?? [:]
        #expect(Self.same(t["decodeTokensPerSecond"], row["decodeTokensPerSecond"]), "decode \(t) vs \(row)")
        #expect(Self.same(t["decodeTokensPerSecondAtContext"], row["decodeTokensPerSecondAtContext"]))
        #expect(Self.same(t["prefillTokensPerSecond"], row["prefillTokensPerSecond"]))
        #expect(row["decodeTokensPerSecond"] as? Double != nil, "a known GPU or the host: there is a speed")
    }

    @Test(
        "fit report's fit map and fit plan: the same build, verdict, memory and speed at half the context",
        arguments: cases.filter { $0.flags.isEmpty })
    func reportAndPlan(_ c: Case) async throws {
        let r = try await Fit.run(["report", "--format", "json", "-o", "-", "--ctx", String(c.ctx)] + c.machine)
        #expect(r.code == 0, "\(r.stderr)")
        let map = try await r.json()["fitMap"] as? [[String: Any]] ?? []
        let cells = map.first { $0["model"] as? String == c.model }?["cells"] as? [[String: Any]] ?? []
        let cell = try #require(cells.first { $0["context"] as? Int == c.ctx })
        let quant = try #require(cell["quant"] as? String)
        let p = try await plan(
            Case(model: c.model, quant: quant, machine: c.machine, ctx: c.ctx), extra: ["--depth", String(c.ctx / 2)])
        #expect(p["verdict"] as? String == cell["verdict"] as? String)
        #expect(((p["memory"] as? [String: Any])?["totalBytes"] as? Int) == cell["memoryBytes"] as? Int)
        let decode = (p["throughput"] as? [String: Any])?["decodeTokensPerSecondAtContext"] as? Double
        let shown = cell["decodeTokensPerSecond"] as? Double
        #expect(
            shown != nil && decode.map { abs($0 - (shown ?? 0)) <= 0.051 } == true,
            "report \(cell) vs plan \(decode ?? -1)")
    }

    @Test("fit choose and fit plan: the same build, memory, verdict, mid-task decode and minutes per task")
    func chooseAndPlan() async throws {
        let machine = ["--hardware", "RTX 4090", "--ram", "64GiB"]
        for flags in [[], ["--n-cpu-moe", "24"]] {
            let r = try await Fit.run(
                ["choose", "--tier", "basic", "--local-only", "--model", "qwen3-coder:30b", "--json"] + machine + flags)
            #expect(r.code == 0, "\(r.stderr)")
            let j = try await r.json()
            let ctx = try #require(j["context"] as? Int)
            let cand = try #require((j["candidates"] as? [[String: Any]])?.first)
            let quant = try #require(cand["quant"] as? String)
            let p = try await plan(
                Case(model: "qwen3-coder-30b-a3b-instruct", quant: quant, machine: machine, ctx: ctx, flags: flags),
                extra: ["--depth", String(ctx / 2)])
            #expect(p["verdict"] as? String == cand["verdict"] as? String)
            #expect(((p["memory"] as? [String: Any])?["totalBytes"] as? Int) == cand["memoryBytes"] as? Int)
            let t = p["throughput"] as? [String: Any] ?? [:]
            #expect(
                Self.same(t["decodeTokensPerSecondAtContext"], cand["decodeTokensPerSecond"]),
                "\(flags): plan \(t) vs choose \(cand)")
            let tasks = t["agentTasks"] as? [[String: Any]] ?? []
            let basic = tasks.first { $0["tier"] as? String == "basic" }?["minutes"]
            #expect(
                Self.same(basic, cand["minutesPerTask"]),
                "\(flags): minutes \(basic ?? "none") vs \(cand["minutesPerTask"] ?? "none")")
        }
    }

    @Test("choose --n-cpu-moe estimates the experts in RAM: slower than with them on the GPU")
    func chooseHonoursExpertOffload() async throws {
        let machine = ["--hardware", "RTX 5090", "--ram", "64GiB"]
        func decode(_ flags: [String]) async throws -> Double? {
            let r = try await Fit.run(
                ["choose", "--tier", "basic", "--local-only", "--model", "qwen3-coder:30b", "--json"] + machine + flags)
            #expect(r.code == 0, "\(r.stderr)")
            return await (try r.json()["candidates"] as? [[String: Any]])?.first?["decodeTokensPerSecond"] as? Double
        }
        let onGPU = try await #require(try decode([]))
        let offloaded = try await #require(try decode(["--n-cpu-moe", "48"]))
        #expect(offloaded < onGPU * 0.8, "all experts in RAM must cost decode speed: \(offloaded) vs \(onGPU)")
    }

    @Test("with every expert in RAM, prefill pays for streaming them over PCIe (gpt-oss-120b, RTX 4090, 64k)")
    func prefillStreamsExperts() async throws {
        let p = try await plan(
            Case(
                model: "gpt-oss-120b", quant: "MXFP4", machine: ["--hardware", "RTX 4090", "--ram", "96GiB"],
                ctx: 65536,
                flags: ["--cpu-moe"]))
        let prefill = try #require((p["throughput"] as? [String: Any])?["prefillTokensPerSecond"] as? Double)
        // ~60 GB of experts over PCIe 4.0 (25 GB/s achieved) once per 512-token batch: a few hundred tokens/s at most
        #expect(prefill < 600, "prefill \(prefill) t/s ignores the experts streamed over PCIe")
        #expect(prefill > 50)
        let launch = p["llamaServer"] as? [String] ?? []
        #expect(launch.contains("--cpu-moe") && !launch.contains("--n-cpu-moe"), "\(launch)")
    }

    @Test("fit plan's launch line is the faster --n-cpu-moe split when it says that one is faster")
    func launchIsTheFasterSplit() async throws {
        let p = try await plan(
            Case(
                model: "qwen3-coder-30b-a3b-instruct", quant: "Q8_0",
                machine: ["--hardware", "RTX 4090", "--ram", "64GiB"],
                ctx: 65536))
        let e = try #require(
            p["expertOffload"] as? [String: Any],
            "a 30B MoE at Q8_0 does not fit a 24 GiB card: an expert offload is offered")
        let launch = p["llamaServer"] as? [String] ?? []
        if e["faster"] as? Bool == true {
            #expect(launch == e["llamaServer"] as? [String])
            #expect(launch.contains("--n-cpu-moe"))
        } else {
            #expect(!launch.contains("--n-cpu-moe"))
        }
        let own = (p["throughput"] as? [String: Any])?["decodeTokensPerSecondAtContext"] as? Double ?? 0
        let offloaded = e["decodeTokensPerSecondAtContext"] as? Double ?? 0
        #expect((e["faster"] as? Bool) == (offloaded > own))
    }

    @Test("--vram with --hardware is applied to the named GPUs, and refused for unified memory")
    func vramWithHardware() async throws {
        let r = try await Fit.run([
            "plan", "llama-3.1-8b-instruct", "--ctx", "8k", "--json", "--hardware", "RTX 4090", "--vram", "6GiB",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let gpu = await (try r.json()["devices"] as? [[String: Any]])?.first { $0["id"] as? String == "gpu0" }
        #expect((gpu?["capacityBytes"] as? Int) == 5 << 30, "6 GiB less llama.cpp's 1 GiB margin")
        let apple = try await Fit.run(["--hardware", "M4 Max 128GB", "--vram", "64GiB"])
        #expect(apple.code == 64)
        #expect(apple.stderr.contains("--vram") && apple.stderr.contains("unified"))
    }

    @Test("a warm run (buffers kept from the last run) prints exactly what a cold one does")
    func warmIsCold() async throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("fit-warm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let args = ["--all", "--ctx", "64k", "--json", "--hardware", "RTX 4090", "--ram", "64GiB"]
        let cold = try await Fit.run(args, env: ["FIT_CACHE_DIR": cache])
        #expect(FileManager.default.fileExists(atPath: cache + "/compute-buffers.bin"))
        let warm = try await Fit.run(args, env: ["FIT_CACHE_DIR": cache])
        #expect(cold.code == 0 && warm.code == 0)
        #expect(cold.stdout == warm.stdout)
    }
}
