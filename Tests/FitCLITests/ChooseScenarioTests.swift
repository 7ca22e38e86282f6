import Foundation
import Testing

/// `fit choose` on the hardware each seed post describes: the conclusions must agree with what was
/// observed there. Each test names the observation it checks.
@Suite("fit choose on the seed posts' machines", .serialized)
struct ChooseScenarioTests {
    func choose(_ args: [String]) async throws -> (
        first: [String: Any], bestLocal: [String: Any]?, localAdequate: Bool, candidates: [[String: Any]],
        json: [String: Any]
    ) {
        let r = try await Fit.run(["choose"] + args + ["--json", "--machine", vmMachine])
        #expect(r.code == 0, "\(r.stderr)")
        let j = try await r.json()
        return (
            j["firstChoice"] as? [String: Any] ?? [:], j["bestLocal"] as? [String: Any],
            j["localAdequate"] as? Bool ?? false,
            j["candidates"] as? [[String: Any]] ?? [], j
        )
    }
    func candidate(_ cs: [[String: Any]], _ model: String) -> [String: Any]? {
        cs.first { $0["model"] as? String == model }
    }
    func success(_ c: [String: Any]?) -> Double { c?["expectedSuccess"] as? Double ?? -1 }

    @Test(
        "Seed 000 (M4 MacBook Pro 48 GB, side::kick refactor): Qwen 3 14B and GPT-OSS 20B fit there but failed 10/10, so fit rates them inadequate"
    )
    func seed000LaptopModelsFail() async throws {
        let c = try await choose(["--tier", "basic", "--harness", "--hardware", "M4 Pro 48GB"])
        for m in ["qwen3-14b", "gpt-oss-20b"] {
            let row = try #require(candidate(c.candidates, m), "\(m) fits on a 48 GB M4 Pro, as the post ran it")
            #expect(row["kind"] as? String == "local")
            #expect(row["adequate"] as? Bool == false)
            #expect((row["successHigh"] as? Double ?? 1) < 0.25, "0/10 leaves little room: \(row)")
        }
    }

    @Test(
        "Seed 000: Qwen 3 Coder 30B is too large for the 48 GB laptop unless quantized (BF16 does not fit, Q8_0 fills all but ~1 GiB of the GPU's share, Q4_K_M leaves room)"
    )
    func seed000CoderNeedsQuantizing() async throws {
        func plan(_ q: String) async throws -> [String: Any] {
            try await Fit.run([
                "plan", "qwen3-coder-30b-a3b-instruct", "--quant", q, "--ctx", "48k", "--hardware", "M4 Pro 48GB",
                "--machine", vmMachine, "--json",
            ]).json()
        }
        await #expect(try plan("BF16")["verdict"] as? String != "fits-on-gpu")
        let q8 = try await plan("Q8_0")
        let q4 = try await plan("Q4_K_M")
        #expect((q8["maxContext"] as? Int ?? 0) < 65536, "Q8_0 tops out just above 48k: \(q8["maxContext"] ?? "")")
        #expect(q4["verdict"] as? String == "fits-on-gpu")
        #expect((q4["maxContext"] as? Int ?? 0) >= 131072)
    }

    @Test(
        "Seed 001: Claude Haiku 4.5 went 10/10 like Sonnet 4.5 for less: both adequate, Haiku cheaper per successful task"
    )
    func seed001HaikuCheaperPerSuccess() async throws {
        let c = try await choose(["--tier", "basic", "--harness", "--hardware", "M4 Pro 48GB"])
        let haiku = try #require(candidate(c.candidates, "anthropic/claude-haiku-4.5"))
        let sonnet = try #require(candidate(c.candidates, "anthropic/claude-sonnet-4.5"))
        #expect(haiku["adequate"] as? Bool == true && sonnet["adequate"] as? Bool == true)
        #expect((haiku["costPerSuccessUSD"] as? Double ?? 9) < (sonnet["costPerSuccessUSD"] as? Double ?? 0))
    }

    @Test(
        "Seed 003 (RTX 5090 32 GB, 64 GB RAM, whole feature): the five local models it ran all fit and all rate inadequate; Sonnet 4, which shipped, rates above each"
    )
    func seed003LocalModelsFailTheFeature() async throws {
        let c = try await choose(["--tier", "advanced", "--harness", "--hardware", "RTX 5090", "--ram", "64GB"])
        let sonnet = success(candidate(c.candidates, "anthropic/claude-sonnet-4"))
        for m in [
            "qwen3-coder-30b-a3b-instruct", "qwen3.6-35b-a3b", "gemma-4-12b-it", "hermes-4-14b", "devstral-small-2507",
        ] {
            let row = try #require(candidate(c.candidates, m), "\(m) ran on the 5090 in seed 003")
            #expect(row["adequate"] as? Bool == false, "\(m)")
            #expect(success(row) < sonnet, "\(m)")
        }
    }

    @Test(
        "Seeds 002 and 003: without a harness no local model that fits a 5090 is good enough for advanced work, and fit says to pay for a cloud model"
    )
    func seed002AdvancedRawNeedsCloud() async throws {
        let c = try await choose(["--tier", "advanced", "--hardware", "RTX 5090", "--ram", "64GB"])
        #expect(c.localAdequate == false)
        #expect(c.first["kind"] as? String == "cloud")
        #expect(c.bestLocal != nil, "something fits; it is just not good enough")
        let text = try await Fit.run([
            "choose", "--tier", "advanced", "--hardware", "RTX 5090", "--ram", "64GB", "--machine", vmMachine,
        ])
        #expect(text.stdout.contains("No local model on this machine is good enough for advanced work"))
        #expect(text.stdout.contains("Through a coding harness (--harness)"), "names what would change the answer")
    }

