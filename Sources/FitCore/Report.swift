#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The per-machine report (`fit report`): what the machine is, what runs on it at the contexts
/// that matter and how fast, what to use per task tier, and how to launch it. The JSON form is
/// versioned (`schema`) and described by Reports/schema/fit-report-1.schema.json.
public struct MachineReport: Codable, Sendable, Equatable {
    public static let currentSchema = "fit-report/1"
    public var schema: String = Self.currentSchema
    public var generatedAt: String
    public var fitVersion: String
    public var catalogVersion: String
    public var machine: Machine
    public var contexts: [Int]
    public var fitMap: [ModelEntry]
    /// Catalog models that fit at none of the contexts.
    public var doesNotFit: [String]
    public var tiers: [TierEntry]
    public var launch: [Launch]

    public init(
        generatedAt: String, fitVersion: String, catalogVersion: String, machine: Machine, contexts: [Int],
        fitMap: [ModelEntry],
        doesNotFit: [String], tiers: [TierEntry], launch: [Launch]
    ) {
        self.generatedAt = generatedAt
        self.fitVersion = fitVersion
        self.catalogVersion = catalogVersion
        self.machine = machine
        self.contexts = contexts
        self.fitMap = fitMap
        self.doesNotFit = doesNotFit
        self.tiers = tiers
        self.launch = launch
    }

    public struct Machine: Codable, Sendable, Equatable {
        /// Stable across reports of the same machine (CPU, cores, RAM, GPUs): what `fit fleet` replaces by.
        public var id: String
        public var hostname: String?
        public var cpu: String?
        public var cores: Int?
        public var threads: Int?
        public var vectorExtensions: [String]
        public var ramBytes: Int64?
        public var usableRAMBytes: Int64
        public var containerLimitBytes: Int64?
        public var gpus: [GPU]
        public var facts: [FactLine]
        public var warnings: [String]
        public var measured: HardwareMeasurement?
        public init(
            id: String, hostname: String?, cpu: String?, cores: Int?, threads: Int?, vectorExtensions: [String],
            ramBytes: Int64?,
            usableRAMBytes: Int64, containerLimitBytes: Int64?, gpus: [GPU], facts: [FactLine], warnings: [String],
            measured: HardwareMeasurement?
        ) {
            self.id = id
            self.hostname = hostname
            self.cpu = cpu
            self.cores = cores
            self.threads = threads
            self.vectorExtensions = vectorExtensions
            self.ramBytes = ramBytes
            self.usableRAMBytes = usableRAMBytes
            self.containerLimitBytes = containerLimitBytes
            self.gpus = gpus
            self.facts = facts
            self.warnings = warnings
            self.measured = measured
        }
    }
    public struct GPU: Codable, Sendable, Equatable {
        public var name: String
        public var vendor: String
        public var memoryBytes: Int64?
        public var usableBytes: Int64
        public var bandwidthGBs: Double?
        public var sharesHostMemory: Bool
        public var driver: String?
        public init(
            name: String, vendor: String, memoryBytes: Int64?, usableBytes: Int64, bandwidthGBs: Double?,
            sharesHostMemory: Bool, driver: String?
        ) {
            self.name = name
            self.vendor = vendor
            self.memoryBytes = memoryBytes
            self.usableBytes = usableBytes
            self.bandwidthGBs = bandwidthGBs
            self.sharesHostMemory = sharesHostMemory
            self.driver = driver
        }
    }
    /// A probed fact with where it came from.
    public struct FactLine: Codable, Sendable, Equatable {
        public var name: String, value: String, source: String, status: String
        public init(name: String, value: String, source: String, status: String) {
            self.name = name
            self.value = value
            self.source = source
            self.status = status
        }
    }

    public struct ModelEntry: Codable, Sendable, Equatable {
        public var model: String
        public var name: String
        public var family: String
        public var parameters: Int64
        public var activeParameters: Int64
        public var contextWindow: Int
        /// Largest context at which some build keeps its verdict, and that build.
        public var maxContext: Int?
        public var maxContextQuant: String?
        public var cells: [Cell]
        public init(
            model: String, name: String, family: String, parameters: Int64, activeParameters: Int64, contextWindow: Int,
            maxContext: Int?, maxContextQuant: String?, cells: [Cell]
        ) {
            self.model = model
            self.name = name
            self.family = family
            self.parameters = parameters
            self.activeParameters = activeParameters
            self.contextWindow = contextWindow
            self.maxContext = maxContext
            self.maxContextQuant = maxContextQuant
            self.cells = cells
        }
    }
    /// The best build that fits at one context (nil quant: none fits).
    public struct Cell: Codable, Sendable, Equatable {
        public var context: Int
        public var quant: String?
        public var verdict: String
        public var memoryBytes: Int64?
        public var decodeTokensPerSecond: Double?
        public var prefillTokensPerSecond: Double?
        public init(
            context: Int, quant: String?, verdict: String, memoryBytes: Int64?, decodeTokensPerSecond: Double?,
            prefillTokensPerSecond: Double?
        ) {
            self.context = context
            self.quant = quant
            self.verdict = verdict
            self.memoryBytes = memoryBytes
            self.decodeTokensPerSecond = decodeTokensPerSecond
            self.prefillTokensPerSecond = prefillTokensPerSecond
        }
    }

