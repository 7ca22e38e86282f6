/// The answer layer: from a model build, a memory plan and what is known of this machine's speed,
/// the typed answers every command renders (the list, one model's plan, the tier choice, the
/// report, `fit bench`'s prediction). Commands parse, load, ask here and render; none assembles an
/// answer of its own. Pure: no I/O.

/// Where a mixture-of-experts model's routed experts live (llama.cpp `--cpu-moe`, `--n-cpu-moe N`).
public enum ExpertPlacement: Sendable, Hashable, Codable {
    /// With their layers (llama.cpp's default).
    case withLayers
    /// The routed experts of the first N layers stay in RAM (`--n-cpu-moe N`).
    case firstLayersInRAM(Int)
    /// Every routed expert stays in RAM (`--cpu-moe`).
    case allInRAM

    /// Layers whose experts stay in RAM, for any layer count (`allInRAM` covers all of them).
    public var layersInRAM: Int {
        switch self {
        case .withLayers: 0
        case .firstLayersInRAM(let n): max(0, n)
        case .allInRAM: Int.max
        }
    }

    /// The llama-server flags that ask for this placement.
    public var launchFlags: [String] {
        switch self {
        case .withLayers: []
        case .firstLayersInRAM(let n): n > 0 ? ["--n-cpu-moe", String(n)] : []
        case .allInRAM: ["--cpu-moe"]
        }
    }
}

/// A GPU of this machine that the hardware table knows: its speed figures and the entry behind them.
public struct KnownGPU: Sendable, Equatable {
    /// The GPU's index on the machine (`PlanDevice.Kind.gpu(index:)`).
    public var index: Int
    public var device: ComputeDevice
    public var hardwareID: String
    public var name: String
    public var powerW: Double?
    public init(index: Int, device: ComputeDevice, hardwareID: String, name: String, powerW: Double?) {
        self.index = index
        self.device = device
        self.hardwareID = hardwareID
        self.name = name
        self.powerW = powerW
    }
}

/// Everything the speed estimate of any build on one machine depends on, gathered once per run.
/// No field has a default: a caller that leaves one out does not compile.
public struct SpeedContext: Sendable {
    /// The machine's GPUs the hardware table knows (others have no speed figures).
    public var gpus: [KnownGPU]
    /// The index of the machine's first GPU, known or not (single-GPU estimates run there).
    public var firstGPUIndex: Int?
    public var host: HostSpeed
    /// The efficiencies fitted on the catalog's measured rows; nil when it has none.
    public var calibration: ThroughputCalibration?
    /// This machine's corrections from `fit bench runtime`, per placement.
    public var corrections: [MachineCalibration]
    /// Measured throughput rows (model, quant, GPU): a measurement beats the estimate.
    public var measured: [ThroughputResult]

    public init(
        gpus: [KnownGPU], firstGPUIndex: Int?, host: HostSpeed, calibration: ThroughputCalibration?,
        corrections: [MachineCalibration], measured: [ThroughputResult]
    ) {
        self.gpus = gpus
        self.firstGPUIndex = firstGPUIndex
        self.host = host
        self.calibration = calibration
        self.corrections = corrections
        self.measured = measured
    }

    public func gpu(index: Int) -> KnownGPU? { gpus.first { $0.index == index } }
    /// The machine's first GPU, when the table knows it.
    public var firstGPU: KnownGPU? { firstGPUIndex.flatMap(gpu(index:)) }
}

/// One build a user can name, reduced to what the planner and the estimator need: the shape, the
/// weights' bytes, and what the build is called.
public struct BuildWork: Sendable {
    public var modelID: String
    /// The GGUF quantization when it is one (measured rows are matched on it).
    public var quant: QuantScheme?
    public var work: TokenWork
    /// Active parameters in matrix multiplies per token (prefill's FLOPs).
    public var activeParameters: Double

    public init(
        modelID: String, quant: QuantScheme?, architecture: ModelArchitecture, weights: WeightLayout, quantized: Bool,
        activeParameters: Int64
    ) {
        self.modelID = modelID
        self.quant = quant
        self.work = TokenWork(architecture: architecture, weights: weights, quantized: quantized)
        self.activeParameters = Double(activeParameters)
    }

