#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `fit choose`: which model to use for a tier of agent work on this machine, local or cloud.
/// A pure function of the evidence, the machine's fit rows and the options (DECISIONS.md,
/// "Choosing a model", states every weight).

/// One piece of evidence an estimate rests on.
public struct EvidenceLine: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case tierRuns = "tier-runs"
        case benchmark
    }
    public var kind: Kind
    public var model: String
    /// What was measured: "seed 002 Tier 3 advanced: Security fix", "SWE-bench Verified (vendor-reported) 80.2".
    public var what: String
    public var runs: Double?
    public var passes: Double?
    public var score: Double?
    /// What drove the model ("none": raw tool calls); nil for benchmarks.
    public var harness: String?
    /// How much it counted (1, or the other-condition weight).
    public var weight: Double
    public var source: String
}

/// A success rate with its uncertainty: a Beta posterior summarised by its mean and an 80% Wilson
/// interval on the effective number of runs (10 runs at 0% is not 100 runs at 0%).
public struct SuccessEstimate: Sendable, Equatable, Codable {
    public var mean: Double
    public var low: Double
    public var high: Double
    /// Runs the estimate is worth: weighted observed runs plus the prior's pseudo-runs.
    public var effectiveRuns: Double
    public var observedRuns: Double
    public var observedPasses: Double
    /// The benchmark prior's mean for this tier, when the model has mapped benchmark scores.
    public var priorMean: Double?
    public var evidence: [EvidenceLine]

    /// z for a two-sided 80% interval.
    public static let z = 1.2816

    public static func wilson(mean p: Double, runs n: Double) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let z2 = z * z
        let denom = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denom
        let half = z * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()) / denom
        return (max(0, center - half), min(1, center + half))
    }
}

public enum SuccessEstimator {
    /// The success estimate of a model (`ids`: its catalog id, and for a cloud offer the open
    /// weights it serves) at a tier, from tier runs (seeds, this machine's `fit bench agent`) and
    /// mapped benchmark scores. Nil when there is no evidence at all.
    public static func estimate(ids: Set<String>, tier: TaskTier, harness: Bool, evidence: Evidence, book: TierBook)
        -> SuccessEstimate?
    {
        var lines: [EvidenceLine] = []
        var passes = 0.0
        var runs = 0.0
        var rawRuns = 0.0
        var rawPasses = 0.0
        for s in evidence.seeds {
            guard s.tier == tier.id, let m = s.model, ids.contains(m), let r = s.runs, r > 0 else { continue }
            guard let p = s.passes.map(Double.init) ?? s.scorePercent.map({ $0 / 100 * Double(r) }) else { continue }
            let withHarness = (s.harness ?? "none") != "none"
            let w = withHarness == harness ? 1 : book.otherConditionWeight
            passes += w * p
            runs += w * Double(r)
            rawRuns += Double(r)
            rawPasses += p
            lines.append(
                EvidenceLine(
                    kind: .tierRuns, model: m, what: "\(seedLabel(s.seed)) \(s.task)", runs: Double(r), passes: p,
                    score: nil, harness: s.harness ?? "none", weight: w, source: s.seed))
        }
        var families: [Double] = []
        var benchmarkLines: [[EvidenceLine]] = []
        for mapping in book.benchmarkMappings {
            let rows = evidence.benchmarks.filter { b in
                b.model.map(ids.contains) ?? false && mapping.matches(b.benchmark)
            }
            guard !rows.isEmpty else { continue }
            families.append(rows.map { mapping.sweEquivalent($0.score) }.reduce(0, +) / Double(rows.count))
            benchmarkLines.append(
                rows.map { b in
                    EvidenceLine(
                        kind: .benchmark, model: b.model ?? "",
                        what: "\(b.benchmark): \(NumberText.format(b.score, digits: 1))",
                        runs: nil, passes: nil, score: b.score, harness: nil, weight: 0, source: b.source)
                })
        }
        // Each benchmark family is worth priorRuns runs, shared evenly by its rows.
        for family in benchmarkLines {
            lines += family.map {
                var l = $0
                l.weight = book.priorRuns / Double(family.count)
                return l
            }
        }
        let priorMean: Double? =
            families.isEmpty
            ? nil
            : min(0.98, max(0.02, tier.prior(families.reduce(0, +) / Double(families.count))))
        guard runs > 0 || priorMean != nil else { return nil }
        let k = priorMean == nil ? 0 : book.priorRuns * Double(families.count)
        let alpha = 0.5 + passes + k * (priorMean ?? 0)
        let beta = 0.5 + (runs - passes) + k * (1 - (priorMean ?? 0))
        let n = alpha + beta
        let mean = alpha / n
        let (low, high) = SuccessEstimate.wilson(mean: mean, runs: n)
        return SuccessEstimate(
            mean: mean, low: low, high: high, effectiveRuns: n, observedRuns: rawRuns, observedPasses: rawPasses,
            priorMean: priorMean, evidence: lines)
    }