    public struct TierEntry: Codable, Sendable, Equatable {
        public var tier: String
        public var name: String
        public var contextTokens: Int
        public var localAdequate: Bool
        public var firstChoice: Pick?
        public var bestLocal: Pick?
        public var alternatives: [Pick]
        public var whatWouldChange: [String]
        public init(
            tier: String, name: String, contextTokens: Int, localAdequate: Bool, firstChoice: Pick?, bestLocal: Pick?,
            alternatives: [Pick], whatWouldChange: [String]
        ) {
            self.tier = tier
            self.name = name
            self.contextTokens = contextTokens
            self.localAdequate = localAdequate
            self.firstChoice = firstChoice
            self.bestLocal = bestLocal
            self.alternatives = alternatives
            self.whatWouldChange = whatWouldChange
        }
    }
    public struct Pick: Codable, Sendable, Equatable {
        public var model: String
        public var kind: String
        public var quant: String?
        public var provider: String?
        public var adequate: Bool
        public var expectedSuccess: Double
        public var successLow: Double
        public var successHigh: Double
        public var minutesPerTask: Double?
        public var costPerTaskUSD: Double?
        public var costPerSuccessUSD: Double?
        /// "seed 002 Tier 1 basic: Config read: 3/3 [002_....txt]"
        public var evidence: [String]
        public init(
            model: String, kind: String, quant: String?, provider: String?, adequate: Bool, expectedSuccess: Double,
            successLow: Double,
            successHigh: Double, minutesPerTask: Double?, costPerTaskUSD: Double?, costPerSuccessUSD: Double?,
            evidence: [String]
        ) {
            self.model = model
            self.kind = kind
            self.quant = quant
            self.provider = provider
            self.adequate = adequate
            self.expectedSuccess = expectedSuccess
            self.successLow = successLow
            self.successHigh = successHigh
            self.minutesPerTask = minutesPerTask
            self.costPerTaskUSD = costPerTaskUSD
            self.costPerSuccessUSD = costPerSuccessUSD
            self.evidence = evidence
        }
    }

    public struct Launch: Codable, Sendable, Equatable {
        public var model: String
        public var quant: String
        public var context: Int
        public var verdict: String
        public var memory: Memory
        public var devices: [Device]
        public var llamaServer: String
        public var ollamaModelfile: String
        public var vllm: String?
        public var mlx: String?
        /// Estimated decode tokens/s at growing depths of context.
        public var speedByDepth: [SpeedPoint]
        public init(
            model: String, quant: String, context: Int, verdict: String, memory: Memory, devices: [Device],
            llamaServer: String,
            ollamaModelfile: String, vllm: String?, mlx: String?, speedByDepth: [SpeedPoint]
        ) {
            self.model = model
            self.quant = quant
            self.context = context
            self.verdict = verdict
            self.memory = memory
            self.devices = devices
            self.llamaServer = llamaServer
            self.ollamaModelfile = ollamaModelfile
            self.vllm = vllm
            self.mlx = mlx
            self.speedByDepth = speedByDepth
        }

        /// What the build is measured against: its GPUs when it fits on them, else every device it uses.
        public var capacityBytes: Int64 {
            let gpus = devices.filter { !$0.host && $0.usedBytes > 0 }
            let used = verdict == "fits-on-gpu" && !gpus.isEmpty ? gpus : devices.filter { $0.usedBytes > 0 }
            return used.map(\.capacityBytes).reduce(0, +)
        }
    }
    public struct Memory: Codable, Sendable, Equatable {
        public var weightsBytes: Int64, kvCacheBytes: Int64, computeBytes: Int64, overheadBytes: Int64,
            totalBytes: Int64
        public init(_ m: MemoryBreakdown) {
            weightsBytes = m.weightsBytes
            kvCacheBytes = m.kvCacheBytes + m.recurrentStateBytes
            computeBytes = m.computeBytes + m.outputBytes
            overheadBytes = m.overheadBytes
            totalBytes = m.totalBytes
        }
    }
    public struct Device: Codable, Sendable, Equatable {
        public var name: String, capacityBytes: Int64, usedBytes: Int64
        /// Host RAM (false: a GPU, including a unified-memory one).
        public var host: Bool
        public init(name: String, capacityBytes: Int64, usedBytes: Int64, host: Bool) {
            self.name = name
            self.capacityBytes = capacityBytes
            self.usedBytes = usedBytes
            self.host = host
        }
    }
    public struct SpeedPoint: Codable, Sendable, Equatable {
        public var depth: Int, decodeTokensPerSecond: Double
        public init(depth: Int, decodeTokensPerSecond: Double) {
            self.depth = depth
            self.decodeTokensPerSecond = decodeTokensPerSecond
        }
    }
}

