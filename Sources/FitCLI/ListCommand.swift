import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit [--ctx N]`: every catalog model and quant, with its verdict on this machine.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every catalog model and quant with its verdict at a context (the default command).")

    @OptionGroup var plan: PlanFlags
    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    @Flag(
        name: .long,
        help: "Only the build to use of each model that fits (the same as the first screen, without its limit).")
    var best = false

    @Flag(name: .long, help: "Every build of every model, not only the build to use of each.")
    var all = false

    @Flag(name: .long, help: "Leave out builds that do not fit.")
    var fits = false

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "Rows to show (default 20 on the first screen; all with --all, --best or --csv).", valueName: "n"))
    var limit: Int?

    @Option(
        name: .long,
        help: ArgumentHelp("Order: verdict (default), model, params, memory, decode, max-ctx.", valueName: "field"))
    var sort: String = "verdict"

    @Flag(name: .long, help: "Comma-separated values, every column, for spreadsheets.")
    var csv = false

    enum SortField: String, CaseIterable {
        case verdict, model, params, memory, decode
        case maxCtx = "max-ctx"
    }

    /// The first screen's length: a short answer, with a line saying how to see the rest.
    static let firstScreenRows = 20

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit \(limit) must be at least 1 row") }
        if SortField(rawValue: sort.lowercased()) == nil {
            throw ValidationError(
                "--sort \(sort) is not a field; use one of \(SortField.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        if all && best { throw ValidationError("--all and --best ask for different rows; give one") }
    }

    func run() async throws {
        let options = try plan.options()
        let session = try await Session.load(catalog: catalogOptions, machine: machineOptions)
        let machine = session.machine
        let runtime = try plan.runtimePreset()
        let target = runtime.map { $0.target(session.target, machine: machine) } ?? session.target
        let perModel = runtime != nil && plan.ctx == nil
        // With a runtime preset and no --ctx, each model at that runtime's default context for it.
        let contexts: [String: TokenCount]? =
            perModel
            ? try Dictionary(
                uniqueKeysWithValues: session.catalog.models.map {
                    ($0.id, try plan.context(for: $0.architecture, machine: machine))
                }) : nil
        // Models are independent: half of them on each of two cores (the memo is shared and locked).
        let speed = try session.speed()
        let memo = session.memo
        let models = session.catalog.models
        @Sendable func half(_ parity: Int) -> [FitRow] {
            FitList.evaluate(
                models: models.enumerated().filter { $0.offset % 2 == parity }.map(\.element), target: target,
                options: options, contextFor: contexts.map { c in { c[$0.id] ?? options.context } }, speed: speed,
                largestContext: true, memo: memo)
        }
        async let even = half(0)
        async let odd = half(1)
        let evaluated = FitList.sorted(await even + odd)
        session.save()
        let checked = evaluated.count
        var rows = all || output.json && !best ? evaluated : BuildChoice.perModel(evaluated)
        if fits { rows = rows.filter(\.fits) }
        let field = SortField(rawValue: sort.lowercased()) ?? .verdict
        if field != .verdict { rows = Self.sorted(rows, by: field) }  // the evaluation comes sorted by verdict
        if output.json {
            let report = ListReport(
                context: perModel ? nil : options.context, runtime: runtime, kvType: options.kvType,
                flashAttention: options.flashAttention,
                catalogVersion: session.catalog.fingerprint, machine: MachineSummary(machine, target), results: rows)
            FileHandle.standardOutput.write(Data(report.json.bytes()))
            return
        }
        let firstScreen = !all && !best && !csv
        let shown = Array(rows.prefix(limit ?? (firstScreen ? Self.firstScreenRows : rows.count)))
        if csv {
            print(Self.csv(shown), terminator: "")
            return
        }
        let screen = Screen(
            rows: shown, total: rows.count, checked: checked, models: Set(evaluated.map(\.model)).count,
            firstScreen: firstScreen, width: Self.terminalWidth())
        print(
            Self.render(
                screen, machine: machine, target: target, options: options, runtime: runtime, perModelContext: perModel,
                hostSpeed: session.hostSpeed, style: output.style), terminator: "")
    }

    static func sorted(_ rows: [FitRow], by field: SortField) -> [FitRow] {
        switch field {
        case .verdict: return FitList.sorted(rows)
        case .model: return rows.sorted { ($0.model, -$0.quant.nominalBits) < ($1.model, -$1.quant.nominalBits) }
        case .params: return rows.sorted { ($0.parameters, $1.model) > ($1.parameters, $0.model) }
        case .memory: return rows.sorted { ($0.memory.totalBytes, $0.model) < ($1.memory.totalBytes, $1.model) }
        case .decode:
            return rows.sorted {
                ($0.decodeTokensPerSecond ?? -1, $1.model) > ($1.decodeTokensPerSecond ?? -1, $0.model)
            }
        case .maxCtx:
            return rows.sorted { ($0.maxContext?.count ?? -1, $1.model) > ($1.maxContext?.count ?? -1, $0.model) }
        }
    }

    /// The terminal's width: `COLUMNS` when set, else 80 (output stays stable when piped).
    static func terminalWidth() -> Int {
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap({ Int($0) }), c >= 20 { return c }
        var w = winsize()
        if isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0, w.ws_col >= 20 {
            return Int(w.ws_col)
        }
        return 80
    }

    static func hostSpeedNote(_ h: HostSpeed) -> String {
        h.measured
            ? "the measured \(NumberText.format(h.bandwidthGBs, digits: 0)) GB/s"
            : "an assumed \(NumberText.format(h.bandwidthGBs, digits: 0)) GB/s (fit bench hardware measures it)"
    }

    /// What one screen shows: its rows, and how many there were to choose from.
    struct Screen {
        var rows: [FitRow]
        /// Rows before the limit.
        var total: Int
        /// Builds evaluated, and the models they belong to.
        var checked: Int
        var models: Int
        var firstScreen: Bool
        var width: Int
    }

    static func decodeText(_ r: FitRow) -> String {
        r.decodeTokensPerSecond.map { d in
            NumberText.format(d, digits: 0)
                + (r.decodeTokensPerSecondAtContext.map { " → " + NumberText.format($0, digits: 0) } ?? "")
        } ?? "-"
    }

    static func paramsText(_ r: FitRow) -> String {
        r.activeParameters * 10 < r.parameters * 7
            ? "\(Format.params(r.parameters))-A\(Format.params(r.activeParameters))" : Format.params(r.parameters)
    }

    static func csv(_ rows: [FitRow]) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out =
            "model,name,parameters,active_parameters,quant,context,verdict,memory_bytes,gpu_layers,total_layers,max_context,decode_tps,decode_tps_at_context,prefill_tps\n"
        for r in rows {
            let cells: [String] = [
                r.model, r.name, String(r.parameters), String(r.activeParameters), r.quant.rawValue,
                String(r.context.count),
                r.verdict.rawValue, String(r.memory.totalBytes), String(r.gpuLayers), String(r.totalLayers),
                r.maxContext.map { String($0.count) } ?? "",
                r.decodeTokensPerSecond.map { NumberText.format($0, digits: 1) } ?? "",
                r.decodeTokensPerSecondAtContext.map { NumberText.format($0, digits: 1) } ?? "",
                r.prefillTokensPerSecond.map { NumberText.format($0, digits: 0) } ?? "",
            ]
            out += cells.map(field).joined(separator: ",") + "\n"
        }
        return out
    }

    static func render(
        _ screen: Screen, machine: MachineDescription, target: PlanTarget, options: PlanOptions,
        runtime: Runtime? = nil,
        perModelContext: Bool = false, hostSpeed: HostSpeed, style: Style
    ) -> String {
        let rows = screen.rows
        let at =
            perModelContext
            ? "at \(runtime?.rawValue ?? "")'s default context for each model"
            : "at \(options.context.short) context (\(options.context) tokens"
        let rt = runtime.map { ", \($0.rawValue) defaults" } ?? ""
        var out =
            style.bold(
                wrapped(
                    "What runs on this machine \(at)\(perModelContext ? " (" : ", ")KV \(options.kvType.rawValue)\(rt))",
                    width: screen.width)) + "\n"
        out +=
            machineSummary(machine, target: target).split(separator: "\n").map {
                wrapped(String($0), width: screen.width)
            }.joined(separator: "\n") + "\n\n"
        let speeds = rows.contains { $0.decodeTokensPerSecond != nil }
        // Columns in order; `drop` ranks what a narrow terminal loses first (nil: never dropped).
        // The first screen groups rows under their verdict, so it needs no verdict column.
        typealias Column = (header: String, right: Bool, drop: Int?, cell: (FitRow) -> String)
        var columns: [Column] = [
            ("MODEL", false, nil, { $0.model }), ("PARAMS", true, 2, paramsText),
            ("QUANT", false, nil, { $0.quant.rawValue }),
        ]
        if perModelContext { columns.append(("CTX", true, 5, { $0.context.short })) }
        if !screen.firstScreen {
            columns.append(("VERDICT", false, nil, { $0.verdict.label + ($0.beyondContextWindow ? " *" : "") }))
        }
        columns.append(
            (
                "MEMORY", true, 4,
                { Format.bytes($0.memory.totalBytes) + (screen.firstScreen && $0.beyondContextWindow ? " *" : "") }
            ))
        if rows.contains(where: { $0.verdict == .partial }) || !screen.firstScreen {
            columns.append(("GPU LAYERS", true, 1, { "\($0.gpuLayers)/\($0.totalLayers)" }))
        }
        columns.append(("MAX CTX", true, 3, { Format.context($0.maxContext) }))
        if speeds { columns.append(("DECODE T/S", true, nil, decodeText)) }
        var table = TextTable(headers: columns.map(\.header))
        table.rightAligned = Set(columns.indices.filter { columns[$0].right })
        var lastVerdict: Verdict?
        for r in rows {
            if screen.firstScreen, r.verdict != lastVerdict {
                let n = rows.filter { $0.verdict == r.verdict }.count
                table.sections[table.rows.count] =
                    "\(r.verdict.label.prefix(1).uppercased() + r.verdict.label.dropFirst()) (\(n)):"
                lastVerdict = r.verdict
            }
            table.add(columns.map { $0.cell(r) }, paint: { style.verdict(r.verdict, $0) })
        }
        let drop = columns.indices.filter { columns[$0].drop != nil }.sorted {
            columns[$0].drop ?? 0 < columns[$1].drop ?? 0
        }
        out += table.fitted(width: screen.width, dropOrder: drop).render(style: style)
        let counts = Verdict.allCases.map { v in (v, rows.filter { $0.verdict == v }.count) }.filter { $0.1 > 0 }
        var notes: [String] = []
        var tally = counts.map { "\($0.1) \($0.0.label)" }.joined(separator: ", ") + "."
        if rows.contains(where: \.beyondContextWindow) { tally += " * beyond the model's trained context window." }
        notes.append(tally)
        if screen.firstScreen {
            notes.append(
                "\(rows.count) of \(screen.total) models that run here, one row each with the build to use: \(BuildChoice.rule). "
                    + "\(screen.checked) builds of \(screen.models) models checked; every build: --all (also --limit N, --sort FIELD, --fits, --csv)."
            )
            notes.append("For agent work: fit choose --tier basic|intermediate|advanced")
        } else if rows.count < screen.total {
            notes.append("Shown \(rows.count) of \(screen.total) rows (--limit).")
        }
        if speeds {
            notes.append(
                "DECODE T/S: estimated tokens/s on an empty context → at the planned context (fit validate throughput); rows in RAM use \(hostSpeedNote(hostSpeed))."
            )
        }
        notes.append(
            "MAX CTX: the largest context with the same verdict. Details: fit plan MODEL --quant Q\(perModelContext ? "" : " --ctx \(options.context.short)")"
        )
        out += "\n" + notes.map { wrapped($0, width: screen.width) }.joined(separator: "\n") + "\n"
        return out
    }
}

/// The JSON of `fit --json` (documented in the README).
struct ListReport: Encodable {
    var schema = 1
    /// Null when each model was planned at its runtime's default context (see results[].context).
    var context: TokenCount?
    var runtime: Runtime?
    var kvType: KVCacheType
    var flashAttention: Bool
    var catalogVersion: String
    var machine: MachineSummary
    var results: [FitRow]
}

extension ListReport {
    var json: JSONValue {
        .object([
            "schema": .int(schema), "context": .optional(context?.count), "runtime": .optional(runtime?.rawValue),
            "kvType": .string(kvType.rawValue), "flashAttention": .bool(flashAttention),
            "catalogVersion": .string(catalogVersion),
            "machine": .object([
                "cpu": .optional(machine.cpu), "usableRAMBytes": .int(machine.usableRAMBytes),
                "gpus": .array(
                    machine.gpus.map {
                        .object([
                            "name": .string($0.name), "usableBytes": .int($0.usableBytes),
                            "sharesHostMemory": .bool($0.sharesHostMemory),
                        ])
                    }),
            ]),
            "results": .array(results.map(\.json)),
        ])
    }
}

struct MachineSummary: Encodable {
    var cpu: String?
    var usableRAMBytes: Int64
    var gpus: [GPU]
    struct GPU: Encodable {
        var name: String
        var usableBytes: Int64
        var sharesHostMemory: Bool
    }
    init(_ m: MachineDescription, _ t: PlanTarget) {
        cpu = m.cpu.model.value
        usableRAMBytes = t.host.capacity.bytes
        gpus = t.gpus.map { GPU(name: $0.name, usableBytes: $0.capacity.bytes, sharesHostMemory: $0.sharesHostMemory) }
    }
}