    /// A catalog model's GGUF build (`tensors`: its tensor table, when the caller has it already).
    public init(model: CatalogModel, scheme: QuantScheme, tensors given: [TensorShape]? = nil) {
        let tensors = given ?? TensorLayout(model.architecture).tensors
        self.init(
            modelID: model.id, quant: scheme, architecture: model.architecture,
            weights: model.weights(scheme, tensors: tensors),
            quantized: !scheme.isFloat, activeParameters: model.architecture.activeParameters(tensors))
    }
}

/// How a speed was reached: which hardware ran which part.
public enum SpeedBasis: Sendable, Equatable {
    /// All on one GPU (or identical GPUs splitting the layers).
    case gpu(KnownGPU, backend: Backend)
    /// Layers split over different GPUs, each part at its own card's speed.
    case split([(gpu: KnownGPU, share: Double)])
    /// Part of the bytes read per token in RAM (layers not offloaded, or experts kept there).
    case offloaded(gpuShare: Double, experts: ExpertPlacement)
    /// Everything on the CPU.
    case cpu

    public static func == (a: SpeedBasis, b: SpeedBasis) -> Bool {
        switch (a, b) {
        case (.gpu(let x, let bx), .gpu(let y, let by)): x == y && bx == by
        case (.split(let x), .split(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.gpu == $1.gpu && $0.share == $1.share }
        case (.offloaded(let x, let ex), .offloaded(let y, let ey)): x == y && ex == ey
        case (.cpu, .cpu): true
        default: false
        }
    }
}

/// Why there is no speed figure.
public enum NoSpeed: Error, Sendable, Equatable {
    case doesNotFit
    /// GPU layers on a GPU the hardware table does not know (no bandwidth or FP16 figure).
    case unknownGPU
    /// The catalog has no measured rows to fit the efficiencies on.
    case noCalibration
}

/// Decode and prefill tokens/s of one build under one plan on one machine.
public struct SpeedEstimate: Sendable, Equatable {
    /// Decode tokens/s at each asked depth (tokens already in the context), in the order asked.
    public var decode: [Double?]
    public var decodeDepths: [Int]
    public var prefill: Double?
    public var prompt: Int
    public var promptDepth: Int
    public var basis: SpeedBasis
    /// A measured row of the same model, quant and GPU set the empty-context figures.
    public var measuredDecode: Bool
    public var measuredPrefill: Bool
    /// This machine's `fit bench runtime` correction was applied.
    public var corrected: Bool
    /// Efficiency rows the calibration was fitted on.
    public var calibrationRows: Int

