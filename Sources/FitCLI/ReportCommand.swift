import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit report`: the per-machine report people keep, share and compare.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write this machine's report: facts, what fits at 8k-128k and how fast, what to use per tier, how to launch it."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, md, json }

    @Option(
        name: .long, help: ArgumentHelp("html (default; one self-contained file), md or json.", valueName: "format"))
    var format: String = "html"

    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp("Contexts for the fit map (default 8k 32k 64k 128k).", valueName: "n"))
    var ctx: [String] = []

    @Option(
        name: [.customShort("o"), .long],
        help: ArgumentHelp(
            "Where to write it (default: Reports/<machine>-<date>.<format>; - for standard output).", valueName: "path")
    )
    var output: String?

    @Flag(name: .long, help: "Leave out the host name and serial numbers (GPU UUIDs).")
    var redact = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The report's date (for reproducible samples).", valueName: "YYYY-MM-DD", visibility: .hidden))
    var date: String?

    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions

    func run() async throws {
        guard let fmt = Format(rawValue: format.lowercased()) else {
            throw FitError.usage("--format \(format) is not a report format; use html, md or json")
        }
        let contexts = try ctx.isEmpty ? [8192, 32768, 65536, 131072] : ctx.map { try parseContext($0).count }
        let session = try await Session.load(catalog: catalogOptions, machine: machineOptions)
        var hostname: String? = nil
        if !redact && machineOptions.machine == nil && machineOptions.hardware == nil {
            hostname = ProcessInfo.processInfo.hostName
        }
        let day = date ?? String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let report = try Self.build(
            session, contexts: contexts.sorted(), hostname: hostname, date: day, redact: redact,
            title: machineOptions.hardware)
        session.save()
        let text: String
        switch fmt {
        case .json: text = try Self.json(report)
        case .md: text = ReportMarkdown.render(report)
        case .html: text = ReportHTML.render(report)
        }
        if output == "-" {
            print(text, terminator: "")
            return
        }
        let path = output ?? Self.defaultPath(report, format: fmt)
        do {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FitError(
                sentence:
                    "-o \(path) cannot be written (\((error as NSError).localizedDescription)); choose a writable path, or -o - for standard output",
                exitCode: 1)
        }
        print("wrote \(path)")
    }

    static func defaultPath(_ r: MachineReport, format: Format) -> String {
        let name = (r.machine.hostname ?? r.machine.gpus.first?.name ?? r.machine.cpu ?? "machine")
            .lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { s, c in
                if !(c == "-" && s.hasSuffix("-")) { s.append(c) }
            }
        return
            "Reports/\(name.trimmingCharacters(in: CharacterSet(charactersIn: "-")))-\(r.generatedAt.prefix(10)).\(format.rawValue)"
    }

    static func json(_ r: MachineReport) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(r), as: UTF8.self) + "\n"
    }

    /// Everything the report shows, computed once; the three formats only render it.
    static func build(
        _ session: Session, contexts: [Int], hostname: String?, date: String, redact: Bool, title: String? = nil
    ) throws -> MachineReport {
        let machine = session.machine
        let catalog = session.catalog
        let target = session.target
        let speed = try session.speed()
        let measured = session.hostMeasurement
        let byID = Dictionary(uniqueKeysWithValues: catalog.models.map { ($0.id, $0) })

        // The fit map: per model and context, the build to use (BuildChoice), its speed at half the context.
        var cellsByModel: [String: [MachineReport.Cell]] = [:]
        var maxCtx: [String: (Int, String)] = [:]
        for c in contexts {
            let options = PlanOptions(context: TokenCount(c))
            let rows = FitList.evaluate(
                models: catalog.models, target: target, options: options, contextFor: nil, speed: speed,
                largestContext: true,
                memo: session.memo)
            let best = Dictionary(uniqueKeysWithValues: BuildChoice.perModel(rows).map { ($0.model, $0) })
            for m in catalog.models {
                guard let r = best[m.id] else {
                    cellsByModel[m.id, default: []].append(
                        .init(
                            context: c, quant: nil, verdict: Verdict.none.rawValue, memoryBytes: nil,
                            decodeTokensPerSecond: nil, prefillTokensPerSecond: nil))
                    continue
                }
                let build = BuildWork(model: m, scheme: r.quant)
                let plan = MemoryPlanner(architecture: m.architecture, weights: build.work.weights, memo: session.memo)
                    .plan(options, on: target)
                let s = try? SpeedEstimator.estimate(
                    build, plan: plan, context: speed, decodeDepths: [c / 2], prompt: 512, promptDepth: 0
                ).get()
                cellsByModel[m.id, default: []].append(
                    .init(
                        context: c, quant: r.quant.rawValue, verdict: r.verdict.rawValue,
                        memoryBytes: r.memory.totalBytes,
                        decodeTokensPerSecond: LaunchText.round(s?.decode[0]),
                        prefillTokensPerSecond: LaunchText.round(s?.prefill, 0)))
                if let mc = r.maxContext?.count, mc > (maxCtx[m.id]?.0 ?? 0) {
                    maxCtx[m.id] = (min(mc, m.architecture.contextLength), r.quant.rawValue)
                }
            }
        }
        var fitMap: [MachineReport.ModelEntry] = []
        var doesNotFit: [String] = []
        for m in catalog.models {
            let cells = cellsByModel[m.id] ?? []
            guard cells.contains(where: { $0.quant != nil }) else {
                doesNotFit.append(m.id)
                continue
            }
            let tensors = TensorLayout(m.architecture).tensors
            fitMap.append(
                .init(
                    model: m.id, name: m.name, family: m.family, parameters: ModelArchitecture.parameters(tensors),
                    activeParameters: m.architecture.activeParameters(tensors),
                    contextWindow: m.architecture.contextLength,
                    maxContext: maxCtx[m.id]?.0, maxContextQuant: maxCtx[m.id]?.1, cells: cells))
        }
        fitMap.sort { ($0.family, -$0.parameters, $0.model) < ($1.family, -$1.parameters, $1.model) }

        // Per tier: fit choose's answer, with fit choose's defaults.
        var tiers: [MachineReport.TierEntry] = []
        var launchModels: [(String, QuantScheme, Int)] = []
        for tier in (try session.evidence().tiers?.tiers ?? []).sorted(by: { $0.rank < $1.rank }) {
            let choice = try ChooseCommand.compute(
                .init(
                    tierName: tier.id, harness: false, localOnly: false, maxCost: nil, models: [], context: nil,
                    options: PlanOptions(context: TokenCount(8192))), session: session)
            func pick(_ c: Candidate?) -> MachineReport.Pick? {
                guard let c else { return nil }
                return .init(
                    model: c.model, kind: c.kind.rawValue, quant: c.quant?.rawValue, provider: c.provider,
                    adequate: c.adequate,
                    expectedSuccess: LaunchText.round(c.estimate.mean, 3) ?? 0,
                    successLow: LaunchText.round(c.estimate.low, 3) ?? 0,
                    successHigh: LaunchText.round(c.estimate.high, 3) ?? 0,
                    minutesPerTask: LaunchText.round(c.minutesPerTask),
                    costPerTaskUSD: LaunchText.round(c.costPerTaskUSD, 4),
                    costPerSuccessUSD: LaunchText.round(c.costPerSuccessUSD, 4),
                    evidence: c.estimate.evidence.sorted { $0.weight > $1.weight }.prefix(4).map { l in
                        l.what
                            + (l.runs.map {
                                ": \(NumberText.format(l.passes ?? 0, digits: 0))/\(NumberText.format($0, digits: 0))"
                            } ?? "") + " [\(l.source)]"
                    })
            }
            let alternatives = choice.candidates.filter {
                $0.model != choice.firstChoice?.model && $0.model != choice.bestLocal?.model
            }.prefix(3)
            tiers.append(
                .init(
                    tier: tier.id, name: tier.name, contextTokens: choice.context.count,
                    localAdequate: choice.localAdequate,
                    firstChoice: pick(choice.firstChoice), bestLocal: pick(choice.bestLocal),
                    alternatives: alternatives.compactMap(pick),
                    whatWouldChange: choice.whatWouldChange))
            for c in [choice.firstChoice, choice.bestLocal].compactMap({ $0 }) where c.kind == .local {
                if let q = c.quant, !launchModels.contains(where: { $0.0 == c.model }) {
                    launchModels.append((c.model, q, choice.context.count))
                }
            }
        }

        // Launch commands and the memory each recommended build takes per device.
        var launch: [MachineReport.Launch] = []
        for (id, q, ctx) in launchModels {
            guard let m = byID[id] else { continue }
            let build = BuildWork(model: m, scheme: q)
            let plan = MemoryPlanner(architecture: m.architecture, weights: build.work.weights, memo: session.memo)
                .plan(PlanOptions(context: TokenCount(ctx)), on: target)
            let file = "\(m.id)-\(q.rawValue).gguf"
            let repo = m.aliases.first { $0.contains("/") && !$0.lowercased().contains("gguf") } ?? m.id
            let ollama = m.aliases.first { $0.contains(":") && !$0.contains("/") } ?? "./\(file)"
            let gpuCount = target.gpus.count
            let onGPU = plan.verdict == .gpu && gpuCount > 0 && !(target.gpus.first?.sharesHostMemory ?? false)
            let depths = [0, ctx / 4, ctx / 2, 3 * ctx / 4, ctx]
            let s = try? SpeedEstimator.estimate(
                build, plan: plan, context: speed, decodeDepths: depths, prompt: 512, promptDepth: 0
            ).get()
            let points = zip(depths, s?.decode ?? []).compactMap { d, v -> MachineReport.SpeedPoint? in
                LaunchText.round(v).map { .init(depth: d, decodeTokensPerSecond: $0) }
            }
            launch.append(
                .init(
                    model: id, quant: q.rawValue, context: ctx, verdict: plan.verdict.rawValue,
                    memory: .init(plan.memory),
                    devices: plan.devices.map {
                        .init(
                            name: $0.name, capacityBytes: $0.capacityBytes, usedBytes: $0.memory.totalBytes,
                            host: $0.isHost)
                    },
                    llamaServer: LaunchFlags.llamaServer(modelFile: file, plan: plan, devices: gpuCount).joined(
                        separator: " "),
                    ollamaModelfile: LaunchText.ollamaModelfile(from: ollama, context: ctx, gpuLayers: plan.gpuLayers),
                    vllm: onGPU ? LaunchText.vllm(repo: repo, context: ctx, gpus: gpuCount) : nil,
                    mlx: target.gpus.first.map { _ in machine.gpus.first?.vendor == .apple } == true
                        ? LaunchText.mlx(repo: repo) : nil,
                    speedByDepth: points))
        }

        var facts: [MachineReport.FactLine] = []
        func add<T>(_ name: String, _ f: Fact<T>, _ show: (T) -> String) {
            facts.append(
                .init(name: name, value: f.value.map(show) ?? "-", source: f.source.rawValue, status: f.status.rawValue)
            )
        }
        add("cpu.model", machine.cpu.model) { $0 }
        add("cpu.cores", machine.cpu.physicalCores) { String($0) }
        add("cpu.threads", machine.cpu.logicalCores) { String($0) }
        add("cpu.vectorExtensions", machine.cpu.vectorExtensions) { $0.joined(separator: " ") }
        add("memory.total", machine.memory.total) { $0.description }
        add("memory.available", machine.memory.available) { $0.description }
        add("memory.containerLimit", machine.memory.containerLimit) { $0.description }
        for g in machine.gpus {
            add("gpu\(g.index).name", g.name) { $0 }
            add("gpu\(g.index).memoryTotal", g.memoryTotal) { $0.description }
            add("gpu\(g.index).driver", g.driver) { $0 }
            if let bw = g.memoryBandwidthGBs {
                add("gpu\(g.index).memoryBandwidth", bw) { "\(NumberText.format($0, digits: 0)) GB/s" }
            }
        }
        let gpus = machine.gpus.enumerated().map { i, g in
            MachineReport.GPU(
                name: g.name.value ?? "GPU \(g.index)", vendor: g.vendor.rawValue,
                memoryBytes: g.memoryTotal.value?.bytes,
                usableBytes: i < target.gpus.count ? target.gpus[i].capacity.bytes : 0,
                bandwidthGBs: g.memoryBandwidthGBs?.value,
                sharesHostMemory: g.unifiedMemory, driver: redact ? nil : g.driver.value)
        }
        var key = FNV1a()
        key.add(machine.benchKey)
        let m = MachineReport.Machine(
            id: key.hex, hostname: redact ? nil : hostname ?? title, cpu: machine.cpu.model.value,
            cores: machine.cpu.physicalCores.value,
            threads: machine.cpu.logicalCores.value, vectorExtensions: machine.cpu.vectorExtensions.value ?? [],
            ramBytes: machine.memory.total.value?.bytes, usableRAMBytes: target.host.capacity.bytes,
            containerLimitBytes: machine.memory.containerLimit.value?.bytes, gpus: gpus, facts: facts,
            warnings: machine.warnings, measured: measured)
        return MachineReport(
            generatedAt: date, fitVersion: FitCommand.configuration.version, catalogVersion: catalog.fingerprint,
            machine: m,
            contexts: contexts, fitMap: fitMap, doesNotFit: doesNotFit, tiers: tiers, launch: launch)
    }
}

/// Markdown that reads well on a code-hosting site: headings, tables, fenced launch commands.
enum ReportMarkdown {
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func render(_ r: MachineReport) -> String {
        let m = r.machine
        var o = "# fit report: \(cell(m.hostname ?? m.gpus.first?.name ?? m.cpu ?? "machine"))\n\n"
        o +=
            "Generated \(r.generatedAt) by fit \(r.fitVersion), catalog \(r.catalogVersion). Machine id `\(m.id)`.\n\n## Machine\n\n"
        o += "| fact | value | source | status |\n|---|---|---|---|\n"
        for f in m.facts { o += "| \(cell(f.name)) | \(cell(f.value)) | \(f.source) | \(f.status) |\n" }
        if let hw = m.measured {
            o +=
                "\nMeasured by `fit bench hardware` (\(hw.measuredAt)): RAM triad \(NumberText.format(hw.triadGBs, digits: 1)) GB/s, "
            o += "CPU \(NumberText.format(hw.allCoresGFLOPS, digits: 0)) GFLOP/s on \(hw.threads) threads.\n"
        }
        for w in m.warnings { o += "\n> warning: \(cell(w))\n" }
        o +=
            "\n## What to use, per task tier\n\n| tier | context | first choice | best local | local good enough? |\n|---|---|---|---|---|\n"
        for t in r.tiers {
            o +=
                "| \(t.name) | \(TokenCount(t.contextTokens).short) | \(pick(t.firstChoice)) | \(pick(t.bestLocal)) | \(t.localAdequate ? "yes" : "no") |\n"
        }
        for t in r.tiers where !t.whatWouldChange.isEmpty {
            o += "\n**\(t.name)**: " + t.whatWouldChange.map(cell).joined(separator: " ") + "\n"
        }
        o +=
            "\n## Fit map: best build per context\n\n| model | params | "
            + r.contexts.map { TokenCount($0).short }.joined(separator: " | ") + " | max context |\n"
        o += "|---|---:|" + r.contexts.map { _ in "---|" }.joined() + "---:|\n"
        for e in r.fitMap {
            let cells = e.cells.map { c in
                c.quant.map { q in
                    "\(q) \(verdictShort(c.verdict))"
                        + (c.decodeTokensPerSecond.map { ", \(NumberText.format($0, digits: 0)) t/s" } ?? "")
                } ?? "-"
            }
            o +=
                "| \(cell(e.model)) | \(Format.params(e.parameters)) | " + cells.joined(separator: " | ")
                + " | \(e.maxContext.map { TokenCount($0).short } ?? "-") |\n"
        }
        if !r.doesNotFit.isEmpty { o += "\n\(r.doesNotFit.count) catalog models fit at none of these contexts.\n" }
        o += "\n## Launch\n"
        for l in r.launch {
            o += "\n### \(cell(l.model)) \(l.quant) at \(TokenCount(l.context).short)\n\n"
            o +=
                "Memory: weights \(ByteCount(l.memory.weightsBytes)), KV \(ByteCount(l.memory.kvCacheBytes)), compute \(ByteCount(l.memory.computeBytes)), overhead \(ByteCount(l.memory.overheadBytes)); total \(ByteCount(l.memory.totalBytes)).\n\n"
            o += "```sh\n\(l.llamaServer)\n```\n\nOllama Modelfile:\n\n```\n\(l.ollamaModelfile)```\n"
            if let v = l.vllm { o += "\n```sh\n\(v)\n```\n" }
            if let x = l.mlx { o += "\n```sh\n\(x)\n```\n" }
        }
        o +=
            "\nVerdicts: GPU = fits on the GPU, partial = partial offload, RAM = CPU only. Speeds are estimates (decode tokens/s at half the context).\n"
        return o
    }

    static func verdictShort(_ v: String) -> String {
        switch v {
        case "fits-on-gpu": "GPU"
        case "partial-offload": "partial"
        case "ram-only": "RAM"
        default: "-"
        }
    }

    static func pick(_ p: MachineReport.Pick?) -> String {
        guard let p else { return "none" }
        var s =
            "\(cell(p.model))\(p.quant.map { " \($0)" } ?? "") (\(p.kind), \(Recommender.pct(p.expectedSuccess)) [\(Recommender.pct(p.successLow))-\(Recommender.pct(p.successHigh))]"
        if let m = p.minutesPerTask { s += ", ~\(NumberText.format(m, digits: m < 10 ? 1 : 0)) min/task" }
        if p.kind == "cloud", let c = p.costPerSuccessUSD { s += ", \(Recommender.usd(c))/success" }
        return s + ")"
    }
}
