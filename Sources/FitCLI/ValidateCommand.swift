import ArgumentParser
import FitCore
import Foundation

/// `fit validate`: check fit's predictions against measurements of the real runtimes.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Compare fit's predictions with what the real runtimes measured.",
        subcommands: [Memory.self, Throughput.self])

    struct Throughput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "throughput",
            abstract:
                "Decode and prefill tokens/s against the catalog's measurements, by leave-one-hardware-out cross-validation."
        )
        @OptionGroup var catalogOptions: CatalogOptions

        @Flag(name: .long, help: "Print every row: kind, backend, hardware, model, predicted, measured, error.")
        var rows = false

        func run() async throws {
            let catalog = try catalogOptions.load()
            let evidence = try catalogOptions.evidence()
            let samples = ThroughputFit.samples(
                evidence.throughput, models: Dictionary(uniqueKeysWithValues: catalog.models.map { ($0.id, $0) }),
                hardware: Dictionary(uniqueKeysWithValues: catalog.hardware.map { ($0.id, $0) }))
            let cv = ThroughputFit.crossValidate(samples)
            if rows {
                for r in cv.sorted(by: {
                    ($0.sample.kind.rawValue, $0.sample.label) < ($1.sample.kind.rawValue, $1.sample.label)
                }) {
                    print(
                        "\(r.sample.kind.rawValue)\t\(r.sample.backend.rawValue)\t\(r.sample.label)\t\(NumberText.format(r.predicted, digits: 1))\t\(NumberText.format(r.sample.measured, digits: 1))\t\(NumberText.format((r.predicted / r.sample.measured - 1) * 100, digits: 0))%"
                    )
                }
                return
            }
            print(Self.render(cv, usable: samples.count, of: evidence.throughput.count), terminator: "")
        }

        static func render(_ cv: [(sample: ThroughputSample, predicted: Double)], usable: Int, of total: Int) -> String
        {
            var out =
                "fit's throughput estimate, leave-one-hardware-out: \(usable) of \(total) measured rows usable (a catalog model, a known quant, hardware in the table, a llama.cpp GPU backend, no partial offload)\n\n"
            func pct(_ x: Double) -> String { NumberText.format(x * 100, digits: 1) + "%" }
            var t = TextTable(headers: [
                "KIND", "BACKEND", "ROWS", "MEDIAN |ERR|", "WITHIN 10%", "WITHIN 20%", "WITHIN 30%",
            ])
            t.rightAligned = [2, 3, 4, 5, 6]
            for kind in [ThroughputSample.Kind.decode, .prefill] {
                let rows = cv.filter { $0.sample.kind == kind }
                let groups =
                    [("all", rows)]
                    + Backend.allCases.map { b in (b.rawValue, rows.filter { $0.sample.backend == b }) }.filter {
                        !$0.1.isEmpty
                    }
                for (name, g) in groups {
                    let errs = g.map { abs($0.predicted / $0.sample.measured - 1) }
                    func within(_ p: Double) -> String { "\(errs.filter { $0 <= p }.count)/\(errs.count)" }
                    t.add([
                        kind.rawValue, name, "\(g.count)", pct(ThroughputFit.median(errs) ?? 0), within(0.1),
                        within(0.2), within(0.3),
                    ])
                }
            }
            out += t.render(style: Style(colour: false)) + "\n"
            let decode = cv.filter { $0.sample.kind == .decode }
            let within25 = decode.filter { abs($0.predicted / $0.sample.measured - 1) <= 0.25 }.count
            let prefill = cv.filter { $0.sample.kind == .prefill }
            let within35 = prefill.filter { abs($0.predicted / $0.sample.measured - 1) <= 0.35 }.count
            out +=
                "targets: decode median <= 12% and >= 80% within 25% (\(within25)/\(decode.count)); prefill median <= 20% and >= 70% within 35% (\(within35)/\(prefill.count))\n\n"
            // llmfit's speed formula on the same decode rows: bandwidth / (params x bytes per param) x 0.55
            let perParam: [String: Double] = ["Q4_K_M": 0.58, "Q8_0": 1.05, "Q4_0": 0.56, "F16": 2.0]
            let llmfit: [Double] = decode.compactMap { row in
                let s = row.sample
                guard let quant = s.label.split(separator: " ").dropFirst().first, let bpp = perParam[String(quant)]
                else { return nil }
                let est = s.device.bandwidthGBs * 1e9 / (s.activeParameters * bpp) * 0.55
                return abs(est / s.measured - 1)
            }
            if !llmfit.isEmpty {
                out +=
                    "llmfit's decode formula on \(llmfit.count) of these rows: median |error| \(pct(ThroughputFit.median(llmfit) ?? 0)), within 30%: \(llmfit.filter { $0 <= 0.3 }.count)/\(llmfit.count)\n\n"
            }
            out += "Worst rows:\n"
            for r in cv.sorted(by: {
                abs($0.predicted / $0.sample.measured - 1) > abs($1.predicted / $1.sample.measured - 1)
            }).prefix(8) {
                out +=
                    "  \(r.sample.kind.rawValue) \(r.sample.label): fit \(NumberText.format(r.predicted, digits: 1)), measured \(NumberText.format(r.sample.measured, digits: 1)) t/s\n"
            }
            return out
        }
    }

    struct Memory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "memory",
            abstract:
                "Per-buffer memory: fit against llama.cpp (Reports/validation/llamacpp-memory.json, made by scripts/llamacpp/)."
        )

        @Option(name: .long, help: ArgumentHelp("The measurements file.", valueName: "file"))
        var file: String?

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let path = file ?? Self.defaultPath
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FitError.usage("\(path) cannot be read; run scripts/llamacpp/measure.py or pass --file")
            }
            let v: ValidationFile
            do { v = try JSONDecoder().decode(ValidationFile.self, from: data) } catch let e as DecodingError {
                throw FitError.data(
                    "\(path) is not a validation file (\(MachineOptions.describe(e))); make one with scripts/llamacpp/measure.py"
                )
            } catch {
                throw FitError.data("\(path) is not valid JSON; make one with scripts/llamacpp/measure.py")
            }
            print(Self.render(v, style: output.style), terminator: "")
        }

        static var defaultPath: String {
            let exe = URL(fileURLWithPath: CatalogOptions.executablePath).resolvingSymlinksInPath()
            var dir = exe.deletingLastPathComponent()
            for _ in 0..<6 {
                let candidate = dir.appendingPathComponent("Reports/validation/llamacpp-memory.json").path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
            return "Reports/validation/llamacpp-memory.json"
        }

        static func render(_ v: ValidationFile, style: Style) -> String {
            var out =
                style.bold(
                    "fit vs llama.cpp \(v.llamaCpp.version) (\(v.cases.count) cases, MiB; target: each buffer within 1% or 2 MiB, total within 1%)"
                ) + "\n\n"
            var table = TextTable(headers: ["CASE", "BUFFER", "FIT", "LLAMA.CPP", "ERROR", "ERROR %", ""])
            table.rightAligned = [2, 3, 4, 5]
            var stats: [String: (n: Int, ok: Int, worst: Double)] = [:]
            for c in v.cases {
                for e in MemoryValidation.compare(c) {
                    let ok = e.buffer == "total" ? abs(e.errorPercent) <= 1 : e.withinTarget
                    table.add([
                        c.name, e.buffer, NumberText.format(e.predicted, digits: 2),
                        NumberText.format(e.measured, digits: 2),
                        NumberText.format(e.errorMiB, digits: 2), NumberText.format(e.errorPercent, digits: 2),
                        ok ? "ok" : "MISS",
                    ])
                    var s = stats[e.buffer] ?? (0, 0, 0)
                    s.n += 1
                    s.ok += ok ? 1 : 0
                    s.worst = max(s.worst, abs(e.errorPercent))
                    stats[e.buffer] = s
                }
            }
            out += table.render(style: style) + "\n"
            for b in ["model", "kv", "recurrent", "compute", "output", "total"] {
                guard let s = stats[b] else { continue }
                out += "\(b): \(s.ok)/\(s.n) within target, worst \(NumberText.format(s.worst, digits: 2))%\n"
            }
            out += "\n" + comparison(v)
            return out
        }

        /// fit's total against llmfit's formula on the cases it can estimate (Q4_K_M and Q8_0).
        static func comparison(_ v: ValidationFile) -> String {
            var fitErrors: [Double] = []
            var llmfitErrors: [Double] = []
            for c in v.cases {
                guard let other = LlmfitFormula.estimateMiB(c), let total = MemoryValidation.compare(c).last else {
                    continue
                }
                fitErrors.append(abs(total.errorPercent))
                llmfitErrors.append(abs((other - total.measured) / total.measured * 100))
            }
            guard !fitErrors.isEmpty else { return "" }
            func median(_ x: [Double]) -> Double {
                let s = x.sorted()
                return s[s.count / 2]
            }
            func within(_ x: [Double], _ p: Double) -> Int { x.filter { $0 <= p }.count }
            let n = fitErrors.count
            return """
                Total memory on the \(n) Q4_K_M and Q8_0 cases, against llama.cpp:
                  fit:              median error \(NumberText.format(median(fitErrors), digits: 2))%, within 1%: \(within(fitErrors, 1))/\(n), within 10%: \(within(fitErrors, 10))/\(n)
                  llmfit's formula: median error \(NumberText.format(median(llmfitErrors), digits: 2))%, within 1%: \(within(llmfitErrors, 1))/\(n), within 10%: \(within(llmfitErrors, 10))/\(n)

                """
        }
    }
}