    public var timeToFirstTokenSeconds: Double? { prefill.map { Double(prompt) / $0 } }
}

public enum SpeedEstimator {
    /// The one speed estimate: every command asks here. Placement comes from the plan (GPU
    /// layers, experts in RAM, the GPUs that hold layers), the machine's figures and corrections
    /// from `context`. A measured row of the same model, quant and single GPU replaces the
    /// estimate's empty-context figure, carried to depth by the estimate's own ratio.
    public static func estimate(
        _ build: BuildWork, plan: MemoryPlan, context: SpeedContext, decodeDepths: [Int], prompt: Int,
        promptDepth: Int
    ) -> Result<SpeedEstimate, NoSpeed> {
        guard plan.verdict != .none else { return .failure(.doesNotFit) }
        guard let calibration = context.calibration else { return .failure(.noCalibration) }
        let work = build.work
        let experts = plan.options.experts
        let share = work.gpuShareOfReads(
            gpuLayers: plan.gpuLayers, totalLayers: plan.totalLayers, cpuMoELayers: experts.layersInRAM)
        // The GPUs that hold layers, with what they hold (weights and KV: the bytes a token reads there).
        let holders: [(index: Int, bytes: Double)] = plan.devices.compactMap { d in
            guard case .gpu(let i) = d.kind, d.memory.weightsBytes > 0 else { return nil }
            return (i, Double(d.memory.weightsBytes + d.memory.kvCacheBytes))
        }
        let rows = calibration.byBackend.values.reduce(0) { $0 + $1.rows }
        var result = SpeedEstimate(
            decode: [], decodeDepths: decodeDepths, prefill: nil, prompt: prompt, promptDepth: promptDepth,
            basis: .cpu, measuredDecode: false, measuredPrefill: false, corrected: false, calibrationRows: rows)
        if plan.verdict == .gpu, share >= 0.9999 {
            let known = holders.compactMap { h in context.gpu(index: h.index).map { (gpu: $0, bytes: h.bytes) } }
            guard !known.isEmpty, known.count == holders.count else { return .failure(.unknownGPU) }
            if Set(known.map(\.gpu.hardwareID)).count > 1 {
                let total = known.reduce(0) { $0 + $1.bytes }
                let parts = known.map { (device: $0.gpu.device, share: $0.bytes / total) }
                result.basis = .split(known.map { (gpu: $0.gpu, share: $0.bytes / total) })
                result.decode = decodeDepths.map { d in
                    ThroughputEstimator.split(
                        work, activeParameters: build.activeParameters, parts: parts, decodeDepth: d,
                        prefillPrompt: prompt,
                        prefillDepth: promptDepth, calibration: calibration
                    ).decode
                }
                result.prefill =
                    ThroughputEstimator.split(
                        work, activeParameters: build.activeParameters, parts: parts, decodeDepth: 0,
                        prefillPrompt: prompt, prefillDepth: promptDepth, calibration: calibration
                    ).prefill
            } else {
                let gpu = known[0].gpu
                result.basis = .gpu(gpu, backend: gpu.device.backend)
                result.decode = decodeDepths.map {
                    ThroughputEstimator.decode(work, on: gpu.device, depth: $0, calibration: calibration)
                }
                result.prefill = ThroughputEstimator.prefill(
                    work, activeParameters: build.activeParameters, on: gpu.device, prompt: prompt,
                    depth: promptDepth, calibration: calibration)
                if known.count == 1 {
                    applyMeasured(build, gpu: gpu, calibration: calibration, context: context, to: &result)
                }
            }
        } else {
            let onGPU = plan.verdict == .ram ? 0 : share
            let kvShare = plan.verdict == .ram ? 0 : work.kvShareOnGPU(gpuLayers: plan.gpuLayers)
            // llama.cpp computes a split model's layers on the first GPU that holds layers.
            let gpu = (holders.first?.index).flatMap(context.gpu(index:)) ?? context.firstGPU
            if onGPU > 0 || kvShare > 0, gpu == nil { return .failure(.unknownGPU) }
            result.basis = plan.verdict == .ram ? .cpu : .offloaded(gpuShare: onGPU, experts: experts)
            result.decode = decodeDepths.map { d in
                ThroughputEstimator.decodeOffloaded(
                    work, gpuShare: onGPU, kvGPUShare: kvShare, gpu: gpu?.device, host: context.host, depth: d,
                    calibration: calibration)
            }
            let streamed =
                plan.verdict == .ram
                ? 0
                : Double(
                    work.bytesInRAM(
                        gpuLayers: plan.gpuLayers, totalLayers: plan.totalLayers,
                        cpuMoELayers: experts.layersInRAM))
            result.prefill = ThroughputEstimator.prefillOffloaded(
                work, activeParameters: build.activeParameters, gpuShare: onGPU,
                streamedBytes: streamed, batch: plan.options.ubatch, gpu: gpu?.device,
                host: context.host, prompt: prompt, depth: promptDepth, calibration: calibration)
        }
        // This machine's own correction, when `fit bench runtime` found the estimate off here.
        if let c = context.corrections.first(where: { $0.placement == plan.verdict.rawValue }) {
            result.decode = result.decode.map { $0.map { $0 * c.decodeFactor } }
            result.prefill = result.prefill.map { $0 * c.prefillFactor }
            result.corrected = true
        }
        return .success(result)
    }

    /// Replaces the estimate by a measured row of the same model, quant and GPU (one card):
    /// its empty-context figure, carried to each depth by the estimate's own ratio.
    static func applyMeasured(
        _ build: BuildWork, gpu: KnownGPU, calibration: ThroughputCalibration, context: SpeedContext,
        to result: inout SpeedEstimate
    ) {
        guard let quant = build.quant else { return }
        func best(_ test: String) -> Double? {
            context.measured.filter {
                $0.model == build.modelID && $0.hardware == gpu.hardwareID && ($0.gpuCount ?? 1) == 1
                    && $0.test.hasPrefix(test)
                    && !$0.test.contains("@") && QuantScheme.named($0.quant ?? "") == quant
            }.map(\.tokensPerSecond).max()
        }
        if let tg = best("tg"),
            let d0 = ThroughputEstimator.decode(build.work, on: gpu.device, depth: 0, calibration: calibration), d0 > 0
        {
            result.decode = result.decode.map { $0.map { tg * $0 / d0 } }
            result.measuredDecode = true
        }
        if let pp = best("pp"),
            let p0 = ThroughputEstimator.prefill(
                build.work, activeParameters: build.activeParameters, on: gpu.device, prompt: 512, depth: 0,
                calibration: calibration), p0 > 0
        {
            result.prefill = result.prefill.map { pp * $0 / p0 }
            result.measuredPrefill = true
        }
    }
}

/// Which of a model's builds to use here: one definition, used by the list, `--best`, the report's
/// fit map and `fit choose`.
public enum BuildChoice {
    /// Said wherever a list shows one build per model.
    public static let rule =
        "the best placement, then Q4_K_M or the next larger build (more bits cost speed without evidence of better work); none below 4 bits"

