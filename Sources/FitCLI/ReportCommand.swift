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
        try writeOutputFile(text, to: path, createFolder: output == nil)
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

    /// Everything the report shows, asked of the core once; the three formats only render it.
    static func build(
        _ session: Session, contexts: [Int], hostname: String?, date: String, redact: Bool, title: String? = nil
    ) throws -> MachineReport {
        var key = FNV1a()
        key.add(session.machine.benchKey)
        let request = MachineReport.Request(
            contexts: contexts, date: date, hostname: redact ? nil : hostname ?? title, redact: redact,
            machineID: key.hex,
            fitVersion: FitCommand.configuration.version, catalogVersion: session.catalog.fingerprint,
            hostMeasurement: session.hostMeasurement)
        return MachineReport.assemble(
            request, machine: session.machine, models: session.catalog.models, cloud: session.catalog.cloud,
            evidence: try session.evidence(), target: session.target, speed: try session.speed(), memo: session.memo)
    }
}

/// Markdown that reads well on a code-hosting site: headings, tables, fenced launch commands.
enum ReportMarkdown {
    /// A name or sentence from the machine, the catalog or a server, inert in Markdown: renderers
    /// pass raw HTML through, so `&`, `<` and `>` become entities (and `|` cannot end a table cell).
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: " ")
    }

    static func render(_ r: MachineReport) -> String {
        let m = r.machine
        var o = "# fit report: \(cell(m.hostname ?? m.gpus.first?.name ?? m.cpu ?? "machine"))\n\n"
        o +=
            "Generated \(cell(r.generatedAt)) by fit \(cell(r.fitVersion)), catalog \(cell(r.catalogVersion)). Machine id `\(cell(m.id).replacingOccurrences(of: "`", with: "'"))`.\n\n## Machine\n\n"
        o += "| fact | value | source | status |\n|---|---|---|---|\n"
        for f in m.facts { o += "| \(cell(f.name)) | \(cell(f.value)) | \(cell(f.source)) | \(cell(f.status)) |\n" }
        if let hw = m.measured {
            o +=
                "\nMeasured by `fit bench hardware` (\(cell(hw.measuredAt))): RAM triad \(NumberText.format(hw.triadGBs, digits: 1)) GB/s, "
            o += "CPU \(NumberText.format(hw.allCoresGFLOPS, digits: 0)) GFLOP/s on \(hw.threads) threads.\n"
        }
        for w in m.warnings { o += "\n> warning: \(cell(w))\n" }
        o +=
            "\n## What to use, per task tier\n\n| tier | context | first choice | best local | local good enough? |\n|---|---|---|---|---|\n"
        for t in r.tiers {
            o +=
                "| \(cell(t.name)) | \(TokenCount(t.contextTokens).short) | \(pick(t.firstChoice)) | \(pick(t.bestLocal)) | \(t.localAdequate ? "yes" : "no") |\n"
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
