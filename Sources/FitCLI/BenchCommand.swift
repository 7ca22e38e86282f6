import ArgumentParser
import FitCatalog
import FitCore
import FitProbe
import Foundation

/// `fit bench`: measure this machine and check fit's predictions against it.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Measure this machine, a runtime and a model's agent work; check fit's predictions and keep the results.",
        subcommands: [
            BenchHardwareCommand.self, BenchRuntimeCommand.self, BenchAgentCommand.self, BenchCalibrationCommand.self,
        ])
}

func isoNow() -> String { ISO8601DateFormatter().string(from: Date()) }

/// Set by SIGINT: long benchmarks stop between steps and keep what they measured.
nonisolated(unsafe) var interrupted: sig_atomic_t = 0
func catchInterrupt() {
    signal(SIGINT) { _ in interrupted = 1 }
}

struct BenchRuntimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract:
            "Measure prefill and decode tokens/s through llama.cpp or an OpenAI-compatible endpoint, beside fit's prediction."
    )

    @Argument(help: ArgumentHelp("A .gguf file, or a model `fit catalog scan` found on disk.", valueName: "model"))
    var model: String

    @Option(
        name: .customLong("llama-bench"),
        help: ArgumentHelp("The llama-bench binary (default: on PATH, or in $FIT_LLAMA_BIN).", valueName: "path"))
    var llamaBench: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Measure through an OpenAI-compatible server instead (Ollama, LM Studio, llama-server, vLLM).",
            valueName: "url"))
    var endpoint: String?

    @Option(
        name: .customLong("served-name"),
        help: ArgumentHelp("The model's name at the endpoint (default: the file's name).", valueName: "name"))
    var servedName: String?

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Prompt tokens for the prefill measurement (default 512).", valueName: "n"))
    var prompt: Int = 512

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Seconds the endpoint has to answer each request (default 120).", valueName: "s"))
    var timeout: Int = 120

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Tokens to generate for the decode measurement (default 64).", valueName: "n"))
    var gen: Int = 64

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("CPU threads for llama-bench (default: physical cores).", valueName: "n"))
    var threads: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "For a catalog model not on disk: the quant of the synthetic GGUF (default Q4_K_M).", valueName: "quant"))
    var quant: String?

    @Option(
        name: .customLong("synthetic-dir"),
        help: ArgumentHelp(
            "Where to write a synthetic GGUF (default: the temporary folder); it is deleted afterwards.",
            valueName: "dir"))
    var syntheticDir: String?

    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        // A file-size limit (a full disk's cousin) becomes EFBIG, answered in a sentence, not a kill.
        signal(SIGXFSZ, SIG_IGN)
        guard (1...32768).contains(prompt) else {
            throw FitError.usage("--prompt \(prompt) must be between 1 and 32768 tokens")
        }
        guard (1...4096).contains(gen) else { throw FitError.usage("--gen \(gen) must be between 1 and 4096 tokens") }
        let catalogForModel = try catalogOptions.load()  // the model's name first: a bad name fails before the probe
        var synthetic: (path: String, notes: [String])?
        let path: String
        if let found = try Self.modelFile(model, catalog: catalogForModel) {
            path = found
        } else {
            guard endpoint == nil else {
                throw FitError.usage(
                    "\(model) is not on disk: a synthetic GGUF can be measured through llama-bench, not through --endpoint (the server would need to load it)"
                )
            }
            let written = try Self.writeSynthetic(
                model, quant: quant, catalog: catalogForModel, directory: syntheticDir)
            synthetic = written
            path = written.path
        }
        defer { if let synthetic { try? FileManager.default.removeItem(atPath: synthetic.path) } }
        let gguf: GGUFModel
        do { gguf = try GGUFLoader.model(at: path) } catch { throw FitError.usage("\(model): \(error.description)") }
        let session = try await Session.load(catalog: catalogOptions, machine: machineOptions)
        let machine = session.machine
        let store = try openUserStore()
        let host = session.hostSpeed
        let prediction = Self.predict(
            ModelBuild.file(gguf, path: path, id: (path as NSString).lastPathComponent), target: session.target,
            speed: try session.speed(), prompt: prompt)

        var measured = RuntimeMeasurement(
            model: (path as NSString).lastPathComponent, quant: gguf.fileType, runtime: "", measuredAt: isoNow(),
            promptTokens: prompt, generatedTokens: gen, prefillTokensPerSecond: nil, decodeTokensPerSecond: nil,
            predictedPrefillTokensPerSecond: prediction.prefill, predictedDecodeTokensPerSecond: prediction.decode,
            placement: prediction.placement.rawValue)
        // A machine busy with something else measures that, not this model: kept, not trusted.
        let cores = machine.cpu.logicalCores.value ?? 1
        if let load = LoadAverage.oneMinute(), load > Double(cores) * 0.75 {
            measured.untrusted =
                "the machine was busy before the run (load \(NumberText.format(load, digits: 1)) on \(cores) threads)"
        }
        if let endpoint {
            if let problem = Endpoint.problem(with: endpoint) { throw FitError.usage(problem) }
            guard (1...3600).contains(timeout) else {
                throw FitError.usage("--timeout \(timeout) must be between 1 and 3600 seconds")
            }
            let e = Endpoint(
                baseURL: endpoint, model: servedName ?? (path as NSString).lastPathComponent,
                timeout: .seconds(timeout))
            let text = Self.promptText(tokens: prompt)
            do {
                let t = try await e.stream(prompt: text, maxTokens: gen)
                let decodeSpan = (t.tokenTimes.last ?? 0) - t.firstTokenSeconds
                measured.runtime = endpoint
                measured.promptTokens = t.promptTokens ?? prompt
                measured.generatedTokens = t.completionTokens ?? t.tokenTimes.count
                measured.prefillTokensPerSecond =
                    t.serverPrefillTokensPerSecond ?? Double(measured.promptTokens) / t.firstTokenSeconds
                measured.decodeTokensPerSecond =
                    t.serverDecodeTokensPerSecond
                    ?? (t.tokenTimes.count > 1 && decodeSpan > 0 ? Double(t.tokenTimes.count - 1) / decodeSpan : nil)
            } catch let f as Endpoint.Failure {
                throw FitError(sentence: f.sentence, exitCode: 1)
            }
        } else {
            let tool = try Self.llamaBenchPath(llamaBench)
            let n = threads ?? machine.cpu.physicalCores.value ?? 4
            // A synthetic model is read into memory (no mmap): mapped holes would read one shared zero page.
            let r = await SubprocessRunner().run(
                tool,
                ["-m", path, "-p", String(prompt), "-n", String(gen), "-r", "3", "-t", String(n), "-o", "json"]
                    + (synthetic != nil ? ["--load-mode", "none"] : []),
                timeout: .seconds(600))
            guard case .exited(0) = r.ending else {
                throw FitError(
                    sentence:
                        "llama-bench failed on \(path) (\(r.ending)): \(r.stderr.split(separator: "\n").last ?? "")",
                    exitCode: 1)
            }
            guard let rows = LlamaBenchOutput.parse(r.stdout) else {
                throw FitError(
                    sentence: "llama-bench printed no JSON results for \(path); run it by hand to see why", exitCode: 1)
            }
            measured.runtime = "llama-bench (\(n) threads)" + (synthetic != nil ? ", synthetic GGUF of \(model)" : "")
            let pp = rows.first { $0.prompt > 0 && $0.gen == 0 }
            let tg = rows.first { $0.gen > 0 && $0.prompt == 0 }
            measured.prefillTokensPerSecond = pp?.tokensPerSecond
            measured.decodeTokensPerSecond = tg?.tokensPerSecond
            // Three repeats: a spread beyond 10% means something else was running.
            for (what, row) in [("prefill", pp), ("decode", tg)] {
                if let row, row.tokensPerSecond > 0, row.spread > MachineCalibration.maxSpread,
                    measured.untrusted == nil
                {
                    measured.untrusted =
                        "llama-bench's three \(what) repeats spread by \(Int((row.spread * 100).rounded()))% (more than \(Int(MachineCalibration.maxSpread * 100))%)"
                }
            }
        }
        // A runtime that reports no real speed (zero, negative, infinite) is not kept as a measurement.
        for (what, value) in [("prefill", measured.prefillTokensPerSecond), ("decode", measured.decodeTokensPerSecond)]
        {
            if let v = value, !(v.isFinite && v >= 1e-3 && v < 1e7) {
                throw FitError(
                    sentence:
                        "\(measured.runtime) reported \(what) \(v) tokens/s, which no runtime reaches; nothing was stored (check the server, then measure again)",
                    exitCode: 65)
            }
        }
        try store.add(runtime: measured, machine: machine.benchKey)
        var checks: [PredictionCheck] = []
        if let m = measured.prefillTokensPerSecond, let p = measured.predictedPrefillTokensPerSecond {
            checks.append(
                .check(
                    "prefill", unit: "t/s", measured: m, predicted: p, placement: measured.placement,
                    hostMeasured: host.measured))
        }
        if let m = measured.decodeTokensPerSecond, let p = measured.predictedDecodeTokensPerSecond {
            checks.append(
                .check(
                    "decode", unit: "t/s", measured: m, predicted: p, placement: measured.placement,
                    hostMeasured: host.measured))
        }
        // The correction is the median of this machine's newest trusted runs, never one run alone.
        var calibration: MachineCalibration?
        if measured.untrusted == nil, let placement = measured.placement {
            calibration = MachineCalibration.robust(
                try store.runtime(machine: machine.benchKey), placement: placement,
                since: try store.calibrationReset(machine: machine.benchKey))
            if let calibration {
                try store.set(calibration: calibration, machine: machine.benchKey)
            } else {
                try store.clearCalibration(machine: machine.benchKey, placement: placement)
            }
        }
        if output.json {
            try printJSON(RuntimeBenchReport(measurement: measured, checks: checks, recalibrated: calibration))
        } else {
            print(
                "\(measured.model) (\(measured.quant ?? "?")) through \(measured.runtime), \(measured.placement ?? "")")
            for note in synthetic?.notes ?? [] { print("  synthetic model: \(note)") }
            print(
                "  prefill: \(measured.prefillTokensPerSecond.map { NumberText.format($0, digits: 1) } ?? "-") t/s over \(measured.promptTokens) tokens; decode: \(measured.decodeTokensPerSecond.map { NumberText.format($0, digits: 1) } ?? "-") t/s over \(measured.generatedTokens)"
            )
            for c in checks { print("  " + c.sentence) }
            if checks.isEmpty { print("  fit has no prediction for this placement to check (\(prediction.note))") }
            if let why = measured.untrusted {
                print("  Kept, but not used to recalibrate: \(why). Measure again on a quiet machine.")
            } else if let c = calibration {
                let basis = (c.runs ?? 1) > 1 ? " (the median of the last \(c.runs ?? 1) runs)" : ""
                print(
                    "  Recalibrated this machine (\(c.placement))\(basis): decode x\(NumberText.format(c.decodeFactor, digits: 2)), prefill x\(NumberText.format(c.prefillFactor, digits: 2)); fit choose uses it from now on."
                )
            }
        }
    }

    /// A .gguf path, or an installed model found by `fit catalog scan`; nil for a catalog model that is not on disk.
    static func modelFile(_ name: String, catalog: Catalog) throws -> String? {
        if name.hasSuffix(".gguf") || (name.contains("/") && FileManager.default.fileExists(atPath: name)) {
            guard FileManager.default.fileExists(atPath: name) else {
                throw FitError.usage("\(name): no such file; give a .gguf path")
            }
            return name
        }
        if let found = try? readUserStore()?.installed().first(where: {
            $0.path.hasSuffix(".gguf") && ($0.catalogModel == name || $0.name == name)
        }) {
            return found.path
        }
        // A model `ollama pull` stored here: its GGUF blob is the file to measure.
        if let ollama = OllamaName.parse(name),
            let (_, blob, _) = try? OllamaStore(environment: ProcessInfo.processInfo.environment).find(ollama)
        {
            return blob.path
        }
        if case .found = catalog.resolver.resolve(name) { return nil }
        throw FitError.usage(
            "\(name) is not a .gguf file, a model `fit catalog scan` found, a model Ollama pulled here, nor a catalog model; see `fit catalog search \(name)`"
        )
    }

    /// Writes a GGUF of the catalog model's shape with zero weights, as a sparse file.
    static func writeSynthetic(_ name: String, quant: String?, catalog: Catalog, directory: String?) throws -> (
        path: String, notes: [String]
    ) {
        guard case .found(let m, let q) = catalog.resolver.resolve(name) else {
            throw FitError.usage("\(name) is not in the catalog")
        }
        var scheme = q ?? m.defaultQuant
        if let quant {
            guard let s = QuantScheme.named(quant) else {
                throw FitError.usage("--quant \(quant) is not a quant fit knows; use e.g. Q4_K_M or Q8_0")
            }
            scheme = s
        }
        let layout: SyntheticGGUF.Layout
        do { layout = try SyntheticGGUF.make(m, scheme: scheme) } catch {
            throw FitError.usage(
                "cannot write a synthetic GGUF of \(m.id): \(error.reason); measure a real file instead")
        }
        let dir = directory ?? FileManager.default.temporaryDirectory.path
        let path = dir + "/fit-synthetic-\(m.id)-\(scheme.rawValue)-\(getpid()).gguf"
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else { throw FitError.usage("--synthetic-dir \(dir) is not writable; choose another folder") }
        defer { close(fd) }
        let wrote = layout.header.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        // The weights are a hole: no disk is written for them on filesystems with sparse files.
        var err: Int32 = 0
        if wrote < 0 {
            err = errno
        } else if wrote < layout.header.count {
            err = ENOSPC
        }  // a short write: the disk (or a size limit) ran out
        else if ftruncate(fd, off_t(layout.fileBytes)) != 0 {
            err = errno
        }
        if err != 0 {
            unlink(path)
            if err == ENOSPC || err == EFBIG {
                throw FitError(
                    sentence:
                        "the disk at \(dir) is too small for the \(ByteCount(layout.fileBytes)) synthetic \(m.id) \(scheme.rawValue); free space or pass --synthetic-dir on a larger disk",
                    exitCode: 1)
            }
            throw FitError(
                sentence:
                    "cannot write the synthetic GGUF at \(path) (\(String(cString: strerror(err)))); choose another --synthetic-dir",
                exitCode: 1)
        }
        return (
            path,
            [
                "zero weights in \(m.id)'s shape as a llama-architecture model (\(scheme.rawValue), \(ByteCount(layout.tensorBytes)))"
            ] + layout.approximations
        )
    }

    static func llamaBenchPath(_ given: String?) throws -> String {
        if let given {
            guard access(given, X_OK) == 0 else {
                throw FitError.usage("--llama-bench \(given) is not an executable; point it at llama.cpp's llama-bench")
            }
            return given
        }
        if let dir = ProcessInfo.processInfo.environment["FIT_LLAMA_BIN"], access(dir + "/llama-bench", X_OK) == 0 {
            return dir + "/llama-bench"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where access(dir + "/llama-bench", X_OK) == 0 {
            return dir + "/llama-bench"
        }
        throw FitError.usage(
            "llama-bench is not on PATH; give --llama-bench PATH, or measure a running server with --endpoint URL (scripts/bench-tools.sh builds llama-bench)"
        )
    }

    /// Roughly `tokens` tokens of prose (about 0.75 words per token).
    static func promptText(tokens: Int) -> String {
        let words =
            "the quick brown fox jumps over the lazy dog while a careful engineer measures how fast this machine reads a long prompt"
            .split(separator: " ")
        return (0..<max(1, tokens * 3 / 4)).map { String(words[$0 % words.count]) }.joined(separator: " ")
            + "\nSummarise the text above."
    }

    struct Prediction {
        var prefill: Double?
        var decode: Double?
        var placement: Verdict
        var note: String
    }

    /// fit's prediction for what llama-bench measures: the file at a short context, empty, as
    /// placed on this machine (a model that fits nowhere runs from RAM, as llama-bench would).
    static func predict(_ build: ModelBuild, target: PlanTarget, speed: SpeedContext, prompt: Int) -> Prediction {
        let planner = MemoryPlanner(architecture: build.architecture, weights: build.weights, memo: nil)
        var plan = planner.plan(PlanOptions(context: TokenCount(max(4096, prompt * 2))), on: target)
        if plan.verdict == .none {
            plan = planner.plan(plan.options, on: PlanTarget(host: target.host, gpus: []))
            plan.verdict = .ram
        }
        switch SpeedEstimator.estimate(
            build.work, plan: plan, context: speed, decodeDepths: [0], prompt: prompt, promptDepth: 0)
        {
        case .success(let s):
            return Prediction(
                prefill: s.prefill, decode: s.decode[0], placement: plan.verdict,
                note: plan.verdict != .gpu && !speed.host.measured ? "RAM speed assumed" : "")
        case .failure(let why):
            return Prediction(
                placement: plan.verdict,
                note: why == .noCalibration ? "the catalog has no calibration" : "the GPU is not in the hardware table")
        }
    }
}