    @Test(
        "Seed 002 (rented GPUs, raw tool calls): tier 3 is unreliable across the board even for the best (MiniMax, 22/30), while Qwen3.5 passed every basic task"
    )
    func seed002RentedGPUs() async throws {
        let advanced = try await choose(["--tier", "advanced", "--hardware", "2x H100 SXM5 80GB"])
        #expect(advanced.localAdequate == false)
        #expect(advanced.first["kind"] as? String == "cloud")
        let basic = try await choose(["--tier", "basic", "--hardware", "2x H100 SXM5 80GB"])
        #expect(basic.localAdequate == true)
        #expect(candidate(basic.candidates, "qwen3.5-27b")?["adequate"] as? Bool == true)
    }

    @Test(
        "Seed 004 ($2,899 Mac Studio, taken as M4 Max 64 GB; Claude Code): Gemma 4 31B fits and passed every task, so local is adequate"
    )
    func seed004MacStudioGemma() async throws {
        let c = try await choose(["--tier", "intermediate", "--harness", "--hardware", "M4 Max 64GB"])
        #expect(c.localAdequate == true)
        #expect(c.first["kind"] as? String == "local")
        let gemma = try #require(candidate(c.candidates, "gemma-4-31b-it"))
        #expect(gemma["verdict"] as? String == "fits-on-gpu")
        #expect(gemma["adequate"] as? Bool == true)
    }

    @Test("Seed 004 ($5,999 Mac, taken as M3 Ultra 256 GB): MiniMax M2.5 fits there and is adequate through a harness")
    func seed004MacMiniMax() async throws {
        let c = try await choose(["--tier", "intermediate", "--harness", "--hardware", "M3 Ultra 256GB"])
        let minimax = try #require(candidate(c.candidates, "minimax-m2.5"))
        #expect(minimax["verdict"] as? String == "fits-on-gpu")
        #expect(minimax["adequate"] as? Bool == true)
    }

    @Test("The JSON names first choice, best local, adequacy and the candidates, each with its evidence and sources")
    func jsonContract() async throws {
        let c = try await choose(["--tier", "basic", "--hardware", "RTX 5090"])
        #expect(c.first["model"] is String)
        #expect(["local", "cloud"].contains(c.first["kind"] as? String ?? ""))
        #expect(c.json["bestLocal"] != nil && c.json["localAdequate"] is Bool)
        #expect(!c.candidates.isEmpty)
        for cand in c.candidates {
            let evidence = cand["evidence"] as? [[String: Any]] ?? []
            #expect(
                !evidence.isEmpty && evidence.allSatisfy { !($0["source"] as? String ?? "").isEmpty },
                "\(cand["model"] ?? "")")
            let low = cand["successLow"] as? Double ?? -1
            let mean = cand["expectedSuccess"] as? Double ?? -1
            let high = cand["successHigh"] as? Double ?? -1
            #expect(0 <= low && low <= mean && mean <= high && high <= 1)
        }
        let tier = c.json["tier"] as? [String: Any] ?? [:]
        #expect(tier["contextTokens"] as? Int == 32768)
    }

    @Test("a measured row of the same model, quant and GPU replaces the estimate in the ranking, and says so")
    func measuredSpeed() async throws {
        let c = try await choose(["--tier", "basic", "--hardware", "RTX 4090"])
        let oss = try #require(candidate(c.candidates, "gpt-oss-20b"))
        #expect(oss["speedSource"] as? String == "measured")
        // 225 t/s measured at tg128 on an RTX 4090 (catalog), carried to mid-task depth: lower, not higher.
        let d = oss["decodeTokensPerSecond"] as? Double ?? 0
        #expect(d > 100 && d <= 225.3)
        #expect(candidate(c.candidates, "qwen3.5-27b")?["speedSource"] as? String == "estimate")
    }

    @Test(
        "Bad input: one line naming the input and the fix",
        arguments: [
            (
                ["choose", "--tier", "expert"], "--tier expert is not a tier; use one of basic, intermediate, advanced",
                Int32(64)
            ),
            (["choose", "--tier", "basic", "--max-cost", "0"], "--max-cost 0 leaves nothing to spend", Int32(64)),
            (
                ["choose", "--tier", "basic", "--max-cost", "cheap"], "--max-cost cheap is not an amount in USD",
                Int32(64)
            ),
            (
                ["choose", "--tier", "basic", "--model", "smollm2-135m-instruct"],
                "--model smollm2-135m-instruct has no evidence for basic work", Int32(1)
            ),
            (
                ["choose", "--tier", "basic", "--model", "no-such-model-xyz"],
                "--model no-such-model-xyz is neither a catalog model nor a cloud id", Int32(64)
            ),
        ])
    func badInput(args: [String], message: String, code: Int32) async throws {
        let r = try await Fit.run(args + ["--machine", vmMachine])
        #expect(r.code == code)
        #expect(r.stderr.hasPrefix("fit: ") && r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test("--local-only where nothing fits: an answer that says so and why, not an empty list")
    func localOnlyNothingFits() async throws {
        let r = try await Fit.run([
            "choose", "--tier", "basic", "--local-only", "--ram", "1GiB", "--machine", vmMachine,
        ])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(
            r.stdout.contains(
                "Best local: none. No model with evidence for basic work fits on this machine at 32k context."))
        #expect(
            r.stdout.contains("GiB of usable GPU (or unified) memory, qwen3.5-27b"),
            "names what a good model would need")
        let j = try await Fit.run([
            "choose", "--tier", "basic", "--local-only", "--ram", "1GiB", "--machine", vmMachine, "--json",
        ]).json()
        #expect(j["bestLocal"] is NSNull && j["firstChoice"] is NSNull)
        #expect(j["localAdequate"] as? Bool == false)
    }
}