    static func seedLabel(_ file: String) -> String {
        file.count >= 3 && file.prefix(3).allSatisfy(\.isNumber) ? "seed \(file.prefix(3))" : file
    }
}

/// A local build that fits here, with its speed where the estimator knows it.
public struct LocalOption: Sendable, Equatable {
    public var model: String
    public var name: String
    public var quant: QuantScheme
    public var verdict: Verdict
    public var memory: MemoryBreakdown
    /// Decode and prefill tokens/s at half the tier's context (the middle of a task).
    public var decodeTokensPerSecond: Double?
    public var prefillTokensPerSecond: Double?
    /// Board power of the GPU it runs on (for electricity per task), when the hardware table knows it.
    public var powerW: Double?
    /// The speed comes from a measurement of the same model, quant and GPU, not the estimate.
    public var speedMeasured = false
    public init(
        model: String, name: String, quant: QuantScheme, verdict: Verdict, memory: MemoryBreakdown,
        decodeTokensPerSecond: Double?, prefillTokensPerSecond: Double?, powerW: Double?
    ) {
        self.model = model
        self.name = name
        self.quant = quant
        self.verdict = verdict
        self.memory = memory
        self.decodeTokensPerSecond = decodeTokensPerSecond
        self.prefillTokensPerSecond = prefillTokensPerSecond
        self.powerW = powerW
    }
}

/// A model with evidence that does not fit here at this context: what it would need.
public struct UnfitOption: Sendable, Equatable {
    public var model: String
    public var name: String
    public var quant: QuantScheme
    public var needsBytes: Int64
    public init(model: String, name: String, quant: QuantScheme, needsBytes: Int64) {
        self.model = model
        self.name = name
        self.quant = quant
        self.needsBytes = needsBytes
    }
}

public struct ChooseOptions: Sendable, Equatable {
    public var harness: Bool
    public var localOnly: Bool
    /// The most to pay per task attempt for a cloud model.
    public var maxCostUSD: Double?
    public var context: TokenCount
    /// Electricity price for the cost of a local task.
    public var electricityUSDPerKWh: Double
    public init(
        harness: Bool = false, localOnly: Bool = false, maxCostUSD: Double? = nil, context: TokenCount,
        electricityUSDPerKWh: Double = Recommender.electricityUSDPerKWh
    ) {
        self.harness = harness
        self.localOnly = localOnly
        self.maxCostUSD = maxCostUSD
        self.context = context
        self.electricityUSDPerKWh = electricityUSDPerKWh
    }
}

public struct Candidate: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case local, cloud }
    public var kind: Kind
    /// Catalog model id (local) or cloud offer id.
    public var model: String
    public var name: String
    public var quant: QuantScheme?
    public var provider: String?
    public var estimate: SuccessEstimate
    public var adequate: Bool
    /// Why it is not adequate (nil when it is).
    public var shortfall: String?
    public var minutesPerTask: Double?
    public var costPerTaskUSD: Double?
    public var costPerSuccessUSD: Double?
    public var score: Double
    public var local: LocalOption?
    public var cloud: CloudModel?
}

public struct Choice: Sendable, Equatable {
    public var tier: TaskTier
    public var context: TokenCount
    public var harness: Bool
    public var candidates: [Candidate]
    public var firstChoice: Candidate?
    public var bestLocal: Candidate?
    public var localAdequate: Bool
    /// What would change the answer, in sentences.
    public var whatWouldChange: [String]
    /// Models that fit here but have no evidence for this tier.
    public var unrated: [String]
    /// Cloud offers left out, and why (over --max-cost, context window too small).
    public var excluded: [String]
}

public enum Recommender {
    /// Default electricity price (USD per kWh) for the energy cost of a local task.
    public static let electricityUSDPerKWh = 0.15
    /// Score weights: points per unit of expected success, per doubling of cost per success above
    /// $0.10, per doubling of minutes per task above 10, and the bonus for running locally.
    public static let successWeight = 100.0
    public static let costWeight = 8.0
    public static let timeWeight = 5.0
    public static let localBonus = 5.0

