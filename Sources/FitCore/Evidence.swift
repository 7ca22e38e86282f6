/// Cloud models and measured evidence, as the catalog records them (Catalog/cloud, Catalog/results).

/// A model served by an API, priced per million tokens on a given date.
public struct CloudModel: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var provider: String
    public var apiModel: String
    /// The catalog id of the open-weight model this host serves, if any.
    public var openWeights: String?
    public var inputPerMTok: Double
    public var outputPerMTok: Double
    public var cachedInputPerMTok: Double?
    public var contextWindow: Int?
    public var maxOutput: Int?
    /// YYYY-MM or YYYY-MM-DD: prices change, every price says when it held.
    public var priceDate: String
    public var priceDateNote: String?
    public var source: String
    public var notes: String?

    public init(
        id: String, name: String, provider: String, apiModel: String, openWeights: String?, inputPerMTok: Double,
        outputPerMTok: Double, cachedInputPerMTok: Double?, contextWindow: Int?, maxOutput: Int?, priceDate: String,
        priceDateNote: String?, source: String, notes: String?
    ) {
        self.id = id
        self.name = name
        self.provider = provider
        self.apiModel = apiModel
        self.openWeights = openWeights
        self.inputPerMTok = inputPerMTok
        self.outputPerMTok = outputPerMTok
        self.cachedInputPerMTok = cachedInputPerMTok
        self.contextWindow = contextWindow
        self.maxOutput = maxOutput
        self.priceDate = priceDate
        self.priceDateNote = priceDateNote
        self.source = source
        self.notes = notes
    }
}

/// A measured tokens/s figure (llama-bench's pp512, tg128, ...).
public struct ThroughputResult: Codable, Sendable, Equatable {
    public var model: String?
    public var modelName: String
    public var parametersB: Double?
    public var quant: String?
    public var sizeGiB: Double?
    public var hardware: String?
    /// How many of that GPU the row ran on ("RTX 3090 24GB x6").
    public var gpuCount: Int?
    public var hardwareName: String
    public var backend: String
    public var test: String
    public var tokensPerSecond: Double
    public var source: String
    public var notes: String?
}

/// A coding-agent benchmark score (Aider polyglot, SWE-bench Verified, Terminal-Bench, ...).
public struct BenchmarkResult: Codable, Sendable, Equatable {
    public var model: String?
    public var modelName: String
    public var benchmark: String
    public var score: Double
    public var date: String?
    public var source: String
    public var notes: String?
    public init(
        model: String?, modelName: String, benchmark: String, score: Double, date: String?, source: String,
        notes: String?
    ) {
        self.model = model
        self.modelName = modelName
        self.benchmark = benchmark
        self.score = score
        self.date = date
        self.source = source
        self.notes = notes
    }
}

/// A result from the seed posts (refactoring eval, tiered tool-calling, tag-manager showdown, harness study).
public struct SeedResult: Codable, Sendable, Equatable {
    public var seed: String
    public var benchmark: String
    public var task: String
    public var model: String?
    public var modelName: String
    public var localOrCloud: String?
    public var quant: String?
    public var hardwareName: String?
    public var runs: Int?
    public var passes: Int?
    public var scorePercent: Double?
    public var tokens: Double?
    public var costUSD: Double?
    public var timeSeconds: Double?
    public var notes: String?
    /// The task tier these runs count for (`fit choose`); nil for rows that are not tier runs or
    /// that repeat another row's runs.
    public var tier: String?
    /// What drove the model: "none" for raw tool calls, else the harness ("Claude Code").
    public var harness: String?

    public init(
        seed: String, benchmark: String, task: String, model: String?, modelName: String, localOrCloud: String? = nil,
        quant: String? = nil, hardwareName: String? = nil, runs: Int?, passes: Int?, scorePercent: Double? = nil,
        tokens: Double? = nil, costUSD: Double? = nil, timeSeconds: Double? = nil, notes: String? = nil,
        tier: String? = nil, harness: String? = nil
    ) {
        self.seed = seed
        self.benchmark = benchmark
        self.task = task
        self.model = model
        self.modelName = modelName
        self.localOrCloud = localOrCloud
        self.quant = quant
        self.hardwareName = hardwareName
        self.runs = runs
        self.passes = passes
        self.scorePercent = scorePercent
        self.tokens = tokens
        self.costUSD = costUSD
        self.timeSeconds = timeSeconds
        self.notes = notes
        self.tier = tier
        self.harness = harness
    }
}

/// Everything measured about models: what `fit catalog evidence` shows.
public struct Evidence: Sendable, Equatable, Codable {
    public var throughput: [ThroughputResult] = []
    public var benchmarks: [BenchmarkResult] = []
    public var seeds: [SeedResult] = []
    /// The task tiers and the rules that turn evidence into success estimates (Catalog/tiers).
    public var tiers: TierBook?
    public init(
        throughput: [ThroughputResult] = [], benchmarks: [BenchmarkResult] = [], seeds: [SeedResult] = [],
        tiers: TierBook? = nil
    ) {
        self.throughput = throughput
        self.benchmarks = benchmarks
        self.seeds = seeds
        self.tiers = tiers
    }

    /// What is known about one model: its own id, and the open-weight model a cloud entry serves.
    public func about(_ ids: Set<String>) -> Evidence {
        Evidence(
            throughput: throughput.filter { $0.model.map(ids.contains) ?? false },
            benchmarks: benchmarks.filter { $0.model.map(ids.contains) ?? false },
            seeds: seeds.filter { $0.model.map(ids.contains) ?? false }, tiers: tiers)
    }
}
