import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit fleet`: reports from several machines, in the user's database, compared.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract:
            "Compare machines: add their `fit report --format json` files, ask which can run a model, render the comparison.",
        subcommands: [FleetAdd.self, FleetQuery.self, FleetReport.self])

    /// Reads one report file, naming what is wrong with it in one sentence.
    static func read(_ path: String) throws -> MachineReport {
        // A report is tens of KB; 32 MiB is a thousand times that.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 32 << 20 {
            throw FitError.usage(
                "\(path) is \(ByteCount(Int64(size))); a fit report is tens of KB (write one with `fit report --format json`)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FitError.usage("\(path) cannot be read (missing or not permitted)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FitError.usage(
                "\(path) is not a fit report (not a JSON object); write one with `fit report --format json`")
        }
        guard let schema = obj["schema"] as? String, schema.hasPrefix("fit-report/") else {
            throw FitError.usage(
                "\(path) is not a fit report (no `schema: fit-report/N`); write one with `fit report --format json`")
        }
        guard schema == MachineReport.currentSchema else {
            throw FitError.usage(
                "\(path) is a report of schema \(schema); this fit reads \(MachineReport.currentSchema): run `fit report --format json` again on that machine"
            )
        }
        do {
            let r = try JSONDecoder().decode(MachineReport.self, from: data)
            if let problem = r.problems.first {
                throw FitError.usage("\(path): \(problem); write it again with `fit report --format json`")
            }
            return r
        } catch let e as DecodingError {
            throw FitError.usage(
                "\(path) is a damaged \(schema) report (\(MachineOptions.describe(e))); write it again with `fit report --format json`"
            )
        }
    }

    static func label(_ r: MachineReport) -> String {
        r.machine.hostname ?? r.machine.gpus.first.map {
            "\(r.machine.gpus.count > 1 ? "\(r.machine.gpus.count)x " : "")\($0.name)"
        } ?? r.machine.cpu ?? r.machine.id
    }
}

struct FleetAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add reports (JSON) of machines; a newer report of the same machine replaces its older one.")
    @Argument(help: ArgumentHelp("Report files written by `fit report --format json`.", valueName: "report.json"))
    var files: [String]

    func run() async throws {
        guard !files.isEmpty else { throw FitError.usage("fit fleet add needs at least one report.json") }
        // Every file is checked before anything is written: a bad file never half-updates the fleet.
        let reports = try files.map { (try FleetCommand.read($0), $0) }
        let store = try openUserStore()
        let outcomes = try store.addToFleet(reports, at: isoNow())
        for ((r, path), outcome) in zip(reports, outcomes) {
            let what = "\(FleetCommand.label(r)) (\(r.machine.id), report of \(r.generatedAt)) from \(path)"
            switch outcome {
            case .added: print("added \(what)")
            case .replaced: print("replaced \(what)")
            case .keptNewer(let newer): print("kept the newer report of \(newer); not added: \(what)")
            }
        }
    }
}

struct FleetQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Which machines of the fleet can run a model at a context, and how fast.")
    @Argument(help: ArgumentHelp("A catalog model (id, HF repo id or Ollama tag).", valueName: "model")) var model:
        String
    @Option(name: .long, help: ArgumentHelp("Context (default 32k).", valueName: "n")) var ctx: String = "32k"
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    struct Row: Encodable {
        var machine: String, id: String, context: Int?, verdict: String, quant: String?, decodeTokensPerSecond: Double?,
            maxContext: Int?, note: String?
    }

    func run() async throws {
        let context = try parseContext(ctx).count
        let catalog = try catalogOptions.load()
        guard case .found(let m, _) = catalog.resolver.resolve(model) else {
            throw FitError.usage(
                "\(model) is not in the catalog; closest: \(catalog.resolver.suggestions(for: model).joined(separator: ", "))"
            )
        }
        let fleet = try openUserStore().fleet()
        guard !fleet.isEmpty else {
            throw FitError.usage("the fleet is empty; add reports with `fit fleet add REPORT.json...`")
        }
        var rows: [Row] = []
        for (r, _, _) in fleet {
            let label = FleetCommand.label(r)
            guard let at = r.contexts.filter({ $0 >= context }).min() else {
                rows.append(
                    Row(
                        machine: label, id: r.machine.id, context: nil, verdict: "unknown", quant: nil,
                        decodeTokensPerSecond: nil, maxContext: nil,
                        note: "its report covers contexts up to \(TokenCount(r.contexts.max() ?? 0).short)"))
                continue
            }
            let entry = r.fitMap.first { $0.model == m.id }
            let cell = entry?.cells.first { $0.context == at }
            rows.append(
                Row(
                    machine: label, id: r.machine.id, context: at, verdict: cell?.verdict ?? "does-not-fit",
                    quant: cell?.quant,
                    decodeTokensPerSecond: cell?.decodeTokensPerSecond, maxContext: entry?.maxContext,
                    note: at != context ? "planned at \(TokenCount(at).short), the next context its report covers" : nil
                ))
        }
        rows.sort {
            (Verdict(rawValue: $0.verdict) ?? .none, -($0.decodeTokensPerSecond ?? 0)) < (
                Verdict(rawValue: $1.verdict) ?? .none, -($1.decodeTokensPerSecond ?? 0)
            )
        }
        if output.json {
            try printJSON(rows)
            return
        }
        print(
            "\(m.id) at \(TokenCount(context).short) context across \(fleet.count) machine\(fleet.count == 1 ? "" : "s"):\n"
        )
        var t = TextTable(headers: ["MACHINE", "VERDICT", "QUANT", "DECODE T/S", "MAX CTX", "NOTE"])
        t.rightAligned = [3, 4]
        for r in rows {
            t.add([
                r.machine,
                ReportMarkdown.verdictShort(r.verdict) == "-"
                    ? (r.verdict == "unknown" ? "unknown" : "does not fit") : ReportMarkdown.verdictShort(r.verdict),
                r.quant ?? "-", r.decodeTokensPerSecond.map { NumberText.format($0, digits: 0) } ?? "-",
                r.maxContext.map { TokenCount($0).short } ?? "-", r.note ?? "",
            ])
        }
        print(t.render(style: output.style), terminator: "")
    }
}

struct FleetReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The fleet side by side: hardware, what fits at each context, what to use per tier.")
    @Option(name: .long, help: ArgumentHelp("md (default), html or json.", valueName: "format")) var format: String =
        "md"
    @Option(
        name: [.customShort("o"), .long],
        help: ArgumentHelp("Write to a file instead of standard output.", valueName: "path")) var output: String?

    func run() async throws {
        guard ["md", "html", "json"].contains(format) else {
            throw FitError.usage("--format \(format) is not a fleet report format; use md, html or json")
        }
        let fleet = try openUserStore().fleet().map(\.report)
        guard !fleet.isEmpty else {
            throw FitError.usage("the fleet is empty; add reports with `fit fleet add REPORT.json...`")
        }
        let text: String
        switch format {
        case "json":
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            text = String(decoding: try e.encode(fleet), as: UTF8.self) + "\n"
        case "html": text = Self.html(fleet)
        default: text = Self.markdown(fleet)
        }
        if let output, output != "-" {
            try writeOutputFile(text, to: output)
            print("wrote \(output)")
        } else {
            print(text, terminator: "")
        }
    }

    static func rows(_ fleet: [MachineReport]) -> (headers: [String], rows: [[String]]) {
        let contexts = Array(Set(fleet.flatMap(\.contexts))).sorted()
        let tiers = Array(Set(fleet.flatMap { $0.tiers.map(\.tier) })).sorted {
            ["basic", "intermediate", "advanced"].firstIndex(of: $0) ?? 9 < ["basic", "intermediate", "advanced"]
                .firstIndex(of: $1) ?? 9
        }
        let headers =
            ["machine", "GPUs", "RAM"] + contexts.map { "fits at \(TokenCount($0).short)" }
            + tiers.map { "\($0): best local" }
        let rows = fleet.map { r -> [String] in
            let gpus =
                r.machine.gpus.isEmpty
                ? "none"
                : r.machine.gpus.map { "\($0.name)\($0.memoryBytes.map { " \(ByteCount($0))" } ?? "")" }.joined(
                    separator: " + ")
            let fits = contexts.map { c in
                String(r.fitMap.filter { $0.cells.contains { $0.context == c && $0.quant != nil } }.count)
            }
            let picks = tiers.map { t in
                r.tiers.first { $0.tier == t }.map { e in
                    (e.bestLocal.map { "\($0.model) \(Recommender.pct($0.expectedSuccess))" } ?? "none")
                        + (e.localAdequate ? "" : " (not enough)")
                } ?? "-"
            }
            return [FleetCommand.label(r), gpus, r.machine.ramBytes.map { ByteCount($0).description } ?? "-"] + fits
                + picks
        }
        return (headers, rows)
    }

    static func markdown(_ fleet: [MachineReport]) -> String {
        let (h, rows) = rows(fleet)
        var o =
            "# fit fleet: \(fleet.count) machine\(fleet.count == 1 ? "" : "s")\n\n| "
            + h.map(ReportMarkdown.cell).joined(separator: " | ")
            + " |\n|" + h.map { _ in "---|" }.joined() + "\n"
        for r in rows { o += "| " + r.map(ReportMarkdown.cell).joined(separator: " | ") + " |\n" }
        return o + "\n\"fits at\": catalog models with a build that fits at that context. Reports: "
            + fleet.map { ReportMarkdown.cell("\(FleetCommand.label($0)) of \($0.generatedAt)") }.joined(
                separator: ", ") + ".\n"
    }

    static func html(_ fleet: [MachineReport]) -> String {
        let (h, rows) = rows(fleet)
        var o =
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>fit fleet</title><style>\(ReportHTML.css)</style></head><body>"
        o +=
            "<h1>fit fleet: \(fleet.count) machines</h1><div class=\"scroll\"><table><tr>"
            + h.map { "<th>\(ReportHTML.esc($0))</th>" }.joined() + "</tr>"
        for r in rows { o += "<tr>" + r.map { "<td>\(ReportHTML.esc($0))</td>" }.joined() + "</tr>" }
        return o + "</table></div></body></html>\n"
    }
}
