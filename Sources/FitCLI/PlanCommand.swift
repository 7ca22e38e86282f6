import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit plan MODEL`: the memory breakdown of one model, per device, and the verdict.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the memory breakdown of one model at a context, per device, with the verdict.")

    @Argument(
        help: ArgumentHelp(
            "A catalog id, Hugging Face repo id or Ollama tag (e.g. qwen3-coder:30b).", valueName: "model"))
    var model: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Quantization, e.g. Q4_K_M (default: Q4_K_M when published, else the model's first).", valueName: "q"))
    var quant: String?

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Prompt length for prefill speed and time to first token (default 512).", valueName: "n"))
    var prompt: Int = 512

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "Tokens already in the context for the decode speed (default: the full --ctx).", valueName: "n"))
    var depth: Int?

    @Flag(name: .long, help: "Never reach the network: a model from the Hub comes from fit's cache only.")
    var offline = false

    @OptionGroup var plan: PlanFlags
    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard prompt > 0, prompt <= TokenCount.absurd.count else {
            throw ValidationError("--prompt \(prompt) must be a positive token count")
        }
        if let depth, depth < 0 { throw ValidationError("--depth \(depth) must be zero or a positive token count") }
    }

    func run() async throws {
        let options = try plan.options()
        let session = try await Session.load(catalog: catalogOptions, machine: machineOptions)
        let build = try await ModelLookup(catalog: session.catalog, offline: offline).build(
            named: model, quant: quant, runtimePreset: try plan.runtimePreset() != nil)
        let machine = session.machine
        var target = session.target
        var planOptions = options
        if let r = try plan.runtimePreset() {
            target = r.target(target, machine: machine)
            planOptions = options.with(context: try plan.context(for: build.architecture, machine: machine))
        }
        let answer = Advisor.plan(
            build, options: planOptions, target: target, speed: try session.speed(), prompt: prompt,
            depth: depth ?? planOptions.context.count, tiers: try? session.tiers(), memo: session.memo)
        session.save()
        let report = PlanReport(answer, machine: machine, speed: try session.speed())
        if output.json {
            try printJSON(report)
        } else {
            print(Self.render(report, machine: machine, target: target, style: output.style), terminator: "")
        }
    }

    /// The build a name means: a GGUF file, a config.json folder, a listed safetensors repo, a
    /// safetensors format of a catalog model, or a catalog model's GGUF quant.
    static func build(named model: String, quant: String?, catalog: Catalog, runtimePreset: Bool) throws -> ModelBuild {
        if model.lowercased().hasSuffix(".gguf") {
            if quant != nil {
                throw FitError.usage("--quant does not apply to a .gguf file: its quantization is what the file holds")
            }
            do {
                return ModelBuild.file(
                    try GGUFLoader.model(at: model), path: model, id: (model as NSString).lastPathComponent)
            } catch {
                throw FitError.usage(error.description)
            }
        }
        // A folder holding config.json, even as a broken link (lstat, not stat): that is an error
        // about the file, not an unknown model.
        if model.lowercased().hasSuffix("config.json")
            || (try? FileManager.default.attributesOfItem(
                atPath: (model as NSString).appendingPathComponent("config.json"))) != nil
        {
            if quant != nil {
                throw FitError.usage("--quant does not apply to config.json: the quantization is what config.json says")
            }
            do { return ModelBuild.config(try HFModel.load(model), path: model) } catch {
                throw FitError.usage(error.description)
            }
        }
        // A safetensors repo the catalog lists ("mlx-community/Qwen3-32B-4bit"), or --quant MLX-4bit.
        // The original repo is also the model's alias: that name keeps meaning the model (GGUF plans).
        let isAlias = catalog.models.contains { m in m.aliases.contains { $0.lowercased() == model.lowercased() } }
        if model.contains("/"), !isAlias,
            let owner = catalog.models.first(where: {
                $0.builds.contains { $0.repo.lowercased() == model.lowercased() }
            }),
            let listed = owner.build(named: model)
        {
            return try safetensors(owner, listed, runtimePreset: runtimePreset)
        }
        let (entry, impliedQuant) = try catalog.model(named: model)
        if let quant, QuantScheme.named(quant) == nil,
            SafetensorsFormat.named(quant) != nil || entry.build(named: quant) != nil
        {
            let listed =
                entry.build(named: quant)
                ?? SafetensorsBuild(
                    format: SafetensorsFormat.catalogNames.first { $0.name.lowercased() == quant.lowercased() }?.name
                        ?? quant,
                    repo: "-", source: "not a listed build: sized from the format")
            return try safetensors(entry, listed, runtimePreset: runtimePreset)
        }
        return ModelBuild.catalog(entry, scheme: try scheme(quant, implied: impliedQuant, for: entry))
    }

    static func safetensors(_ entry: CatalogModel, _ listed: SafetensorsBuild, runtimePreset: Bool) throws -> ModelBuild
    {
        guard let b = ModelBuild.catalog(entry, safetensors: listed, runtimePreset: runtimePreset) else {
            throw FitError.usage("--quant \(listed.format) is not a known format")
        }
        return b
    }

    static func scheme(_ text: String?, implied: QuantScheme?, for m: CatalogModel) throws -> QuantScheme {
        guard let text else { return implied ?? m.defaultQuant }
        guard let s = QuantScheme.named(text) else {
            throw FitError.usage(
                "--quant \(text) is not a known quantization; use a GGUF type (\(QuantScheme.allCases.map(\.rawValue).joined(separator: ", "))) or a safetensors format (\(SafetensorsFormat.catalogNames.map(\.name).joined(separator: ", ")))"
            )
        }
        return s
    }

    static func render(_ r: PlanReport, machine: MachineDescription, target: PlanTarget, style: Style) -> String {
        var out = style.bold("\(r.model.name) (\(r.model.id)), \(r.quant), \(r.context) tokens") + "\n"
        out +=
            "KV cache \(r.kvType.rawValue), flash attention \(r.flashAttention ? "on" : "off"), \(Format.params(r.model.parameters)) parameters"
        out +=
            r.model.activeParameters < r.model.parameters ? " (\(Format.params(r.model.activeParameters)) active)" : ""
        let origin =
            [
                "published": "published file size", "gguf": "file's tensor table",
                "safetensors": "config.json and the safetensors index",
                "safetensorsHeaders": "config.json and the safetensors headers",
                "format": "format's bits per tensor",
            ][r.weightsSource] ?? "per-tensor quant recipe"
        out += ", weights from the \(origin)\n"
        out += machineSummary(machine, target: target) + "\n\n"
        let devices = r.devices.filter { $0.isHost || $0.memory.totalBytes > 0 }
        var table = TextTable(headers: ["", "TOTAL"] + devices.map { $0.isHost ? "RAM" : $0.id.uppercased() })
        table.rightAligned = Set(1...(devices.count + 1))
        func row(_ label: String, _ k: KeyPath<MemoryBreakdown, Int64>) {
            table.add(
                [label, Format.bytes(r.memory[keyPath: k])] + devices.map { Format.bytes($0.memory[keyPath: k]) })
        }
        row("weights", \.weightsBytes)
        row("KV cache", \.kvCacheBytes)
        if r.memory.recurrentStateBytes > 0 { row("recurrent state", \.recurrentStateBytes) }
        row("compute buffer", \.computeBytes)
        row("output buffer", \.outputBytes)
        row("runtime overhead", \.overheadBytes)
        row("total", \.totalBytes)
        table.add(["capacity", ""] + devices.map { Format.bytes($0.capacityBytes) })
        table.add(
            ["layers", "\(r.totalLayers)"] + devices.map { "\($0.layerCount)\($0.holdsOutputLayer ? " + output" : "")" }
        )
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
            let speed =
                e.decodeTokensPerSecondAtContext.map {
                    " decode about \(NumberText.format($0, digits: 0)) tokens/s at \(TokenCount(r.throughput?.depth ?? r.context.count)) tokens,"
                } ?? ""
            let verdict =
                e.faster
                ? "faster than this layer split: the launch line below uses it"
                : "not faster here than this layer split"
            out +=
                "MoE: with --n-cpu-moe \(e.nCpuMoe) the routed experts of the first \(e.nCpuMoe) layers stay in RAM and everything else goes to the GPU (\(Format.bytes(e.gpuBytes)) on GPU, \(Format.bytes(e.hostBytes)) in RAM):\(speed) \(verdict).\n"
            out += "       " + e.llamaServer.joined(separator: " ") + "\n"
        }
        out += "Each 1k tokens of context adds \(Format.bytes(r.bytesPer1kContext)) at this point.\n"
        if let t = r.throughput {
            if let dec = t.decodeTokensPerSecond, let decAt = t.decodeTokensPerSecondAtContext,
                let pre = t.prefillTokensPerSecond, let ttft = t.timeToFirstTokenSeconds
            {
                out +=
                    "Speed (estimate, \(t.device ?? "")): decode \(NumberText.format(dec, digits: 0)) tokens/s empty, \(NumberText.format(decAt, digits: 0)) at \(TokenCount(t.depth)) tokens; prefill \(NumberText.format(pre, digits: 0)) tokens/s, first token after \(NumberText.format(ttft, digits: 2)) s for a \(t.prompt)-token prompt.\n"
            } else {
                out += "Speed: \(t.note)\n"
            }
            if !t.agentTasks.isEmpty {
                out +=
                    "An agent task (prompt-cached input, output; Catalog/tiers): "
                    + t.agentTasks.map {
                        "\($0.tier) ~\(NumberText.format($0.minutes, digits: $0.minutes < 10 ? 1 : 0)) min (\(TokenCount($0.inputTokens).short) in, \(TokenCount($0.outputTokens).short) out)"
                    }.joined(separator: ", ") + ".\n"
            }
            for m in t.measured {
                out +=
                    "  measured: \(m.test) \(NumberText.format(m.tokensPerSecond, digits: 1)) tokens/s on \(m.hardware), \(m.backend)  [\(m.source)]\n"
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
        var note: String = ""
        /// "measured": the decode figures come from a catalog row of this model, quant and GPU; "estimate".
        var speedSource: String?
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
        var decodeTokensPerSecondAtContext: Double?
        var prefillTokensPerSecond: Double?
        /// Faster than the plan's own layer split: the plan's launch line is this one.
        var faster: Bool
    }

    struct ModelInfo: Encodable {
        var id: String, name: String, family: String
        var parameters: Int64, activeParameters: Int64
        var contextWindow: TokenCount
        var sources: [String]
    }

    /// The answer as `fit plan --json` writes it (field names stable since schema 1).
    init(_ a: PlanAnswer, machine: MachineDescription, speed: SpeedContext) {
        let b = a.build
        model = ModelInfo(
            id: b.model.id, name: b.model.name, family: b.model.family, parameters: b.parameters,
            activeParameters: b.activeParameters,
            contextWindow: TokenCount(b.architecture.contextLength), sources: b.model.sources)
        quant = b.label
        context = a.plan.options.context
        kvType = a.plan.options.kvType
        flashAttention = a.plan.options.flashAttention
        memory = a.plan.memory
        devices = a.plan.devices
        verdict = a.plan.verdict
        fits = a.plan.fits
        maxContext = a.largestContext
        gpuLayers = a.plan.gpuLayers
        totalLayers = a.plan.totalLayers
        weightsSource = b.origin.rawValue
        llamaServer = a.launch
        bytesPer1kContext = a.bytesPer1kContext.bytes
        throughput = ThroughputReport(a, speed: speed)
        expertOffload = a.expertOffload.map { e in
            ExpertOffload(
                nCpuMoe: e.layers, gpuBytes: e.gpuBytes.bytes, hostBytes: e.hostBytes.bytes, llamaServer: e.launch,
                decodeTokensPerSecondAtContext: e.speed?.decode[1], prefillTokensPerSecond: e.speed?.prefill,
                faster: e.faster)
        }
        warnings = a.notes.map(PlanReport.sentence)
    }

    static func sentence(_ n: PlanNote) -> String {
        switch n {
        case .beyondTrainedContext(let model, let context, let trained):
            "\(context) tokens is beyond \(model)'s trained context of \(trained); quality will suffer"
        case .notPublished(let quant, let model):
            "\(quant) is not a published build of \(model) in the catalog; sizes come from the llama.cpp recipe"
        case .architectureFromNotes:
            "architecture details (sliding window, MLA, hybrid layers) follow the catalog entry; see its notes"
        case .notListedBuild(let format, let model):
            "\(format) is not a listed build of \(model) in the catalog; weights are sized from the format"
        case .otherRuntime(let format, let runtime):
            "\(format) builds load in \(runtime == "mlx" ? "MLX" : "vLLM"); add --runtime \(runtime) for its defaults (buffers here follow llama.cpp's rules)"
        case .llamaCppBuffers:
            "buffers follow llama.cpp's rules; add --runtime vllm or --runtime mlx for those runtimes' defaults"
        case .assumption(let text): text
        }
    }
}

extension PlanReport.ThroughputReport {
    /// The speed answer as JSON and text show it: figures, the hardware behind them, or why there are none.
    init(_ a: PlanAnswer, speed: SpeedContext) {
        let depth = a.speed.map { $0.decodeDepths[1] }
        prompt = (try? a.speed.get())?.prompt ?? 0
        self.depth = (try? depth.get()) ?? a.plan.options.context.count
        agentTasks = a.agentTasks.map {
            PlanReport.AgentTask(
                tier: $0.tier, inputTokens: $0.inputTokens, outputTokens: $0.outputTokens, minutes: $0.minutes)
        }
        switch a.speed {
        case .failure(let why):
            note =
                switch why {
                case .doesNotFit: "no estimate: the model does not fit"
                case .unknownGPU:
                    "no estimate: the GPU's bandwidth and FP16 throughput are not in the hardware table (measure the GPU with `fit bench runtime MODEL.gguf`, or name a listed card with --hardware)"
                case .noCalibration: "no estimate: the catalog has no throughput measurements to calibrate on"
                }
        case .success(let s):
            prompt = s.prompt
            decodeTokensPerSecond = s.decode[0]
            decodeTokensPerSecondAtContext = s.decode[1]
            prefillTokensPerSecond = s.prefill
            timeToFirstTokenSeconds = s.timeToFirstTokenSeconds
            speedSource = s.measuredDecode ? "measured" : "estimate"
            let host = speed.host
            let hostNote =
                host.measured
                ? "RAM at \(NumberText.format(host.bandwidthGBs, digits: 0)) GB/s measured by fit bench hardware"
                : "RAM at an assumed \(NumberText.format(host.bandwidthGBs, digits: 0)) GB/s (run `fit bench hardware` to measure it)"
            let corrected = s.corrected ? ", corrected by this machine's fit bench runtime" : ""
            switch s.basis {
            case .gpu(let g, let backend):
                device = "\(g.name), \(backend.rawValue)"
                note =
                    s.measuredDecode
                    ? "decode from a measured row of this model, quant and GPU (carried to depth by the estimate's ratio)\(corrected)"
                    : "estimated from \(NumberText.format(g.device.bandwidthGBs, digits: 0)) GB/s and \(NumberText.format(g.device.fp16TFLOPS, digits: 0)) FP16 TFLOPS with efficiencies fitted on \(s.calibrationRows) measured rows (fit validate throughput)\(corrected)"
                measured = speed.measured.filter {
                    $0.model == a.build.work.modelID && $0.hardware == g.hardwareID && a.build.work.quant != nil
                        && QuantScheme.named($0.quant ?? "") == a.build.work.quant
                }.map {
                    PlanReport.Measured(
                        test: $0.test, tokensPerSecond: $0.tokensPerSecond, backend: $0.backend,
                        hardware: $0.hardwareName, source: $0.source)
                }
            case .split(let parts):
                device =
                    "layers split: "
                    + parts.map { "\($0.gpu.name) \(Int(($0.share * 100).rounded()))%" }.joined(separator: " + ")
                note =
                    "each GPU's share of the layers at its own bandwidth and FP16 throughput, one after the other, with efficiencies fitted on \(s.calibrationRows) measured rows\(corrected)"
            case .offloaded(let share, let experts):
                let pct = Int((share * 100).rounded())
                device =
                    experts == .withLayers
                    ? "GPU + CPU (\(pct)% of the bytes read per token on the GPU)"
                    : "GPU + CPU (\(experts.launchFlags.joined(separator: " ")): \(pct)% of the bytes read per token on the GPU)"
                note = "estimated with \(hostNote)\(corrected); CPU and offloaded speeds are rougher than full-GPU ones"
            case .cpu:
                device = "CPU"
                note = "estimated with \(hostNote)\(corrected); CPU and offloaded speeds are rougher than full-GPU ones"
            }
        }
    }
}