    /// Among builds of one model: the best verdict that fits; at that verdict the fewest bits at or
    /// above Q4_K_M, else the most bits. Builds below 4 bits are never the build to use (agent work
    /// degrades there and no evidence covers it). Nil when no such build fits.
    public static func preferred(_ builds: [FitRow]) -> FitRow? {
        let fitting = builds.filter { $0.fits && !$0.quant.isBelowFourBits }
        guard let verdict = fitting.map(\.verdict).min() else { return nil }
        let same = fitting.filter { $0.verdict == verdict }
        let q4km = QuantScheme.q4_K_M.nominalBits
        return same.filter { $0.quant.nominalBits >= q4km }.min { $0.quant.nominalBits < $1.quant.nominalBits }
            ?? same.max { $0.quant.nominalBits < $1.quant.nominalBits }
    }

    /// One row per model: its preferred build, in the list's order.
    public static func perModel(_ rows: [FitRow]) -> [FitRow] {
        var order: [String] = []
        var byModel: [String: [FitRow]] = [:]
        for r in rows {
            if byModel[r.model] == nil { order.append(r.model) }
            byModel[r.model, default: []].append(r)
        }
        return FitList.sorted(order.compactMap { byModel[$0].flatMap(preferred) })
    }
}

// MARK: - One build, any way a user names it

/// Something said about a plan, as a value; the edge renders it.
public enum PlanNote: Sendable, Equatable {
    case beyondTrainedContext(model: String, context: TokenCount, trained: TokenCount)
    /// A GGUF quant the catalog lists no file for: sized from llama.cpp's recipe.
    case notPublished(quant: String, model: String)
    /// Sliding window, MLA or hybrid layers follow the catalog entry's notes.
    case architectureFromNotes
    /// A safetensors format the catalog lists no build of: sized from the format.
    case notListedBuild(format: String, model: String)
    /// A safetensors build planned with llama.cpp's buffers; its own runtime has a preset.
    case otherRuntime(format: String, runtime: String)
    /// A config.json folder planned with llama.cpp's buffers.
    case llamaCppBuffers
    /// What a file's reader had to assume.
    case assumption(String)
}

/// One model build a user can name: a catalog GGUF quant, a catalog safetensors build (MLX,
/// AWQ/GPTQ, FP8, MXFP4), a GGUF file, or a config.json folder. Everything the plan, the speed and
/// the launch line need, with no field patched afterwards.
public struct ModelBuild: Sendable {
    /// Where the weights' bytes come from.
    public enum Origin: String, Sendable, Equatable {
        case published, recipe, gguf, safetensors, safetensorsHeaders, format
    }
    /// How this build is started.
    public enum Launch: Sendable, Equatable {
        case llamaServer(file: String)
        /// A GGUF repo on the Hub: `llama-server -hf REPO:QUANT` downloads and serves it.
        case llamaServerHub(repo: String, quant: String?)
        case vllm(repo: String)
        case mlx(repo: String)
        case none
    }
    public var model: CatalogModel
    /// The build's name: a quant ("Q4_K_M"), a GGUF file type, a format and its repo.
    public var label: String
    public var origin: Origin
    public var work: BuildWork
    public var launch: Launch
    public var notes: [PlanNote]
    public var parameters: Int64
    public var activeParameters: Int64

    public init(
        model: CatalogModel, label: String, origin: Origin, work: BuildWork, launch: Launch, notes: [PlanNote],
        tensors: [TensorShape]
    ) {
        self.model = model
        self.label = label
        self.origin = origin
        self.work = work
        self.launch = launch
        self.notes = notes
        parameters = ModelArchitecture.parameters(tensors)
        activeParameters = model.architecture.activeParameters(tensors)
    }