struct RuntimeBenchReport: Encodable {
    var schema = 1
    var measurement: RuntimeMeasurement
    var checks: [PredictionCheck]
    var recalibrated: MachineCalibration?
}

/// llama-bench's `-o json`: one object per test.
enum LlamaBenchOutput {
    struct Row {
        var prompt: Int
        var gen: Int
        var tokensPerSecond: Double
        /// Standard deviation over the mean of the repeats.
        var spread: Double = 0
    }
    static func parse(_ text: String) -> [Row]? {
        guard let start = text.firstIndex(of: "["), let data = String(text[start...]).data(using: .utf8),
            let rows = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]], !rows.isEmpty
        else { return nil }
        return rows.compactMap { r in
            guard let ts = r["avg_ts"] as? Double else { return nil }
            let sd = r["stddev_ts"] as? Double ?? 0
            return Row(
                prompt: r["n_prompt"] as? Int ?? 0, gen: r["n_gen"] as? Int ?? 0, tokensPerSecond: ts,
                spread: ts > 0 && sd.isFinite ? sd / ts : 0)
        }
    }
}

struct BenchAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract:
            "Run the bundled tool-calling coding tasks of a tier against a model served at an endpoint; keep the results as this machine's evidence."
    )

    @Argument(help: ArgumentHelp("The model: a catalog id (links the results to it) or any name.", valueName: "model"))
    var model: String

    @Option(
        name: .long, help: ArgumentHelp("The OpenAI-compatible server (e.g. http://127.0.0.1:8080).", valueName: "url"))
    var endpoint: String

    @Option(name: .long, help: ArgumentHelp("basic, intermediate, advanced, or all.", valueName: "tier"))
    var tier: String

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Runs per task (default 3).", valueName: "n"))
    var runs: Int = 3

    @Option(
        name: .long,
        help: ArgumentHelp("Only these task ids (comma-separated).", valueName: "ids"))
    var tasks: String?

    @Option(
        name: .customLong("served-name"),
        help: ArgumentHelp("The model's name at the endpoint (default: MODEL).", valueName: "name"))
    var servedName: String?

    @Option(
        name: .customLong("max-turns"), parsing: .unconditional,
        help: ArgumentHelp("Turn limit per task (default: the task's own, 10).", valueName: "n"))
    var maxTurns: Int?

    @Option(
        name: .customLong("max-tokens"), parsing: .unconditional,
        help: ArgumentHelp("Most tokens per reply (default 1024): a model that loops is cut off.", valueName: "n"))
    var maxTokens: Int = 1024

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Seconds per request before the run counts as failed (default 120).", valueName: "s"))
    var timeout: Int = 120

    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard (1...100).contains(runs) else { throw FitError.usage("--runs \(runs) must be between 1 and 100") }
        guard (1...3600).contains(timeout) else {
            throw FitError.usage("--timeout \(timeout) must be between 1 and 3600 seconds")
        }
        if let m = maxTurns, !(1...100).contains(m) {
            throw FitError.usage("--max-turns \(m) must be between 1 and 100")
        }
        if let problem = Endpoint.problem(with: endpoint) { throw FitError.usage(problem) }
        let catalog = try catalogOptions.load()
        let dir = try CatalogLoader.locate(
            explicit: catalogOptions.catalog, environment: ProcessInfo.processInfo.environment,
            executablePath: CatalogOptions.executablePath)
        let all = try AgentTaskLoader.load(directory: dir.appendingPathComponent("agent-tasks"))
        let tiers = Set(all.map(\.tier))
        guard tier == "all" || tiers.contains(tier) else {
            throw FitError.usage(
                "--tier \(tier) is not a tier of the bundled tasks; use one of \(["basic", "intermediate", "advanced"].filter(tiers.contains).joined(separator: ", ")) or all"
            )
        }
        var selected = all.filter { tier == "all" || $0.tier == tier }
        if let tasks {
            let ids = Set(tasks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            let unknown = ids.subtracting(all.map(\.id))
            guard unknown.isEmpty else {
                throw FitError.usage(
                    "--tasks: no task \(unknown.sorted().joined(separator: ", ")); see Catalog/agent-tasks")
            }
            selected = selected.filter { ids.contains($0.id) }
        }
        let machine = try await machineOptions.load(catalog: catalog)
        let store = try openUserStore()
        let modelID: String
        if case .found(let m, _) = catalog.resolver.resolve(model) { modelID = m.id } else { modelID = model }
        let e = Endpoint(baseURL: endpoint, model: servedName ?? model, timeout: .seconds(timeout))
        catchInterrupt()
        var done: [AgentRun] = []
        let progress = FileHandle.standardError
        let tty = isatty(STDERR_FILENO) == 1
        outer: for task in selected {
            for i in 1...runs {
                if interrupted != 0 { break outer }
                let line = "[\(done.count + 1)/\(selected.count * runs)] \(task.id) run \(i)"
                if tty { progress.write(Data(("\r\u{1B}[K" + line).utf8)) }
                let r = await AgentRunner.run(task, runIndex: i, endpoint: e, maxTurns: maxTurns, maxTokens: maxTokens)
                try store.add(agentRun: r, model: modelID, endpoint: endpoint, machine: machine.benchKey, at: isoNow())
                done.append(r)
                // An endpoint that is down fails every run the same way: stop after the first.
                if r.stop.hasPrefix("endpoint"), r.turns == 1, done.count == 1,
                    r.stop.contains("refused") || r.stop.contains("resolve") || r.stop.contains("HTTP")
                {
                    if tty { progress.write(Data("\r\u{1B}[K".utf8)) }
                    throw FitError(
                        sentence: String(r.stop.dropFirst("endpoint: ".count))
                            + " (nothing recorded as a model failure)", exitCode: 1)
                }
            }
        }
        if tty { progress.write(Data("\r\u{1B}[K".utf8)) }
        if output.json {
            try printJSON(
                AgentBenchReport(
                    model: modelID, endpoint: endpoint, interrupted: interrupted != 0, runs: done,
                    evidence: AgentRun.evidence(done, model: modelID, modelName: model, endpoint: endpoint)))
        } else {
            print(Self.render(done, model: modelID, endpoint: endpoint, interrupted: interrupted != 0))
        }
    }

    static func render(_ runs: [AgentRun], model: String, endpoint: String, interrupted: Bool) -> String {
        var t = TextTable(headers: [
            "TASK", "TIER", "PASSED", "TURNS", "TOOL CALLS (BAD)", "TOKENS IN/OUT", "SECONDS", "STOPPED",
        ])
        t.rightAligned = [2, 3, 4, 5, 6]
        for (task, rs) in Dictionary(grouping: runs, by: \.task).sorted(by: { $0.key < $1.key }) {
            t.add([
                task, rs[0].tier, "\(rs.filter(\.passed).count)/\(rs.count)",
                NumberText.format(Double(rs.map(\.turns).reduce(0, +)) / Double(rs.count), digits: 1),
                "\(rs.map(\.validToolCalls).reduce(0, +)) (\(rs.map(\.invalidToolCalls).reduce(0, +)))",
                "\(rs.map(\.tokensIn).reduce(0, +))/\(rs.map(\.tokensOut).reduce(0, +))",
                NumberText.format(rs.map(\.wallSeconds).reduce(0, +), digits: 1),
                Set(rs.map { $0.stop.hasPrefix("endpoint") ? "endpoint error" : $0.stop }).sorted().joined(
                    separator: ", "),
            ])
        }
        var out =
            "\(model) at \(endpoint): \(runs.filter(\.passed).count)/\(runs.count) runs passed\(interrupted ? " (interrupted: the runs so far are kept)" : "")\n\n"
        out += t.render(style: Style(colour: false))
        for e in AgentRun.evidence(runs, model: model, modelName: model, endpoint: endpoint) {
            out +=
                "\n\(e.tier ?? "") tier: \(e.passes ?? 0)/\(e.runs ?? 0) passed; stored as this machine's evidence (fit choose --tier \(e.tier ?? "") uses it)."
        }
        if let firstError = runs.first(where: { $0.stop.hasPrefix("endpoint") }) {
            out += "\nEndpoint trouble: \(firstError.stop.dropFirst(10))"
        }
        return out + "\n"
    }
}

