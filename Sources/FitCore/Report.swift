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