    public var architecture: ModelArchitecture { work.work.architecture }
    public var weights: WeightLayout { work.work.weights }
    /// llama.cpp runs it (MoE experts can stay in RAM, layers can be offloaded).
    public var runsOnLlamaCpp: Bool {
        switch launch {
        case .llamaServer, .llamaServerHub: true
        default: false
        }
    }

    /// A catalog model's GGUF quant.
    public static func catalog(_ m: CatalogModel, scheme: QuantScheme, tensors given: [TensorShape]? = nil)
        -> ModelBuild
    {
        let tensors = given ?? TensorLayout(m.architecture).tensors
        var notes: [PlanNote] = []
        let published = m.quants.first { $0.scheme == scheme }
        if published == nil { notes.append(.notPublished(quant: scheme.rawValue, model: m.id)) }
        if let n = m.notes, !n.isEmpty,
            m.architecture.slidingWindow != nil || m.architecture.linearAttention != nil || m.architecture.mla != nil
        {
            notes.append(.architectureFromNotes)
        }
        return ModelBuild(
            model: m, label: scheme.rawValue, origin: published?.bytes != nil ? .published : .recipe,
            work: BuildWork(model: m, scheme: scheme, tensors: tensors),
            launch: .llamaServer(file: "\(m.id)-\(scheme.rawValue).gguf"),
            notes: notes, tensors: tensors)
    }

    /// A catalog model's safetensors build (`repo` "-" for a format with no listed build). Nil for
    /// a format fit does not know. `runtimePreset`: the user chose a runtime's buffers.
    public static func catalog(_ m: CatalogModel, safetensors build: SafetensorsBuild, runtimePreset: Bool)
        -> ModelBuild?
    {
        guard let weights = m.weights(build) else { return nil }
        let tensors = TensorLayout(m.architecture).tensors
        let listed = build.repo != "-"
        var notes: [PlanNote] = []
        if !listed { notes.append(.notListedBuild(format: build.format, model: m.id)) }
        if !runtimePreset { notes.append(.otherRuntime(format: build.format, runtime: build.runtime)) }
        let launch: Launch = !listed ? .none : build.runtime == "mlx" ? .mlx(repo: build.repo) : .vllm(repo: build.repo)
        let work = BuildWork(
            modelID: m.id, quant: nil, architecture: m.architecture, weights: weights,
            quantized: !build.format.hasPrefix("BF16"),
            activeParameters: m.architecture.activeParameters(tensors))
        return ModelBuild(
            model: m, label: build.format + (listed ? " (\(build.repo))" : ""),
            origin: build.bytes != nil ? .published : .format,
            work: work, launch: launch, notes: notes, tensors: tensors)
    }

    /// A GGUF file, planned from its own header and tensor table.
    public static func file(_ g: GGUFModel, path: String, id: String) -> ModelBuild {
        let entry = CatalogModel(
            id: id, name: g.name ?? id, family: g.architectureName, released: "", license: "", aliases: [],
            sources: [path], notes: nil, architecture: g.architecture, quants: [])
        let tensors = TensorLayout(g.architecture).tensors
        let scheme = g.fileType.flatMap(QuantScheme.named)
        let work = BuildWork(
            modelID: id, quant: scheme, architecture: g.architecture, weights: g.weights,
            quantized: !(scheme?.isFloat ?? false),
            activeParameters: g.architecture.activeParameters(tensors))
        return ModelBuild(
            model: entry, label: g.fileType ?? "GGUF", origin: .gguf, work: work, launch: .llamaServer(file: path),
            notes: g.assumptions.map(PlanNote.assumption), tensors: tensors)
    }
}

// MARK: - The answers

/// Minutes one typical agent task of a tier takes at a speed.
public struct AgentTaskTime: Sendable, Equatable {
    public var tier: String
    public var inputTokens: Int
    public var outputTokens: Int
    public var minutes: Double
}

/// For a MoE build that does not fit on the GPUs: the routed experts of the first N layers in RAM.
public struct ExpertOffloadAnswer: Sendable, Equatable {
    public var layers: Int
    public var plan: MemoryPlan
    public var gpuBytes: ByteCount
    public var hostBytes: ByteCount
    public var launch: [String]
    public var speed: SpeedEstimate?
    /// Faster than the plan's own layer split (or that one has no estimate): the launch line uses it.
    public var faster: Bool
}

/// `fit plan`'s answer for one build.
public struct PlanAnswer: Sendable {
    public var build: ModelBuild
    public var plan: MemoryPlan
    public var largestContext: TokenCount?
    /// What 1024 more tokens of context add to the total.
    public var bytesPer1kContext: ByteCount
    public var expertOffload: ExpertOffloadAnswer?
    public var speed: Result<SpeedEstimate, NoSpeed>
    /// Minutes per typical task of each tier at this build's mid-task speed.
    public var agentTasks: [AgentTaskTime]
    /// The command to start it: the faster of the layer split and the expert offload.
    public var launch: [String]
    public var notes: [PlanNote]
}

public enum Advisor {
    /// The depth and prompt a "mid-task" speed is taken at: half the context in, a 2048-token turn.
    public static func midTaskDepth(_ context: TokenCount) -> Int { context.count / 2 }
    public static let midTaskPrompt = 2048