    public static func score(mean: Double, costPerSuccess: Double?, minutes: Double?, local: Bool, maxMinutes: Double)
        -> Double
    {
        let cost = costPerSuccess.map { costWeight * log2(1 + $0 / 0.10) } ?? 0
        // Unknown speed counts as half the tier's limit: not free, not ruled out.
        let time = timeWeight * log2(1 + (minutes ?? maxMinutes / 2) / 10)
        return successWeight * mean - cost - time + (local ? localBonus : 0)
    }

    /// Minutes for one task: prefill the unique input once (prompt cache), decode the output.
    public static func minutesPerTask(_ o: LocalOption, budget: TaskTier.TokenBudget) -> Double? {
        Advisor.minutesPerTask(decode: o.decodeTokensPerSecond, prefill: o.prefillTokensPerSecond, budget: budget)
    }

    /// USD per task attempt: the unique input at the input price, the resent context at the cached
    /// price (the input price when there is none), the output at the output price.
    public static func cloudCostPerTask(_ c: CloudModel, budget: TaskTier.TokenBudget) -> Double {
        let unique = Double(budget.uniqueInputTokens)
        let resent = Double(max(0, budget.promptTokens - budget.uniqueInputTokens))
        return
            (unique * c.inputPerMTok + resent * (c.cachedInputPerMTok ?? c.inputPerMTok) + Double(budget.outputTokens)
            * c.outputPerMTok) / 1e6
    }

    public static func choose(
        tier: TaskTier, book: TierBook, evidence: Evidence, locals: [LocalOption], unfit: [UnfitOption],
        unrated: [String], cloud: [CloudModel], options: ChooseOptions
    ) -> Choice {
        var candidates: [Candidate] = []
        var excluded: [String] = []
        for o in locals {
            guard
                let e = SuccessEstimator.estimate(
                    ids: [o.model], tier: tier, harness: options.harness, evidence: evidence, book: book)
            else { continue }
            let minutes = minutesPerTask(o, budget: tier.budget)
            let energy = minutes.flatMap { m in o.powerW.map { m / 60 * $0 / 1000 * options.electricityUSDPerKWh } }
            var shortfall: String?
            if e.low < tier.adequateSuccess {
                shortfall = successShortfall(e, tier)
            } else if let m = minutes, m > tier.maxMinutes {
                shortfall =
                    "about \(NumberText.format(m, digits: 0)) minutes per task here; the \(tier.id) tier allows \(NumberText.format(tier.maxMinutes, digits: 0))"
            }
            candidates.append(
                Candidate(
                    kind: .local, model: o.model, name: o.name, quant: o.quant, provider: nil, estimate: e,
                    adequate: shortfall == nil, shortfall: shortfall, minutesPerTask: minutes, costPerTaskUSD: energy,
                    costPerSuccessUSD: energy.map { $0 / max(e.mean, 0.01) },
                    score: score(
                        mean: e.mean, costPerSuccess: energy.map { $0 / max(e.mean, 0.01) }, minutes: minutes,
                        local: true, maxMinutes: tier.maxMinutes),
                    local: o, cloud: nil))
        }
        if !options.localOnly {
            for c in cloud {
                let ids: Set<String> = Set([c.id] + (c.openWeights.map { [$0] } ?? []))
                guard
                    let e = SuccessEstimator.estimate(
                        ids: ids, tier: tier, harness: options.harness, evidence: evidence, book: book)
                else { continue }
                if let w = c.contextWindow, w < options.context.count {
                    excluded.append(
                        "\(c.id): its \(TokenCount(w).short) context window is smaller than the \(options.context.short) this tier needs"
                    )
                    continue
                }
                let cost = cloudCostPerTask(c, budget: tier.budget)
                if let max = options.maxCostUSD, cost > max {
                    excluded.append("\(c.id): about \(usd(cost)) per task, over --max-cost \(usd(max))")
                    continue
                }
                let perSuccess = cost / max(e.mean, 0.01)
                let shortfall: String? = e.low < tier.adequateSuccess ? successShortfall(e, tier) : nil
                candidates.append(
                    Candidate(
                        kind: .cloud, model: c.id, name: c.name, quant: nil, provider: c.provider, estimate: e,
                        adequate: shortfall == nil, shortfall: shortfall, minutesPerTask: nil, costPerTaskUSD: cost,
                        costPerSuccessUSD: perSuccess,
                        score: score(
                            mean: e.mean, costPerSuccess: perSuccess, minutes: nil, local: false, maxMinutes: 0),
                        local: nil, cloud: c))
            }
        }
        candidates.sort { a, b in
            if a.adequate != b.adequate { return a.adequate }
            if a.score != b.score { return a.score > b.score }
            return a.model < b.model
        }
        let bestLocal = candidates.first { $0.kind == .local }
        let localAdequate = candidates.contains { $0.kind == .local && $0.adequate }
        // The first adequate candidate; when none is, the best cloud offer (not good enough locally:
        // pay for the cloud), unless --local-only.
        let first =
            options.localOnly
            ? bestLocal
            : candidates.first(where: \.adequate) ?? candidates.first { $0.kind == .cloud } ?? bestLocal
        let changes = whatWouldChange(
            tier: tier, book: book, evidence: evidence, best: bestLocal, localAdequate: localAdequate,
            unfit: unfit, options: options)
        return Choice(
            tier: tier, context: options.context, harness: options.harness, candidates: candidates, firstChoice: first,
            bestLocal: bestLocal, localAdequate: localAdequate, whatWouldChange: changes, unrated: unrated,
            excluded: excluded)
    }