struct AgentBenchReport: Encodable {
    var schema = 1
    var model: String
    var endpoint: String
    var interrupted: Bool
    var runs: [AgentRun]
    var evidence: [SeedResult]
}

struct BenchHardwareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardware",
        abstract:
            "Measure memory bandwidth, CPU compute and a synthetic decode pass on this machine (about 10-20 s); fit uses them from then on."
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Size the synthetic decode pass like this catalog model's weights (default: 1 GiB).", valueName: "model"))
    var model: String?

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Threads (default: every logical core).", valueName: "n"))
    var threads: Int?

    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        if let t = threads, !(1...1024).contains(t) {
            throw FitError.usage("--threads \(t) must be between 1 and 1024")
        }
        let catalog = try catalogOptions.load()
        let machine = try await machineOptions.load(catalog: catalog)
        var weightBytes: Int?
        var modelNote = ""
        if let model {
            guard case .found(let m, let q) = catalog.resolver.resolve(model) else {
                throw FitError.usage(
                    "--model \(model) is not in the catalog; closest: \(catalog.resolver.suggestions(for: model).joined(separator: ", "))"
                )
            }
            let scheme = q ?? (m.quants.contains { $0.scheme == .q4_K_M } ? .q4_K_M : m.quants.first?.scheme ?? .q4_K_M)
            weightBytes = Int(
                TokenWork(
                    architecture: m.architecture,
                    weights: m.weights(scheme, tensors: TensorLayout(m.architecture).tensors)
                ).activeWeightBytes)
            modelNote = " (the bytes \(m.id) \(scheme.rawValue) reads per token)"
        }
        let sizes = HardwareBench.Sizes.defaults(
            availableRAM: machine.memory.available.value?.bytes,
            threads: threads ?? machine.cpu.logicalCores.value ?? ProcessInfo.processInfo.activeProcessorCount,
            weightBytes: weightBytes)
        let store = try openUserStore()
        signal(SIGINT) { _ in HardwareBench.cancel() }
        let tty = isatty(STDERR_FILENO) == 1
        var step = 0
        let result: HardwareMeasurement
        do {
            result = try HardwareBench.run(sizes, measuredAt: isoNow()) { what in
                step += 1
                FileHandle.standardError.write(
                    Data(((tty ? "\r\u{1B}[K" : "") + "[\(step)/5] \(what)" + (tty ? "" : "\n")).utf8))
            }
        } catch let f as HardwareBench.Failure {
            if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            throw FitError(sentence: "fit bench hardware: \(f.sentence); nothing was stored", exitCode: 1)
        }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        try store.add(hardware: result, machine: machine.benchKey)
        let theoretical = machine.theoreticalRAMBandwidth  // unified memory: the table's figure; DIMMs: SMBIOS (root)
        if output.json {
            try printJSON(
                HardwareBenchReport(
                    measurement: result, theoreticalBandwidthGBs: theoretical?.gbs, machine: machine.benchKey))
            return
        }
        var t = TextTable(headers: ["MEASUREMENT", "RESULT", "NOTE"])
        t.rightAligned = [1]
        t.add([
            "memory copy (STREAM)", "\(NumberText.format(result.copyGBs, digits: 1)) GB/s",
            "\(result.threads) threads, \(sizes.arrayBytes >> 20) MiB arrays",
        ])
        t.add([
            "memory triad (STREAM)", "\(NumberText.format(result.triadGBs, digits: 1)) GB/s",
            theoretical.map {
                "theoretical \(NumberText.format($0.gbs, digits: 0)) GB/s (\($0.basis)): \(Int((result.triadGBs / $0.gbs * 100).rounded()))% of it"
            } ?? "used for CPU decode from now on",
        ])
        t.add(["FP32 FMA, one core", "\(NumberText.format(result.singleCoreGFLOPS, digits: 1)) GFLOP/s", ""])
        t.add([
            "FP32 FMA, all cores", "\(NumberText.format(result.allCoresGFLOPS, digits: 1)) GFLOP/s",
            "portable build (no -march): fit plans CPU prefill with it",
        ])
        t.add([
            "synthetic decode (Q8_0)", "\(NumberText.format(result.decodeTokensPerSecond, digits: 1)) tokens/s",
            "\(NumberText.format(result.decodeGBs, digits: 1)) GB/s over \(result.decodeWeightBytes >> 20) MiB\(modelNote): the CPU's upper bound",
        ])
        print(t.render(style: output.style), terminator: "")
        print(
            "Measured in \(NumberText.format(result.seconds, digits: 1)) s and stored for this machine; `fit probe` shows it, `fit choose` and `fit bench runtime` use it."
        )
    }
}