    /// Decode and prefill in the middle of an agent task at `context` (what `fit choose` ranks on).
    public static func midTaskSpeed(_ build: BuildWork, plan: MemoryPlan, speed: SpeedContext) -> SpeedEstimate? {
        let depth = midTaskDepth(plan.options.context)
        return try? SpeedEstimator.estimate(
            build, plan: plan, context: speed, decodeDepths: [depth], prompt: midTaskPrompt,
            promptDepth: depth
        ).get()
    }

    /// Minutes for one task of a tier: its unique input prefilled once (a prompt cache), its output decoded.
    public static func minutesPerTask(decode: Double?, prefill: Double?, budget: TaskTier.TokenBudget) -> Double? {
        guard let d = decode, d > 0, let p = prefill, p > 0 else { return nil }
        return (Double(budget.uniqueInputTokens) / p + Double(budget.outputTokens) / d) / 60
    }

    /// The llama-server command line of a plan, or the build's own runtime's.
    public static func launch(_ build: ModelBuild, plan: MemoryPlan, gpuCount: Int) -> [String] {
        switch build.launch {
        case .llamaServer(let file): LaunchFlags.llamaServer(modelFile: file, plan: plan, devices: gpuCount)
        case .llamaServerHub(let repo, let quant):
            LaunchFlags.llamaServer(
                model: ["-hf", repo + (quant.map { ":" + $0 } ?? "")], plan: plan, devices: gpuCount)
        case .vllm(let repo):
            [
                "vllm", "serve", repo, "--max-model-len", "\(plan.options.context.count)", "--gpu-memory-utilization",
                "0.90",
            ]
                + (gpuCount > 1 ? ["--tensor-parallel-size", "\(gpuCount)"] : [])
        case .mlx(let repo): ["mlx_lm.server", "--model", repo]
        case .none: []
        }
    }

    /// Everything `fit plan` says about one build at `options` on `target`.
    public static func plan(
        _ build: ModelBuild, options: PlanOptions, target: PlanTarget, speed: SpeedContext, prompt: Int, depth: Int,
        tiers: TierBook?, memo: ComputeBufferMemo?
    ) -> PlanAnswer {
        let planner = MemoryPlanner(architecture: build.architecture, weights: build.weights, memo: memo)
        let plan = planner.plan(options, on: target)
        let gpuCount = target.gpus.count
        var notes: [PlanNote] = []
        if options.context.count > build.architecture.contextLength {
            notes.append(
                .beyondTrainedContext(
                    model: build.model.id, context: options.context,
                    trained: TokenCount(build.architecture.contextLength)))
        }
        notes += build.notes
        let estimate = SpeedEstimator.estimate(
            build.work, plan: plan, context: speed, decodeDepths: [0, depth], prompt: prompt, promptDepth: 0)
        var offload: ExpertOffloadAnswer?
        if build.runsOnLlamaCpp, options.experts == .withLayers, let n = planner.expertOffload(options, on: target) {
            var o = options
            o.experts = .firstLayersInRAM(n)
            let p = planner.plan(o, on: target)
            let gpu = p.devices.filter { !$0.isHost }.reduce(Int64(0)) { $0 + $1.memory.totalBytes }
            let s = try? SpeedEstimator.estimate(
                build.work, plan: p, context: speed, decodeDepths: [0, depth], prompt: prompt, promptDepth: 0
            ).get()
            let own: Double? = (try? estimate.get())?.decode[1] ?? nil
            let offloaded: Double? = s?.decode[1] ?? nil
            // Without an estimate for the layer split, DECISIONS.md's rule: the expert offload is usually faster.
            let faster: Bool
            if let own, let offloaded { faster = offloaded > own } else { faster = own == nil }
            offload = ExpertOffloadAnswer(
                layers: n, plan: p, gpuBytes: ByteCount(gpu), hostBytes: ByteCount(p.memory.totalBytes - gpu),
                launch: launch(build, plan: p, gpuCount: gpuCount), speed: s, faster: faster)
        }
        var tasks: [AgentTaskTime] = []
        if let tiers, let mid = midTaskSpeed(build.work, plan: plan, speed: speed) {
            for tier in tiers.tiers.sorted(by: { $0.rank < $1.rank }) {
                guard let minutes = minutesPerTask(decode: mid.decode[0], prefill: mid.prefill, budget: tier.budget)
                else { continue }
                tasks.append(
                    AgentTaskTime(
                        tier: tier.id, inputTokens: tier.budget.uniqueInputTokens,
                        outputTokens: tier.budget.outputTokens,
                        minutes: minutes))
            }
        }
        let next = planner.plan(options.with(context: TokenCount(options.context.count + 1024)), on: target)
        return PlanAnswer(
            build: build, plan: plan,
            largestContext: planner.maxContext(options, on: target, atLeast: plan.verdict.searchFloor),
            bytesPer1kContext: ByteCount(next.memory.totalBytes - plan.memory.totalBytes), expertOffload: offload,
            speed: estimate, agentTasks: tasks,
            launch: offload.map { $0.faster } == true
                ? offload?.launch ?? [] : launch(build, plan: plan, gpuCount: gpuCount),
            notes: notes)
    }

