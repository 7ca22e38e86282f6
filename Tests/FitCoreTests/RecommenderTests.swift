import FitCore
import FitTestSupport
import Testing

/// A tier book like Catalog/tiers/tiers.yaml, small enough to reason about by hand.
private let basic = TaskTier(
    id: "basic", name: "Basic", rank: 1, tasks: ["read-fix-write"],
    context: .init(
        systemPrompt: 2000, toolSchemas: 1000, filesRead: 6000, history: 12000, outputReserve: 4000,
        harnessOverhead: 16000),
    budget: .init(turns: 8, promptTokens: 150_000, uniqueInputTokens: 25_000, outputTokens: 4000),
    maxMinutes: 20, adequateSuccess: 0.7, prior: .init(offset: 0.3, slope: 0.9), source: "test")
private let book = TierBook(
    tiers: [basic], priorRuns: 4, otherConditionWeight: 0.25,
    benchmarkMappings: [BenchmarkMapping(benchmark: "SWE-bench Verified", offset: 0, slope: 1, why: "scale")])

private func runs(_ model: String, _ passes: Int, of n: Int, harness: String = "none", tier: String = "basic")
    -> SeedResult
{
    SeedResult(
        seed: "002_test.txt", benchmark: "tiered", task: "task", model: model, modelName: model, runs: n,
        passes: passes,
        tier: tier, harness: harness)
}
private func swe(_ model: String, _ score: Double) -> BenchmarkResult {
    BenchmarkResult(
        model: model, modelName: model, benchmark: "SWE-bench Verified (vendor-reported)", score: score, date: nil,
        source: "test", notes: nil)
}
private func cloud(_ id: String, input: Double, output: Double, cached: Double? = nil, window: Int? = 200_000)
    -> CloudModel
{
    CloudModel(
        id: id, name: id, provider: "p", apiModel: id, openWeights: nil, inputPerMTok: input, outputPerMTok: output,
        cachedInputPerMTok: cached, contextWindow: window, maxOutput: nil, priceDate: "2026-02", priceDateNote: nil,
        source: "test", notes: nil)
}
private func local(_ model: String, decode: Double? = 50, prefill: Double? = 1000, verdict: Verdict = .gpu)
    -> LocalOption
{
    LocalOption(
        model: model, name: model, quant: .q4_K_M, verdict: verdict, memory: MemoryBreakdown(),
        decodeTokensPerSecond: decode,
        prefillTokensPerSecond: prefill, powerW: nil)
}

@Suite("Success estimates: evidence with its uncertainty", .onWorkerThreads)
struct SuccessEstimateTests {
    @Test("10 runs at 0% is not 100 runs at 0%: the interval narrows with the runs")
    func intervalNarrowsWithRuns() {
        let ten = SuccessEstimate.wilson(mean: 0, runs: 10)
        let hundred = SuccessEstimate.wilson(mean: 0, runs: 100)
        #expect(ten.low < 1e-9 && hundred.low < 1e-9)
        #expect(abs(ten.high - 0.141) < 0.002)  // z^2 / (n + z^2) with z = 1.2816
        #expect(abs(hundred.high - 0.0162) < 0.001)
    }