struct HardwareBenchReport: Encodable {
    var schema = 1
    var measurement: HardwareMeasurement
    var theoreticalBandwidthGBs: Double?
    var machine: String
}

/// `fit bench calibration`: this machine's corrections to the estimator, and a way to start over.
struct BenchCalibrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration",
        abstract:
            "List this machine's speed corrections (from `fit bench runtime`), or forget them with --reset; the measurements are kept."
    )

    @Flag(name: .long, help: "Forget the corrections; the next `fit bench runtime` runs start them again.")
    var reset = false

    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    struct Listing: Encodable {
        var machine: String
        var corrections: [MachineCalibration]
        var measurements: Int
        var untrusted: Int
        var resetAt: String?
    }

    func run() async throws {
        let catalog = try catalogOptions.load()
        let machine = try await machineOptions.load(catalog: catalog).benchKey
        if reset {
            let store = try openUserStore()
            let n = try store.resetCalibration(machine: machine, at: isoNow())
            print(
                n == 0
                    ? "This machine had no corrections; the next `fit bench runtime` runs start them."
                    : "Forgot \(n) correction\(n == 1 ? "" : "s") of this machine; the measurements are kept, and the next `fit bench runtime` runs start the corrections again."
            )
            return
        }
        let store = readUserStore()
        let corrections = (try? store?.calibration(machine: machine)) ?? []
        let runs = (try? store?.runtime(machine: machine)) ?? []
        let listing = Listing(
            machine: machine, corrections: corrections.sorted { $0.placement < $1.placement },
            measurements: runs.count, untrusted: runs.filter { $0.untrusted != nil }.count,
            resetAt: try? store?.calibrationReset(machine: machine))
        if output.json { return try printJSON(listing) }
        if corrections.isEmpty {
            print(
                "No speed corrections for this machine (\(runs.count) runtime measurements); fit uses its estimates as they are."
            )
        }
        for c in listing.corrections {
            print(
                "\(c.placement): decode x\(NumberText.format(c.decodeFactor, digits: 2)), prefill x\(NumberText.format(c.prefillFactor, digits: 2)), the median of \(c.runs ?? 1) run\((c.runs ?? 1) == 1 ? "" : "s"), newest \(c.measuredAt)"
            )
        }
        if listing.untrusted > 0 {
            print("\(listing.untrusted) of \(runs.count) measurements were taken on a busy machine and are not used.")
        }
        if !corrections.isEmpty { print("Forget them with `fit bench calibration --reset`.") }
    }
}