    static func successShortfall(_ e: SuccessEstimate, _ tier: TaskTier) -> String {
        "expected success \(pct(e.mean)) (80% interval \(pct(e.low))-\(pct(e.high))); the \(tier.id) tier needs at least \(pct(tier.adequateSuccess)) at the interval's low end"
    }

    /// Sentences naming the inputs that would change the answer: more memory, a harness.
    static func whatWouldChange(
        tier: TaskTier, book: TierBook, evidence: Evidence, best: Candidate?, localAdequate: Bool,
        unfit: [UnfitOption], options: ChooseOptions
    ) -> [String] {
        var out: [String] = []
        // Bigger machine: the models with the best evidence that do not fit here.
        let rated = unfit.compactMap { u -> (UnfitOption, SuccessEstimate)? in
            SuccessEstimator.estimate(
                ids: [u.model], tier: tier, harness: options.harness, evidence: evidence, book: book
            ).map { (u, $0) }
        }
        let better = rated.filter { $0.1.mean > (best?.estimate.mean ?? 0) + 0.05 }
            .sorted {
                ($0.1.low >= tier.adequateSuccess ? 0 : 1, $0.0.needsBytes, $0.0.model) < (
                    $1.1.low >= tier.adequateSuccess ? 0 : 1, $1.0.needsBytes, $1.0.model
                )
            }
        for (u, e) in better.prefix(2) {
            let gib = (Double(u.needsBytes) / 1_073_741_824).rounded(.up)
            out.append(
                "With about \(NumberText.format(gib, digits: 0)) GiB of usable GPU (or unified) memory, \(u.model) (\(u.quant.rawValue), expected \(pct(e.mean)) at \(tier.id) work\(e.low >= tier.adequateSuccess ? ", adequate" : "")) would fit at \(options.context.short) context; it does not fit here."
            )
        }
        // The other condition: a harness (or none) changes the picture.
        if let best {
            if let other = SuccessEstimator.estimate(
                ids: [best.model], tier: tier, harness: !options.harness, evidence: evidence, book: book),
                abs(other.mean - best.estimate.mean) >= 0.05
            {
                let runs = other.evidence.filter {
                    $0.kind == .tierRuns && (($0.harness ?? "none") != "none") != options.harness
                }
                let passes = runs.compactMap(\.passes).reduce(0, +)
                let total = runs.compactMap(\.runs).reduce(0, +)
                let measured =
                    total > 0
                    ? ": measured \(NumberText.format(passes, digits: 0))/\(NumberText.format(total, digits: 0)) \(tier.id)-tier runs \(options.harness ? "with raw tool calls" : "through \(Set(runs.compactMap(\.harness)).sorted().joined(separator: ", "))")"
                    : ""
                out.append(
                    "\(options.harness ? "Without a harness" : "Through a coding harness (--harness)"), \(best.model) is expected to pass \(pct(other.mean)) instead of \(pct(best.estimate.mean))\(measured)."
                )
            }
        } else if !localAdequate, let (u, _) = rated.sorted(by: { $0.0.needsBytes < $1.0.needsBytes }).first,
            better.isEmpty
        {
            out.append(
                "The smallest model with \(tier.id)-tier evidence, \(u.model) (\(u.quant.rawValue)), needs about \(NumberText.format((Double(u.needsBytes) / 1_073_741_824).rounded(.up), digits: 0)) GiB at \(options.context.short) context."
            )
        }
        return out
    }

    public static func pct(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
    public static func usd(_ x: Double) -> String {
        x >= 1
            ? "$" + NumberText.format(x, digits: 2)
            : x >= 0.01 ? "$" + NumberText.format(x, digits: 3) : "$" + NumberText.format(x, digits: 4)
    }
}