    @Test("A model with no runs and no mapped benchmark has no estimate, not a zero")
    func noEvidenceIsNil() {
        #expect(
            SuccessEstimator.estimate(ids: ["m"], tier: basic, harness: false, evidence: Evidence(), book: book) == nil)
        let unmapped = Evidence(benchmarks: [
            BenchmarkResult(
                model: "m", modelName: "m", benchmark: "LiveCodeBench", score: 70, date: nil, source: "s", notes: nil)
        ])
        #expect(
            SuccessEstimator.estimate(ids: ["m"], tier: basic, harness: false, evidence: unmapped, book: book) == nil)
    }

    @Test(
        "Runs under the other condition count a quarter; matched runs count fully",
        arguments: [(false, 0.5 + 9 + 0.25 * 24, 0.5 + 0.0), (true, 0.5 + 24 + 0.25 * 9, 0.5 + 0.0)])
    func harnessWeighting(harness: Bool, alpha: Double, beta: Double) throws {
        let e = Evidence(seeds: [runs("m", 9, of: 9), runs("m", 24, of: 24, harness: "Claude Code")])
        let est = try #require(
            SuccessEstimator.estimate(ids: ["m"], tier: basic, harness: harness, evidence: e, book: book))
        #expect(abs(est.mean - alpha / (alpha + beta)) < 1e-9)
        #expect(abs(est.effectiveRuns - (alpha + beta)) < 1e-9)
        #expect(est.observedRuns == 33)
    }

    @Test("A mapped benchmark is a prior worth priorRuns runs: SWE-bench 60 -> 0.3 + 0.9 x 0.6 = 84% for basic work")
    func benchmarkPrior() throws {
        let est = try #require(
            SuccessEstimator.estimate(
                ids: ["m"], tier: basic, harness: false, evidence: Evidence(benchmarks: [swe("m", 60)]), book: book))
        #expect(abs(try #require(est.priorMean) - 0.84) < 1e-9)
        #expect(abs(est.mean - (0.5 + 4 * 0.84) / 5) < 1e-9)
        #expect(est.observedRuns == 0)
    }

    @Test("Runs outweigh the prior: 0/10 observed pulls a strong benchmark prior down")
    func runsOutweighPrior() throws {
        let e = Evidence(benchmarks: [swe("m", 60)], seeds: [runs("m", 0, of: 10)])
        let est = try #require(
            SuccessEstimator.estimate(ids: ["m"], tier: basic, harness: false, evidence: e, book: book))
        #expect(est.mean < 0.3)
        #expect(est.high < 0.5)
    }

    @Test("A percentage without a pass count still counts: 85% of 10 runs is 8.5 passes")
    func scorePercent() throws {
        var s = runs("m", 0, of: 10)
        s.passes = nil
        s.scorePercent = 85
        let est = try #require(
            SuccessEstimator.estimate(
                ids: ["m"], tier: basic, harness: false, evidence: Evidence(seeds: [s]), book: book))
        #expect(abs(est.mean - 9.0 / 11.0) < 1e-9)
    }
}

@Suite("Cost and time per task", .onWorkerThreads)
struct TaskCostTests {
    @Test("Cloud cost: unique input at the input price, resent context at the cached price, output at the output price")
    func cloudCost() {
        // 25k x $3 + 125k x $0.30 + 4k x $15 per million = 0.075 + 0.0375 + 0.06
        #expect(
            abs(
                Recommender.cloudCostPerTask(cloud("c", input: 3, output: 15, cached: 0.3), budget: basic.budget)
                    - 0.1725) < 1e-9)
        // No cached price: the resent context costs the input price.
        #expect(
            abs(Recommender.cloudCostPerTask(cloud("c", input: 1, output: 2), budget: basic.budget) - (0.15 + 0.008))
                < 1e-9)
    }

    @Test("Local time: prefill the final context once (prompt cache), decode the output")
    func localTime() throws {
        // 25k / 1000 t/s = 25 s; 4k / 50 t/s = 80 s; 105 s = 1.75 min
        #expect(abs(try #require(Recommender.minutesPerTask(local("m"), budget: basic.budget)) - 1.75) < 1e-9)
        #expect(Recommender.minutesPerTask(local("m", decode: nil), budget: basic.budget) == nil)
    }

    @Test(
        "The tier's context is the sum of its parts rounded up to 16k, and a harness adds its own prompt",
        arguments: [(false, 32768), (true, 49152)])
    func tierContext(harness: Bool, tokens: Int) {
        #expect(basic.context.tokens(harness: harness).count == tokens)
    }
}

