import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit plan MODEL`: the memory breakdown of one model, per device, and the verdict.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the memory breakdown of one model at a context, per device, with the verdict.")

    @Argument(help: ArgumentHelp("A catalog id, Hugging Face repo id or Ollama tag (e.g. qwen3-coder:30b).", valueName: "model"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Quantization, e.g. Q4_K_M (default: Q4_K_M when published, else the model's first).", valueName: "q"))
    var quant: String?

    @Option(name: .long, help: ArgumentHelp("Prompt length for prefill speed and time to first token (default 512).", valueName: "n"))
    var prompt: Int = 512

    @Option(name: .long, help: ArgumentHelp("Tokens already in the context for the decode speed (default: the full --ctx).", valueName: "n"))
    var depth: Int?

    @OptionGroup var plan: PlanFlags
    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let options = try plan.options()
        let catalog = try catalogOptions.load()
        if model.lowercased().hasSuffix(".gguf") {
            return try await runGGUF(options: options, catalog: catalog)
        }
        if model.lowercased().hasSuffix("config.json") || FileManager.default.fileExists(atPath: (model as NSString).appendingPathComponent("config.json")) {
            return try await runHF(options: options, catalog: catalog)
        }
        // A safetensors repo the catalog lists ("mlx-community/Qwen3-32B-4bit"), or --quant MLX-4bit.
        // The original repo is also the model's alias: that name keeps meaning the model (GGUF plans).
        let isAlias = catalog.models.contains { m in m.aliases.contains { $0.lowercased() == model.lowercased() } }
        if model.contains("/"), !isAlias, let owner = catalog.models.first(where: { $0.builds.contains { $0.repo.lowercased() == model.lowercased() } }),
           let build = owner.build(named: model) {
            return try await runBuild(owner, build, options: options, catalog: catalog)
        }
        let (entry, impliedQuant) = try Self.resolve(model, in: catalog)
        if let quant, QuantScheme.named(quant) == nil, SafetensorsFormat.named(quant) != nil || entry.build(named: quant) != nil {
            let build = entry.build(named: quant)
                ?? SafetensorsBuild(format: SafetensorsFormat.catalogNames.first { $0.name.lowercased() == quant.lowercased() }?.name ?? quant,
                                    repo: "-", source: "not a listed build: sized from the format")
            return try await runBuild(entry, build, options: options, catalog: catalog)
        }
        let scheme = try Self.scheme(quant, implied: impliedQuant, for: entry)
        let machine = try await machineOptions.load(catalog: catalog)
        let (target, planOptions) = try runtimeSetting(options, model: entry.architecture, machine: machine)
        var report = PlanReport.make(model: entry, scheme: scheme, options: planOptions, target: target)
        report.throughput = try Self.throughput(model: entry, scheme: scheme, verdict: report.verdict, machine: machine, catalog: catalog,
                                                options: planOptions, prompt: prompt, depth: depth, catalogOptions: catalogOptions,
                                                gpuLayers: report.gpuLayers, totalLayers: report.totalLayers, devices: report.devices)
        if let t = report.throughput, let tiers = try? catalogOptions.evidence().tiers {
            report.throughput?.agentTasks = Self.agentTasks(t, tiers: tiers)
        }
        if output.json {
            try printJSON(report)
        } else {
            print(Self.render(report, machine: machine, target: target, style: output.style), terminator: "")
        }
    }

    /// Decode and prefill speed when the whole model runs on GPUs whose bandwidth and FP16 throughput
    /// the hardware table knows; otherwise a sentence saying what cannot be estimated yet.
    static func throughput(model m: CatalogModel, scheme: QuantScheme, verdict: Verdict, machine: MachineDescription, catalog: Catalog,
                           options: PlanOptions, prompt: Int, depth: Int?, catalogOptions: CatalogOptions,
                           gpuLayers: Int? = nil, totalLayers: Int? = nil, devices: [DevicePlan] = []) throws -> PlanReport.ThroughputReport {
        guard prompt > 0, prompt <= TokenCount.absurd.count else { throw FitError.usage("--prompt \(prompt) must be a positive token count") }
        let d = depth ?? options.context.count
        guard d >= 0 else { throw FitError.usage("--depth \(d) must be zero or a positive token count") }
        func none(_ why: String) -> PlanReport.ThroughputReport {
            .init(prompt: prompt, depth: d, note: why)
        }
        let tensors = TensorLayout(m.architecture).tensors
        let work = TokenWork(architecture: m.architecture, weights: m.weights(scheme, tensors: tensors), quantized: !scheme.isFloat)
        let gpuShare = gpuLayers.map { work.gpuShareOfReads(gpuLayers: $0, totalLayers: totalLayers ?? $0, cpuMoELayers: options.cpuMoELayers) } ?? 1
        let expertsInRAM = verdict == .gpu && gpuShare < 0.9999
        if verdict == .partial || verdict == .ram || expertsInRAM, let calibration = catalog.calibration {
            // Part or all of the model reads from RAM (layers, or --n-cpu-moe's experts): each side at its own bandwidth.
            let host = hostSpeed(machine: machine)
            let share = verdict == .ram ? 0 : gpuShare
            let gpu = ListCommand.speedBasis(machine: machine, catalog: catalog)?.device
            if share > 0, gpu == nil { return none("no estimate: the GPU's bandwidth and FP16 throughput are not in the hardware table") }
            let active = Double(m.architecture.activeParameters(tensors))
            func at(_ depth: Int) -> (decode: Double?, prefill: Double?) {
                ThroughputEstimator.speeds(work, activeParameters: active, verdict: verdict, gpuShare: share,
                                           kvGPUShare: verdict == .ram ? 0 : gpuLayers.map { work.kvShareOnGPU(gpuLayers: $0) }, gpu: gpu, host: host,
                                           decodeDepth: depth, prefillPrompt: prompt, prefillDepth: 0, calibration: calibration)
            }
            let (empty, full) = (at(0), at(d))
            let prefill = empty.prefill
            let factor = machineCalibration(machine).first { $0.placement == verdict.rawValue }
            let hostNote = host.measured ? "RAM at \(NumberText.format(host.bandwidthGBs, digits: 0)) GB/s measured by fit bench hardware"
                : "RAM at an assumed \(NumberText.format(host.bandwidthGBs, digits: 0)) GB/s (run `fit bench hardware` to measure it)"
            return .init(decodeTokensPerSecond: empty.decode.map { $0 * (factor?.decodeFactor ?? 1) },
                         decodeTokensPerSecondAtContext: full.decode.map { $0 * (factor?.decodeFactor ?? 1) },
                         prefillTokensPerSecond: prefill.map { $0 * (factor?.prefillFactor ?? 1) },
                         timeToFirstTokenSeconds: prefill.map { Double(prompt) / ($0 * (factor?.prefillFactor ?? 1)) }, prompt: prompt, depth: d,
                         device: verdict == .ram ? "CPU" : options.cpuMoELayers > 0
                            ? "GPU + CPU (--n-cpu-moe \(options.cpuMoELayers): \(Int((share * 100).rounded()))% of the bytes read per token on the GPU)"
                            : "GPU + CPU (\(Int((share * 100).rounded()))% of the bytes read per token on the GPU)",
                         note: "estimated with \(hostNote)\(factor != nil ? ", corrected by this machine's fit bench runtime" : ""); CPU and offloaded speeds are rougher than full-GPU ones")
        }
        guard verdict == .gpu else {
            return none("no estimate: the model does not fit")
        }
        guard let gpu = machine.gpus.first, let (device, spec) = ListCommand.computeDevice(gpu, catalog: catalog) else {
            return none("no estimate: the GPU's bandwidth and FP16 throughput are not in the hardware table")
        }
        guard let calibration = catalog.calibration else {
            return none("no estimate: the catalog has no throughput measurements to calibrate on")
        }
        let rows = calibration.byBackend.values.reduce(0) { $0 + $1.rows }
        let active = Double(m.architecture.activeParameters(tensors))
        let prefill = ThroughputEstimator.prefill(work, activeParameters: active, on: device, prompt: prompt, depth: 0, calibration: calibration)
        let measured = try catalogOptions.evidence().throughput.filter {
            $0.model == m.id && $0.hardware == spec.id && QuantScheme.named($0.quant ?? "") == scheme
        }.map { PlanReport.Measured(test: $0.test, tokensPerSecond: $0.tokensPerSecond, backend: $0.backend, hardware: $0.hardwareName, source: $0.source) }
        // Layers split over GPUs that differ: each part at its own card's speed, one after the other.
        let parts: [(device: ComputeDevice, share: Double, name: String)] = devices.compactMap { dp in
            guard dp.id != "cpu", dp.memory.weightsBytes > 0, let i = Int(dp.id.dropFirst(3)), let g = machine.gpus.first(where: { $0.index == i }),
                  let (device, s) = ListCommand.computeDevice(g, catalog: catalog) else { return nil }
            return (device, Double(dp.memory.weightsBytes + dp.memory.kvCacheBytes), s.name)
        }
        let gpuCount = devices.filter { $0.id != "cpu" && $0.memory.weightsBytes > 0 }.count
        if parts.count > 1, parts.count == gpuCount, Set(parts.map(\.name)).count > 1 {
            let total = parts.reduce(0) { $0 + $1.share }
            let shares = parts.map { (device: $0.device, share: $0.share / total) }
            let (d0, p0) = ThroughputEstimator.split(work, activeParameters: active, parts: shares, decodeDepth: 0, prefillPrompt: prompt, prefillDepth: 0, calibration: calibration)
            let (dD, _) = ThroughputEstimator.split(work, activeParameters: active, parts: shares, decodeDepth: d, prefillPrompt: prompt, prefillDepth: 0, calibration: calibration)
            let names = zip(parts, shares).map { "\($0.name) \(Int(($1.share * 100).rounded()))%" }.joined(separator: " + ")
            return .init(decodeTokensPerSecond: d0, decodeTokensPerSecondAtContext: dD, prefillTokensPerSecond: p0,
                         timeToFirstTokenSeconds: p0.map { Double(prompt) / $0 }, prompt: prompt, depth: d, device: "layers split: \(names)",
                         note: "each GPU's share of the layers at its own bandwidth and FP16 throughput, one after the other, with efficiencies fitted on \(rows) measured rows", measured: [])
        }
        return .init(decodeTokensPerSecond: ThroughputEstimator.decode(work, on: device, depth: 0, calibration: calibration),
                     decodeTokensPerSecondAtContext: ThroughputEstimator.decode(work, on: device, depth: d, calibration: calibration),
                     prefillTokensPerSecond: prefill, timeToFirstTokenSeconds: prefill.map { Double(prompt) / $0 },
                     prompt: prompt, depth: d, device: "\(spec.name), \(gpu.backend.rawValue)",
                     note: "estimated from \(NumberText.format(device.bandwidthGBs, digits: 0)) GB/s and \(NumberText.format(spec.fp16TFLOPS, digits: 0)) FP16 TFLOPS with efficiencies fitted on \(rows) measured rows (fit validate throughput)", measured: measured)
    }

    /// Minutes for a typical task of each tier (Catalog/tiers budgets): the task's unique input
    /// prefilled once (prompt cache), its output decoded at the mean of the empty and full-context speeds.
    static func agentTasks(_ t: PlanReport.ThroughputReport, tiers: TierBook) -> [PlanReport.AgentTask] {
        guard let pre = t.prefillTokensPerSecond, pre > 0, let d0 = t.decodeTokensPerSecond, let d1 = t.decodeTokensPerSecondAtContext else { return [] }
        let decode = (d0 + d1) / 2
        return tiers.tiers.sorted { $0.rank < $1.rank }.map { tier in
            let b = tier.budget
            return .init(tier: tier.id, inputTokens: b.uniqueInputTokens, outputTokens: b.outputTokens,
                         minutes: (Double(b.uniqueInputTokens) / pre + Double(b.outputTokens) / decode) / 60)
        }
    }

    /// The runtime preset's target and the context it defaults to.
    func runtimeSetting(_ options: PlanOptions, model: ModelArchitecture, machine: MachineDescription) throws -> (PlanTarget, PlanOptions) {
        let base = PlanTarget(machine: machine)
        guard let r = try plan.runtimePreset() else { return (base, options) }
        return (r.target(base, machine: machine), options.with(context: try plan.context(for: model, machine: machine)))
    }

    /// `fit plan path/to/model.gguf`: plan from the file's own metadata and tensor table.
    func runGGUF(options: PlanOptions, catalog: Catalog) async throws {
        if quant != nil { throw FitError.usage("--quant does not apply to a .gguf file: its quantization is what the file holds") }
        let gguf: GGUFModel
        do { gguf = try GGUFLoader.model(at: model) } catch { throw FitError.usage(error.description) }
        let id = (model as NSString).lastPathComponent
        let entry = CatalogModel(id: id, name: gguf.name ?? id, family: gguf.architectureName, released: "", license: "",
                                 aliases: [], sources: [model], notes: nil, architecture: gguf.architecture, quants: [])
        let machine = try await machineOptions.load(catalog: catalog)
        let (target, planOptions) = try runtimeSetting(options, model: gguf.architecture, machine: machine)
        var report = PlanReport.make(model: entry, scheme: .f16, options: planOptions, target: target,
                                     planner: MemoryPlanner(architecture: gguf.architecture, weights: gguf.weights), modelFile: model)
        report.quant = gguf.fileType ?? "GGUF"
        report.weightsSource = "gguf"
        report.warnings = gguf.assumptions + report.warnings.filter { !$0.contains("not a published build") }
        if output.json {
            try printJSON(report)
        } else {
            print(Self.render(report, machine: machine, target: target, style: output.style), terminator: "")
        }
    }

    /// `fit plan path/to/config.json` (or its folder): a safetensors model for vLLM or MLX.
    func runHF(options: PlanOptions, catalog: Catalog) async throws {
        if quant != nil { throw FitError.usage("--quant does not apply to config.json: the quantization is what config.json says") }
        let hf: HFModel
        do { hf = try HFModel.load(model) } catch { throw FitError.usage(error.description) }
        let entry = CatalogModel(id: hf.name, name: hf.name, family: "safetensors", released: "", license: "",
                                 aliases: [], sources: [model], notes: nil, architecture: hf.architecture, quants: [])
        let machine = try await machineOptions.load(catalog: catalog)
        let (target, planOptions) = try runtimeSetting(options, model: hf.architecture, machine: machine)
        var report = PlanReport.make(model: entry, scheme: .f16, options: planOptions, target: target,
                                     planner: MemoryPlanner(architecture: hf.architecture, weights: hf.weights), modelFile: model)
        report.quant = hf.format.name
        report.weightsSource = "safetensors"
        report.warnings = hf.assumptions + ["buffers follow llama.cpp's rules; add --runtime vllm or --runtime mlx for those runtimes' defaults"]
        if output.json {
            try printJSON(report)
        } else {
            print(Self.render(report, machine: machine, target: target, style: output.style), terminator: "")
        }
    }

    /// A catalog model's safetensors build (MLX, AWQ/GPTQ, FP8, MXFP4, BF16): weights from its
    /// published size or its format, buffers by llama.cpp's rules unless a --runtime preset says otherwise.
    func runBuild(_ entry: CatalogModel, _ build: SafetensorsBuild, options: PlanOptions, catalog: Catalog) async throws {
        guard let weights = entry.weights(build) else { throw FitError.usage("--quant \(build.format) is not a known format") }
        let machine = try await machineOptions.load(catalog: catalog)
        let (target, planOptions) = try runtimeSetting(options, model: entry.architecture, machine: machine)
        var report = PlanReport.make(model: entry, scheme: .bf16, options: planOptions, target: target,
                                     planner: MemoryPlanner(architecture: entry.architecture, weights: weights),
                                     modelFile: build.repo == "-" ? nil : build.repo)
        report.quant = build.format + (build.repo == "-" ? "" : " (\(build.repo))")
        report.weightsSource = build.bytes != nil ? "published" : "format"
        var warnings = report.warnings.filter { !$0.contains("not a published build") }
        if build.repo == "-" { warnings.append("\(build.format) is not a listed build of \(entry.id) in the catalog; weights are sized from the format") }
        if (try? plan.runtimePreset()) == nil {
            warnings.append("\(build.format) builds load in \(build.runtime == "mlx" ? "MLX" : "vLLM"); add --runtime \(build.runtime) for its defaults (buffers here follow llama.cpp's rules)")
        }
        report.warnings = warnings
        // Not llama-server: the build's own runtime, with the context this plan is for.
        report.llamaServer = build.repo == "-" ? [] : build.runtime == "mlx"
            ? ["mlx_lm.server", "--model", build.repo]
            : ["vllm", "serve", build.repo, "--max-model-len", "\(planOptions.context.count)"] + (target.gpus.count > 1 ? ["--tensor-parallel-size", "\(target.gpus.count)"] : [])
        report.expertOffload = nil
        if output.json {
            try printJSON(report)
        } else {
            print(Self.render(report, machine: machine, target: target, style: output.style), terminator: "")
        }
    }

    static func resolve(_ name: String, in catalog: Catalog) throws -> (CatalogModel, QuantScheme?) {
        switch catalog.resolver.resolve(name) {
        case .found(let m, let q): return (m, q)
        case .unknown(let suggestions):
            throw FitError.usage("unknown model `\(name)`; closest catalog entries: \(suggestions.joined(separator: ", ")) (see `fit list`)")
        }
    }

    static func scheme(_ text: String?, implied: QuantScheme?, for m: CatalogModel) throws -> QuantScheme {
        guard let text else { return implied ?? m.defaultQuant }
        guard let s = QuantScheme.named(text) else {
            throw FitError.usage("--quant \(text) is not a known quantization; use a GGUF type (\(QuantScheme.allCases.map(\.rawValue).joined(separator: ", "))) or a safetensors format (\(SafetensorsFormat.catalogNames.map(\.name).joined(separator: ", ")))")
        }
        return s
    }

    static func render(_ r: PlanReport, machine: MachineDescription, target: PlanTarget, style: Style) -> String {
        var out = style.bold("\(r.model.name) (\(r.model.id)), \(r.quant), \(r.context) tokens") + "\n"
        out += "KV cache \(r.kvType.rawValue), flash attention \(r.flashAttention ? "on" : "off"), \(Format.params(r.model.parameters)) parameters"
        out += r.model.activeParameters < r.model.parameters ? " (\(Format.params(r.model.activeParameters)) active)" : ""
        let origin = ["published": "published file size", "gguf": "file's tensor table", "safetensors": "config.json and the safetensors index",
                      "format": "format's bits per tensor"][r.weightsSource] ?? "per-tensor quant recipe"
        out += ", weights from the \(origin)\n"
        out += machineSummary(machine, target: target) + "\n\n"
        let devices = r.devices.filter { $0.id == "cpu" || $0.memory.totalBytes > 0 }
        var table = TextTable(headers: ["", "TOTAL"] + devices.map { $0.id == "cpu" ? "RAM" : $0.id.uppercased() })
        table.rightAligned = Set(1...(devices.count + 1))
        func row(_ label: String, _ k: KeyPath<MemoryBreakdown, Int64>) {
            table.add([label, Format.bytes(r.memory[keyPath: k])] + devices.map { Format.bytes($0.memory[keyPath: k]) })
        }
        row("weights", \.weightsBytes)
        row("KV cache", \.kvCacheBytes)
        if r.memory.recurrentStateBytes > 0 { row("recurrent state", \.recurrentStateBytes) }
        row("compute buffer", \.computeBytes)
        row("output buffer", \.outputBytes)
        row("runtime overhead", \.overheadBytes)
        row("total", \.totalBytes)
        table.add(["capacity", ""] + devices.map { Format.bytes($0.capacityBytes) })
        table.add(["layers", "\(r.totalLayers)"] + devices.map { "\($0.layerCount)\($0.holdsOutputLayer ? " + output" : "")" })
        out += table.render(style: style) + "\n"
        out += "Verdict: " + style.verdict(r.verdict, r.verdict.label) + "."
        if r.gpuLayers > 0 && r.verdict == .partial { out += " \(r.gpuLayers) of \(r.totalLayers) layers on the GPU." }
        out += "\n"
        if let max = r.maxContext {
            let what = r.verdict == .none ? "that fits on this machine" : "with this verdict"
            out += "Largest context \(what): \(max) tokens (the model was trained for \(r.model.contextWindow)).\n"
        } else {
            out += "It does not fit at any context on this machine.\n"
        }
        if let e = r.expertOffload {
            out += "MoE: with --n-cpu-moe \(e.nCpuMoe) the routed experts of the first \(e.nCpuMoe) layers stay in RAM and everything else goes to the GPU (\(Format.bytes(e.gpuBytes)) on GPU, \(Format.bytes(e.hostBytes)) in RAM): usually faster than offloading fewer layers.\n"
            out += "       " + e.llamaServer.joined(separator: " ") + "\n"
        }
        out += "Each 1k tokens of context adds \(Format.bytes(r.bytesPer1kContext)) at this point.\n"
        if let t = r.throughput {
            if let dec = t.decodeTokensPerSecond, let decAt = t.decodeTokensPerSecondAtContext, let pre = t.prefillTokensPerSecond, let ttft = t.timeToFirstTokenSeconds {
                out += "Speed (estimate, \(t.device ?? "")): decode \(NumberText.format(dec, digits: 0)) tokens/s empty, \(NumberText.format(decAt, digits: 0)) at \(TokenCount(t.depth)) tokens; prefill \(NumberText.format(pre, digits: 0)) tokens/s, first token after \(NumberText.format(ttft, digits: 2)) s for a \(t.prompt)-token prompt.\n"
            } else {
                out += "Speed: \(t.note)\n"
            }
            if !t.agentTasks.isEmpty {
                out += "An agent task (prompt-cached input, output; Catalog/tiers): " + t.agentTasks.map {
                    "\($0.tier) ~\(NumberText.format($0.minutes, digits: $0.minutes < 10 ? 1 : 0)) min (\(TokenCount($0.inputTokens).short) in, \(TokenCount($0.outputTokens).short) out)"
                }.joined(separator: ", ") + ".\n"
            }
            for m in t.measured {
                out += "  measured: \(m.test) \(NumberText.format(m.tokensPerSecond, digits: 1)) tokens/s on \(m.hardware), \(m.backend)  [\(m.source)]\n"
            }
        }
        for w in r.warnings { out += "Note: \(w)\n" }
        if !r.llamaServer.isEmpty { out += "Launch: " + r.llamaServer.joined(separator: " ") + "\n" }
        return out
    }
}

/// The JSON of `fit plan --json` (field names are stable; see the README).
struct PlanReport: Encodable {
    var schema = 1
    var model: ModelInfo
    /// The quantization's name: a named mix, or the GGUF's file type.
    var quant: String
    var context: TokenCount
    var kvType: KVCacheType
    var flashAttention: Bool
    var memory: MemoryBreakdown
    var devices: [DevicePlan]
    var verdict: Verdict
    var fits: Bool
    var maxContext: TokenCount?
    var gpuLayers: Int
    var totalLayers: Int
    /// "published" when a published file size set the weights, "gguf" when read from a file, else "recipe".
    var weightsSource: String
    var llamaServer: [String]
    /// What 1024 more tokens of context add to the total (KV cache, and compute without flash attention).
    var bytesPer1kContext: Int64
    /// Estimated speed, or why there is none (see `throughput.note`).
    var throughput: ThroughputReport?
    /// For a MoE model that does not fit on the GPUs: keep the experts of the first N layers in RAM.
    var expertOffload: ExpertOffload?
    var warnings: [String]

    struct ThroughputReport: Encodable {
        var decodeTokensPerSecond: Double?
        var decodeTokensPerSecondAtContext: Double?
        var prefillTokensPerSecond: Double?
        var timeToFirstTokenSeconds: Double?
        var prompt: Int
        var depth: Int
        var device: String?
        var note: String
        /// Measurements of this model, quant and GPU in the catalog: when we know better than the estimate.
        var measured: [Measured] = []
        /// Minutes for a typical agent task per tier.
        var agentTasks: [AgentTask] = []
    }

    struct AgentTask: Encodable {
        var tier: String
        var inputTokens: Int
        var outputTokens: Int
        var minutes: Double
    }

    struct Measured: Encodable {
        var test: String
        var tokensPerSecond: Double
        var backend: String
        var hardware: String
        var source: String
    }

    struct ExpertOffload: Encodable {
        var nCpuMoe: Int
        var gpuBytes: Int64
        var hostBytes: Int64
        var llamaServer: [String]
    }

    struct ModelInfo: Encodable {
        var id: String, name: String, family: String
        var parameters: Int64, activeParameters: Int64
        var contextWindow: TokenCount
        var sources: [String]
    }

    static func make(model m: CatalogModel, scheme: QuantScheme, options: PlanOptions, target: PlanTarget,
                     planner given: MemoryPlanner? = nil, modelFile: String? = nil) -> PlanReport {
        let planner = given ?? MemoryPlanner(model: m, scheme: scheme)
        let plan = planner.plan(options, on: target)
        let maxCtx = planner.maxContext(options, on: target, atLeast: plan.verdict == .none ? .ram : plan.verdict)
        var warnings: [String] = []
        if options.context.count > m.architecture.contextLength {
            warnings.append("\(options.context) tokens is beyond \(m.id)'s trained context of \(TokenCount(m.architecture.contextLength)); quality will suffer")
        }
        if !m.quants.contains(where: { $0.scheme == scheme }) {
            warnings.append("\(scheme.rawValue) is not a published build of \(m.id) in the catalog; sizes come from the llama.cpp recipe")
        }
        if let notes = m.notes, !notes.isEmpty, m.architecture.slidingWindow != nil || m.architecture.linearAttention != nil || m.architecture.mla != nil {
            warnings.append("architecture details (sliding window, MLA, hybrid layers) follow the catalog entry; see its notes")
        }
        var offload: ExpertOffload?
        if options.cpuMoELayers == 0, let n = planner.expertOffload(options, on: target) {
            var o = options
            o.cpuMoELayers = n
            let p = planner.plan(o, on: target)
            let gpu = p.devices.filter { $0.id != "cpu" }.reduce(Int64(0)) { $0 + $1.memory.totalBytes }
            offload = ExpertOffload(nCpuMoe: n, gpuBytes: gpu, hostBytes: p.memory.totalBytes - gpu,
                                    llamaServer: LaunchFlags.llamaServer(modelFile: modelFile ?? "\(m.id)-\(scheme.rawValue).gguf", plan: p, devices: target.gpus.count))
        }
        let published = m.quants.first { $0.scheme == scheme }?.bytes != nil
        let file = modelFile ?? "\(m.id)-\(scheme.rawValue).gguf"
        return PlanReport(
            model: ModelInfo(id: m.id, name: m.name, family: m.family, parameters: m.architecture.parameterCount,
                             activeParameters: m.architecture.activeParameterCount,
                             contextWindow: TokenCount(m.architecture.contextLength), sources: m.sources),
            quant: scheme.rawValue, context: options.context, kvType: options.kvType, flashAttention: options.flashAttention,
            memory: plan.memory, devices: plan.devices, verdict: plan.verdict, fits: plan.fits, maxContext: maxCtx,
            gpuLayers: plan.gpuLayers, totalLayers: plan.totalLayers, weightsSource: published ? "published" : "recipe",
            llamaServer: LaunchFlags.llamaServer(modelFile: file, plan: plan, devices: target.gpus.count),
            bytesPer1kContext: planner.plan(options.with(context: TokenCount(options.context.count + 1024)), on: target).memory.totalBytes - plan.memory.totalBytes,
            throughput: nil,
            expertOffload: offload,
            warnings: warnings)
    }
}
