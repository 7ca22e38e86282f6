import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit choose --tier T`: which model to use for a tier of agent work, local or cloud, and why.
struct ChooseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "choose",
        abstract: "Rank local and cloud models for a tier of coding-agent work, with the evidence.",
        discussion: """
            Tiers (Catalog/tiers/tiers.yaml): basic (read-fix-write, TODOs, refactor into a helper),
            intermediate (error recovery, dependency chains, TDD), advanced (multi-file work, features,
            security fixes, full debug cycles). Success rates come from tiered agent runs (the seed
            posts, `fit bench agent` on this machine) and mapped agent benchmarks, each with an 80%
            interval; local models must fit at the tier's context and be fast enough for it.
            """)

    @Option(
        name: .long,
        help: ArgumentHelp("The work: basic, intermediate or advanced.", valueName: "tier"))
    var tier: String

    @Flag(
        name: .long,
        help:
            "The model will be driven by a coding harness (Claude Code, Aider, OpenHands): use the evidence measured that way."
    )
    var harness = false

    @Flag(name: .customLong("local-only"), help: "Only local models.")
    var localOnly = false

    @Option(
        name: .customLong("max-cost"),
        help: ArgumentHelp("The most to pay per task attempt for a cloud model, in USD.", valueName: "usd"))
    var maxCost: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Only these models (catalog ids, aliases or cloud ids; repeatable).", valueName: "model"))
    var model: [String] = []

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Candidates to show in the table (default 12; --json lists all).", valueName: "n"))
    var top: Int = 12

    @OptionGroup var plan: PlanFlags
    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top \(top) must be at least 1") }
    }

    func run() async throws {
        let session = try await Session.load(catalog: catalogOptions, machine: machineOptions)
        let choice = try Self.compute(
            Request(
                tierName: tier, harness: harness, localOnly: localOnly, maxCost: maxCost, models: model,
                context: plan.ctx, options: try plan.options()), session: session)
        session.save()
        if output.json {
            try printJSON(ChooseReport(choice, catalog: session.catalog, machine: session.machine))
        } else {
            print(Self.render(choice, machine: session.machine, top: top, style: output.style), terminator: "")
        }
    }

    /// What a user asked `fit choose` (or a report asks per tier), as parsed from the command line.
    struct Request {
        var tierName: String
        var harness: Bool
        var localOnly: Bool
        var maxCost: String?
        var models: [String]
        /// --ctx as given; nil: the tier's own context.
        var context: String?
        var options: PlanOptions
    }

    /// Resolves the request's names against the catalog and asks the core (`Advisor.choose`).
    static func compute(_ r: Request, session: Session) throws -> Choice {
        let catalog = session.catalog
        let evidence = try session.evidence()
        guard let book = evidence.tiers, !book.tiers.isEmpty else {
            throw FitError.data(
                "the catalog has no task tiers (Catalog/tiers/tiers.yaml is missing); restore it from the repository")
        }
        guard let tier = book.tier(r.tierName.lowercased()) else {
            throw FitError.usage(
                "--tier \(r.tierName) is not a tier; use one of \(book.tiers.sorted { $0.rank < $1.rank }.map(\.id).joined(separator: ", "))"
            )
        }
        var maxCostUSD: Double?
        if let maxCost = r.maxCost {
            let text = maxCost.hasPrefix("$") ? String(maxCost.dropFirst()) : maxCost
            guard let v = Double(text), v.isFinite else {
                throw FitError.usage("--max-cost \(maxCost) is not an amount in USD; use e.g. 0.50")
            }
            guard v > 0 else {
                throw FitError.usage(
                    "--max-cost \(maxCost) leaves nothing to spend on a cloud model; give a positive amount, or use --local-only"
                )
            }
            maxCostUSD = v
        }
        let context = try r.context.map(parseContext) ?? tier.context.tokens(harness: r.harness)

        // --model: resolve each name to a catalog model or a cloud offer; it must have evidence.
        var localModels = catalog.models
        var cloud = catalog.cloud
        if !r.models.isEmpty {
            var keepLocal: Set<String> = []
            var keepCloud: Set<String> = []
            for name in r.models {
                let lookup: Set<String>
                if let c = catalog.cloud.first(where: { $0.id.lowercased() == name.lowercased() }) {
                    keepCloud.insert(c.id)
                    lookup = Set([c.id] + (c.openWeights.map { [$0] } ?? []))
                } else if case .found(let m, _) = catalog.resolver.resolve(name) {
                    keepLocal.insert(m.id)
                    keepCloud.formUnion(catalog.cloud.filter { $0.openWeights == m.id }.map(\.id))
                    lookup = [m.id]
                } else {
                    throw FitError.usage(
                        "--model \(name) is neither a catalog model nor a cloud id; see `fit catalog search \(name)`")
                }
                if SuccessEstimator.estimate(
                    ids: lookup, tier: tier, harness: r.harness, evidence: evidence, book: book) == nil,
                    SuccessEstimator.estimate(
                        ids: lookup, tier: tier, harness: !r.harness, evidence: evidence, book: book) == nil
                {
                    throw FitError(
                        sentence:
                            "--model \(name) has no evidence for \(tier.id) work (no tiered agent runs, no mapped agent benchmark); measure it with `fit bench agent \(name) --endpoint URL --tier \(tier.id)` or add a result under Catalog/results",
                        exitCode: 1)
                }
            }
            localModels = catalog.models.filter { keepLocal.contains($0.id) }
            cloud = catalog.cloud.filter { keepCloud.contains($0.id) }
        }
        return Advisor.choose(
            tier: tier, book: book, evidence: evidence, models: localModels, cloud: cloud, target: session.target,
            options: r.options.with(context: context), speed: try session.speed(),
            choose: ChooseOptions(harness: r.harness, localOnly: r.localOnly, maxCostUSD: maxCostUSD, context: context),
            memo: session.memo)
    }

    static func render(_ c: Choice, machine: MachineDescription, top: Int, style: Style) -> String {
        let t = c.tier
        var out =
            style.bold(
                "\(t.name) agent work (\(t.tasks.prefix(3).joined(separator: "; "))\(t.tasks.count > 3 ? "; ..." : "")) at \(c.context.short) context\(c.harness ? ", through a coding harness" : ", raw tool calls")"
            ) + "\n"
        out += machineSummary(machine, target: PlanTarget(machine: machine)) + "\n\n"
        if let f = c.firstChoice {
            out +=
                style.bold("First choice: \(f.model)\(f.quant.map { " (\($0.rawValue))" } ?? "")") + " - "
                + line(f, tier: t) + "\n"
        } else {
            out +=
                style.bold("No first choice:")
                + " nothing with evidence for \(t.id) work \(c.candidates.isEmpty ? "fits here or is offered" : "is left") under these options.\n"
        }
        if let b = c.bestLocal {
            if c.firstChoice?.model != b.model {
                out += "Best local: \(b.model) (\(b.quant?.rawValue ?? "")) - " + line(b, tier: t) + "\n"
            }
        } else {
            out +=
                "Best local: none. No model with evidence for \(t.id) work fits on this machine at \(c.context.short) context.\n"
        }
        if !c.localAdequate {
            let why =
                c.bestLocal.map {
                    "the best that fits, \($0.model) (\($0.quant?.rawValue ?? "")): \($0.shortfall ?? "")"
                }
                ?? "nothing with evidence fits"
            out += style.paint("No local model on this machine is good enough for \(t.id) work: \(why).", "33") + "\n"
        }
        out += "\n"
        var table = TextTable(headers: [
            "", "MODEL", "KIND", "SUCCESS (80% CI)", "RUNS", "SPEED", "MIN/TASK", "$/TASK", "$/SUCCESS",
        ])
        table.rightAligned = [4, 5, 6, 7, 8]
        for cand in c.candidates.prefix(top) {
            let e = cand.estimate
            let speed =
                cand.local.flatMap { l in l.decodeTokensPerSecond.map { "\(NumberText.format($0, digits: 0)) t/s" } }
                ?? (cand.kind == .local ? "?" : "-")
            table.add(
                [
                    cand.adequate ? "ok" : "-", cand.model + (cand.quant.map { " \($0.rawValue)" } ?? ""),
                    cand.kind == .local
                        ? "local \(cand.local?.verdict == .gpu ? "GPU" : cand.local?.verdict == .partial ? "partial" : "RAM")"
                        : "cloud",
                    "\(Recommender.pct(e.mean)) (\(Recommender.pct(e.low))-\(Recommender.pct(e.high)))",
                    e.observedRuns > 0 ? NumberText.format(e.observedRuns, digits: 0) : "prior", speed,
                    cand.minutesPerTask.map { NumberText.format($0, digits: $0 < 10 ? 1 : 0) } ?? "-",
                    cand.costPerTaskUSD.map(Recommender.usd) ?? "-", cand.costPerSuccessUSD.map(Recommender.usd) ?? "-",
                ],
                paint: cand.adequate ? nil : { style.dim($0) })
        }
        out += table.render(style: style)
        if c.candidates.count > top { out += "... \(c.candidates.count - top) more (--top N, or --json for all)\n" }
        out +=
            "\nSUCCESS: expected share of \(t.id) tasks passed; RUNS: tiered agent runs behind it (\"prior\": mapped benchmarks only). "
        out +=
            "ok: the interval's low end reaches \(Recommender.pct(t.adequateSuccess))\(c.candidates.contains { $0.kind == .local } ? " and a task takes at most \(NumberText.format(t.maxMinutes, digits: 0)) minutes" : ""). "
        out +=
            "A task: ~\(t.budget.turns) turns, \(TokenCount(t.budget.promptTokens).short) tokens sent, \(TokenCount(t.budget.outputTokens).short) written; local $ is electricity.\n"
        if let f = c.firstChoice {
            out += "\n" + style.bold("Why \(f.model):") + "\n"
            for l in f.estimate.evidence.sorted(by: { $0.weight > $1.weight }).prefix(6) {
                let counts = l.runs.map { r in
                    "\(NumberText.format(l.passes ?? 0, digits: 0))/\(NumberText.format(r, digits: 0)) passed, \(l.harness == "none" ? "raw tool calls" : "via \(l.harness ?? "?")")"
                }
                out +=
                    "  - \(l.what)\(counts.map { ": \($0)" } ?? "") [\(l.source)]\(l.weight < 1 && l.kind == .tierRuns ? " (counts \(NumberText.format(l.weight, digits: 2)))" : "")\n"
            }
            if let p = f.estimate.priorMean {
                out += "  - benchmark prior for \(t.id) work: \(Recommender.pct(p)), worth a few runs\n"
            }
            if let l = f.local {
                out += "  - memory at \(c.context.short): \(Format.bytes(l.memory.totalBytes)) (\(l.verdict.label))"
                if let d = l.decodeTokensPerSecond, let p = l.prefillTokensPerSecond {
                    out +=
                        "; about \(NumberText.format(d, digits: 0)) t/s decode and \(NumberText.format(p, digits: 0)) t/s prefill mid-task"
                }
                out += "\n"
            }
        }
        if !c.whatWouldChange.isEmpty {
            out +=
                "\n" + style.bold("What would change the answer:") + "\n"
                + c.whatWouldChange.map { "  - \($0)\n" }.joined()
        }
        if !c.unrated.isEmpty {
            out +=
                "\n\(c.unrated.count) more model\(c.unrated.count == 1 ? "" : "s") fit here but have no evidence for \(t.id) work (\(c.unrated.prefix(5).joined(separator: ", "))\(c.unrated.count > 5 ? ", ..." : "")): measure one with `fit bench agent MODEL --endpoint URL --tier \(t.id)`.\n"
        }
        if !c.excluded.isEmpty {
            out +=
                "Left out: " + c.excluded.prefix(4).joined(separator: "; ") + (c.excluded.count > 4 ? "; ..." : "")
                + "\n"
        }
        return out
    }

    static func line(_ c: Candidate, tier: TaskTier) -> String {
        var parts = [
            "expected to pass \(Recommender.pct(c.estimate.mean)) of \(tier.id) tasks (80% interval \(Recommender.pct(c.estimate.low))-\(Recommender.pct(c.estimate.high)))"
        ]
        if let m = c.minutesPerTask { parts.append("~\(NumberText.format(m, digits: m < 10 ? 1 : 0)) min per task") }
        if c.kind == .cloud, let cost = c.costPerTaskUSD, let s = c.costPerSuccessUSD {
            parts.append("\(Recommender.usd(cost)) per task, \(Recommender.usd(s)) per success (\(c.provider ?? ""))")
        }
        return parts.joined(separator: ", ") + "."
    }
}

/// The JSON of `fit choose --json` (documented in the README).
struct ChooseReport: Encodable {
    var schema = 1
    var tier: TierJSON
    var context: Int
    var harness: Bool
    var catalogVersion: String
    var machine: MachineSummary
    var firstChoice: CandidateJSON?
    var bestLocal: CandidateJSON?
    var localAdequate: Bool
    var candidates: [CandidateJSON]
    var whatWouldChange: [String]
    var unrated: [String]
    var excluded: [String]

    struct TierJSON: Encodable {
        var id: String, name: String, tasks: [String], contextTokens: Int, adequateSuccess: Double, maxMinutes: Double
        var budget: TaskTier.TokenBudget
    }
    struct CandidateJSON: Encodable {
        var model: String, name: String, kind: String, quant: String?, provider: String?
        var adequate: Bool, shortfall: String?
        var expectedSuccess: Double, successLow: Double, successHigh: Double, effectiveRuns: Double,
            observedRuns: Double, observedPasses: Double
        var priorMean: Double?
        var verdict: String?, memoryBytes: Int64?, decodeTokensPerSecond: Double?, prefillTokensPerSecond: Double?
        /// "measured": from a catalog row of the same model, quant and GPU; "estimate"; nil for cloud.
        var speedSource: String?
        var minutesPerTask: Double?, costPerTaskUSD: Double?, costPerSuccessUSD: Double?, score: Double
        var evidence: [EvidenceLine]
        init(_ c: Candidate) {
            model = c.model
            name = c.name
            kind = c.kind.rawValue
            quant = c.quant?.rawValue
            provider = c.provider
            adequate = c.adequate
            shortfall = c.shortfall
            expectedSuccess = c.estimate.mean
            successLow = c.estimate.low
            successHigh = c.estimate.high
            effectiveRuns = c.estimate.effectiveRuns
            observedRuns = c.estimate.observedRuns
            observedPasses = c.estimate.observedPasses
            priorMean = c.estimate.priorMean
            verdict = c.local?.verdict.rawValue
            memoryBytes = c.local?.memory.totalBytes
            decodeTokensPerSecond = c.local?.decodeTokensPerSecond
            prefillTokensPerSecond = c.local?.prefillTokensPerSecond
            speedSource = c.local.map { $0.speedMeasured ? "measured" : "estimate" }
            minutesPerTask = c.minutesPerTask
            costPerTaskUSD = c.costPerTaskUSD
            costPerSuccessUSD = c.costPerSuccessUSD
            score = c.score
            evidence = c.estimate.evidence
        }
    }

    enum CodingKeys: String, CodingKey {
        case schema, tier, context, harness, catalogVersion, machine, firstChoice, bestLocal, localAdequate, candidates,
            whatWouldChange, unrated, excluded
    }

    /// Null, not absent, when there is no first choice or no local model fits.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(tier, forKey: .tier)
        try c.encode(context, forKey: .context)
        try c.encode(harness, forKey: .harness)
        try c.encode(catalogVersion, forKey: .catalogVersion)
        try c.encode(machine, forKey: .machine)
        if let firstChoice {
            try c.encode(firstChoice, forKey: .firstChoice)
        } else {
            try c.encodeNil(forKey: .firstChoice)
        }
        if let bestLocal { try c.encode(bestLocal, forKey: .bestLocal) } else { try c.encodeNil(forKey: .bestLocal) }
        try c.encode(localAdequate, forKey: .localAdequate)
        try c.encode(candidates, forKey: .candidates)
        try c.encode(whatWouldChange, forKey: .whatWouldChange)
        try c.encode(unrated, forKey: .unrated)
        try c.encode(excluded, forKey: .excluded)
    }

    init(_ c: Choice, catalog: Catalog, machine: MachineDescription) {
        tier = TierJSON(
            id: c.tier.id, name: c.tier.name, tasks: c.tier.tasks, contextTokens: c.context.count,
            adequateSuccess: c.tier.adequateSuccess, maxMinutes: c.tier.maxMinutes, budget: c.tier.budget)
        context = c.context.count
        harness = c.harness
        catalogVersion = catalog.fingerprint
        self.machine = MachineSummary(machine, PlanTarget(machine: machine))
        firstChoice = c.firstChoice.map(CandidateJSON.init)
        bestLocal = c.bestLocal.map(CandidateJSON.init)
        localAdequate = c.localAdequate
        candidates = c.candidates.map(CandidateJSON.init)
        whatWouldChange = c.whatWouldChange
        unrated = c.unrated
        excluded = c.excluded
    }
}