@Suite("Ranking: a pure function of evidence, machine and options", .onWorkerThreads)
struct RankingTests {
    let evidence = Evidence(
        benchmarks: [swe("cloud-strong", 77), swe("cloud-weak", 20)],
        seeds: [runs("local-good", 18, of: 18), runs("local-bad", 0, of: 10), runs("cloud-strong", 10, of: 10)])
    let clouds = [
        cloud("cloud-strong", input: 3, output: 15, cached: 0.3), cloud("cloud-weak", input: 0.1, output: 0.4),
    ]

    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var locals: [String]
        var localOnly = false
        var maxCost: Double?
        var first: String?
        var bestLocal: String?
        var localAdequate: Bool
    }

    static let cases: [Case] = [
        Case(
            description: "an adequate local model comes first (free, private)", locals: ["local-good", "local-bad"],
            first: "local-good",
            bestLocal: "local-good", localAdequate: true),
        Case(
            description: "no adequate local model: the best cloud offer", locals: ["local-bad"], first: "cloud-strong",
            bestLocal: "local-bad",
            localAdequate: false),
        Case(
            description: "nothing fits here: cloud, and no best local", locals: [], first: "cloud-strong",
            bestLocal: nil, localAdequate: false),
        Case(
            description: "--local-only names the best local even when it is not good enough", locals: ["local-bad"],
            localOnly: true,
            first: "local-bad", bestLocal: "local-bad", localAdequate: false),
        Case(
            description: "--max-cost drops offers that cost more per task", locals: ["local-bad"], maxCost: 0.05,
            first: "cloud-weak",
            bestLocal: "local-bad", localAdequate: false),
    ]

    @Test("First choice, best local and adequacy", arguments: cases)
    func ranking(_ c: Case) {
        let choice = Recommender.choose(
            tier: basic, book: book, evidence: evidence, locals: c.locals.map { local($0) }, unfit: [], unrated: [],
            cloud: clouds,
            options: ChooseOptions(localOnly: c.localOnly, maxCostUSD: c.maxCost, context: TokenCount(32768)))
        #expect(choice.firstChoice?.model == c.first)
        #expect(choice.bestLocal?.model == c.bestLocal)
        #expect(choice.localAdequate == c.localAdequate)
        #expect(
            choice.candidates.prefix { $0.adequate }.count == choice.candidates.filter(\.adequate).count,
            "adequate candidates rank first")
        if c.localOnly { #expect(choice.candidates.allSatisfy { $0.kind == .local }) }
        if let max = c.maxCost {
            #expect(choice.candidates.filter { $0.kind == .cloud }.allSatisfy { ($0.costPerTaskUSD ?? 0) <= max })
            #expect(choice.excluded.contains { $0.hasPrefix("cloud-strong") })
        }
    }

    @Test("A local model too slow for the tier is not adequate, however good its evidence")
    func tooSlow() throws {
        let choice = Recommender.choose(
            tier: basic, book: book, evidence: evidence, locals: [local("local-good", decode: 2, prefill: 20)],
            unfit: [], unrated: [], cloud: [], options: ChooseOptions(context: TokenCount(32768)))
        let c = try #require(choice.candidates.first)
        #expect(!c.adequate)
        #expect(c.shortfall?.contains("minutes per task") == true)
    }

    @Test("A cloud model whose context window is smaller than the tier needs is left out, with the reason")
    func contextWindow() {
        let choice = Recommender.choose(
            tier: basic, book: book, evidence: evidence, locals: [], unfit: [], unrated: [],
            cloud: [cloud("cloud-strong", input: 3, output: 15, window: 16384)],
            options: ChooseOptions(context: TokenCount(32768)))
        #expect(choice.candidates.isEmpty)
        #expect(choice.excluded.first?.contains("context window") == true)
    }

    @Test("What would change the answer: a bigger machine for a better model that does not fit, and the harness")
    func whatWouldChange() {
        let e = Evidence(seeds: [
            runs("local-bad", 0, of: 10), runs("big", 18, of: 18), runs("local-bad", 9, of: 9, harness: "Claude Code"),
        ])
        let choice = Recommender.choose(
            tier: basic, book: book, evidence: e, locals: [local("local-bad")],
            unfit: [UnfitOption(model: "big", name: "Big", quant: .q4_K_M, needsBytes: 47 * 1_073_741_824)],
            unrated: [], cloud: [], options: ChooseOptions(context: TokenCount(32768)))
        #expect(
            choice.whatWouldChange.contains { $0.hasPrefix("With about 47 GiB of usable GPU (or unified) memory, big") }
        )
        #expect(
            choice.whatWouldChange.contains {
                $0.hasPrefix("Through a coding harness (--harness), local-bad") && $0.contains("9/9")
            })
    }
}