/// Launch lines for other runtimes than llama.cpp.
public enum LaunchText {
    /// An Ollama Modelfile: the context, and how many layers go to the GPU.
    public static func ollamaModelfile(from source: String, context: Int, gpuLayers: Int) -> String {
        "FROM \(source)\nPARAMETER num_ctx \(context)\nPARAMETER num_gpu \(gpuLayers)\n"
    }

    /// vLLM serves the whole model on GPUs (no CPU offload): a command only when it fits there.
    public static func vllm(repo: String, context: Int, gpus: Int) -> String {
        "vllm serve \(repo) --max-model-len \(context) --gpu-memory-utilization 0.90"
            + (gpus > 1 ? " --tensor-parallel-size \(gpus)" : "")
    }

    public static func mlx(repo: String) -> String { "mlx_lm.server --model \(repo)" }

    /// Rounds to `digits` decimals, so reports compare equal across runs and platforms.
    public static func round(_ x: Double?, _ digits: Int = 1) -> Double? {
        x.map {
            let f = pow(10, Double(digits))
            return ($0 * f).rounded() / f
        }
    }
}

// MARK: - Assembly

extension MachineReport {
    /// What a report is asked for, beside the machine and the catalog.
    public struct Request: Sendable {
        public var contexts: [Int]
        public var date: String
        /// Nil when redacted.
        public var hostname: String?
        public var redact: Bool
        public var machineID: String
        public var fitVersion: String
        public var catalogVersion: String
        public var hostMeasurement: HardwareMeasurement?
        public init(
            contexts: [Int], date: String, hostname: String?, redact: Bool, machineID: String, fitVersion: String,
            catalogVersion: String, hostMeasurement: HardwareMeasurement?
        ) {
            self.contexts = contexts
            self.date = date
            self.hostname = hostname
            self.redact = redact
            self.machineID = machineID
            self.fitVersion = fitVersion
            self.catalogVersion = catalogVersion
            self.hostMeasurement = hostMeasurement
        }
    }

    /// Everything the report shows, from the same answers the commands give: the fit map (the
    /// list's build to use per context, its speed at half the context), `fit choose`'s pick per tier,
    /// and the launch plan of each pick.
    public static func assemble(
        _ request: Request, machine: MachineDescription, models: [CatalogModel], cloud: [CloudModel],
        evidence: Evidence,
        target: PlanTarget, speed: SpeedContext, memo: ComputeBufferMemo?
    ) -> MachineReport {
        let contexts = request.contexts
        let redact = request.redact
        let measured = request.hostMeasurement
        let byID = Dictionary(uniqueKeysWithValues: models.map { ($0.id, $0) })

        // The fit map: per model and context, the build to use (BuildChoice), its speed at half the context.
        var cellsByModel: [String: [MachineReport.Cell]] = [:]
        var maxCtx: [String: (Int, String)] = [:]
        for c in contexts {
            let options = PlanOptions(context: TokenCount(c))
            let rows = FitList.evaluate(
                models: models, target: target, options: options, contextFor: nil, speed: speed,
                largestContext: true,
                memo: memo)
            let best = Dictionary(uniqueKeysWithValues: BuildChoice.perModel(rows).map { ($0.model, $0) })
            for m in models {
                guard let r = best[m.id] else {
                    cellsByModel[m.id, default: []].append(
                        .init(
                            context: c, quant: nil, verdict: Verdict.none.rawValue, memoryBytes: nil,
                            decodeTokensPerSecond: nil, prefillTokensPerSecond: nil))
                    continue
                }
                let build = BuildWork(model: m, scheme: r.quant)
                let plan = MemoryPlanner(architecture: m.architecture, weights: build.work.weights, memo: memo)
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
        for m in models {
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
        for tier in (evidence.tiers?.tiers ?? []).sorted(by: { $0.rank < $1.rank }) {
            guard let book = evidence.tiers else { break }
            // fit choose's answer with its defaults: the tier's own context, no harness, local and cloud.
            let context = tier.context.tokens(harness: false)
            let choice = Advisor.choose(
                tier: tier, book: book, evidence: evidence, models: models, cloud: cloud, target: target,
                options: PlanOptions(context: context), speed: speed, choose: ChooseOptions(context: context),
                memo: memo)
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
            let plan = MemoryPlanner(architecture: m.architecture, weights: build.work.weights, memo: memo)
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
        let m = MachineReport.Machine(
            id: request.machineID, hostname: request.hostname, cpu: machine.cpu.model.value,
            cores: machine.cpu.physicalCores.value,
            threads: machine.cpu.logicalCores.value, vectorExtensions: machine.cpu.vectorExtensions.value ?? [],
            ramBytes: machine.memory.total.value?.bytes, usableRAMBytes: target.host.capacity.bytes,
            containerLimitBytes: machine.memory.containerLimit.value?.bytes, gpus: gpus, facts: facts,
            warnings: machine.warnings, measured: measured)
        return MachineReport(
            generatedAt: request.date, fitVersion: request.fitVersion, catalogVersion: request.catalogVersion,
            machine: m,
            contexts: contexts, fitMap: fitMap, doesNotFit: doesNotFit, tiers: tiers, launch: launch)
    }
}