    /// `fit choose`'s answer: each local model's build to use at the tier's context, with its
    /// mid-task speed, ranked with the cloud offers on the tier's evidence.
    public static func choose(
        tier: TaskTier, book: TierBook, evidence: Evidence, models: [CatalogModel], cloud: [CloudModel],
        target: PlanTarget, options: PlanOptions, speed: SpeedContext, choose: ChooseOptions,
        memo: ComputeBufferMemo?
    ) -> Choice {
        let rows = FitList.evaluate(
            models: models, target: target, options: options, contextFor: nil, speed: speed, largestContext: false,
            memo: memo)
        let byID = Dictionary(uniqueKeysWithValues: models.map { ($0.id, $0) })
        var locals: [LocalOption] = []
        var unfit: [UnfitOption] = []
        var unrated: [String] = []
        for (id, builds) in Dictionary(grouping: rows, by: \.model) {
            guard let m = byID[id] else { continue }
            let rated =
                SuccessEstimator.estimate(
                    ids: [id], tier: tier, harness: choose.harness, evidence: evidence, book: book) != nil
            if let best = BuildChoice.preferred(builds) {
                guard rated else {
                    unrated.append(id)
                    continue
                }
                let build = BuildWork(model: m, scheme: best.quant)
                let plan = MemoryPlanner(architecture: m.architecture, weights: build.work.weights, memo: memo).plan(
                    options, on: target)
                let mid = midTaskSpeed(build, plan: plan, speed: speed)
                let gpu =
                    plan.devices.first { !$0.isHost && $0.layerCount > 0 }.flatMap { d -> KnownGPU? in
                        if case .gpu(let i) = d.kind { return speed.gpu(index: i) }
                        return nil
                    } ?? speed.firstGPU
                var option = LocalOption(
                    model: id, name: m.name, quant: best.quant, verdict: best.verdict, memory: best.memory,
                    decodeTokensPerSecond: mid?.decode[0], prefillTokensPerSecond: mid?.prefill, powerW: gpu?.powerW)
                option.speedMeasured = mid?.measuredDecode ?? false
                locals.append(option)
            } else if rated,
                let smallest = builds.filter({ !$0.quant.isBelowFourBits }).min(by: {
                    $0.memory.totalBytes < $1.memory.totalBytes
                })
            {
                unfit.append(
                    UnfitOption(model: id, name: m.name, quant: smallest.quant, needsBytes: smallest.memory.totalBytes))
            }
        }
        locals.sort { $0.model < $1.model }
        unfit.sort { $0.model < $1.model }
        return Recommender.choose(
            tier: tier, book: book, evidence: evidence, locals: locals, unfit: unfit, unrated: unrated.sorted(),
            cloud: cloud, options: choose)
    }
}
