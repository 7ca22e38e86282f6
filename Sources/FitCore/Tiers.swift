/// A class of coding-agent work (Catalog/tiers/tiers.yaml): what it is, the context an agent needs
/// for it, what a task of it spends, and how sure we must be before calling a model adequate.
public struct TaskTier: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var rank: Int
    public var tasks: [String]
    public var context: ContextNeed
    public var budget: TokenBudget
    /// Minutes per task above which a local model is too slow to count as adequate.
    public var maxMinutes: Double
    /// The lower end of the 80% interval of the success rate must reach this.
    public var adequateSuccess: Double
    /// Benchmark prior for this tier: p = offset + slope x SWE-bench-Verified-equivalent.
    public var prior: Line
    public var source: String

    public init(
        id: String, name: String, rank: Int, tasks: [String], context: ContextNeed, budget: TokenBudget,
        maxMinutes: Double,
        adequateSuccess: Double, prior: Line, source: String
    ) {
        self.id = id
        self.name = name
        self.rank = rank
        self.tasks = tasks
        self.context = context
        self.budget = budget
        self.maxMinutes = maxMinutes
        self.adequateSuccess = adequateSuccess
        self.prior = prior
        self.source = source
    }

    public struct ContextNeed: Codable, Sendable, Equatable {
        public var systemPrompt: Int
        public var toolSchemas: Int
        public var filesRead: Int
        public var history: Int
        public var outputReserve: Int
        public var harnessOverhead: Int

        public init(
            systemPrompt: Int, toolSchemas: Int, filesRead: Int, history: Int, outputReserve: Int, harnessOverhead: Int
        ) {
            self.systemPrompt = systemPrompt
            self.toolSchemas = toolSchemas
            self.filesRead = filesRead
            self.history = history
            self.outputReserve = outputReserve
            self.harnessOverhead = harnessOverhead
        }

        public func parts(harness: Bool) -> [(String, Int)] {
            [
                ("system prompt", systemPrompt), ("tool schemas", toolSchemas), ("files read", filesRead),
                ("turn history", history),
                ("output", outputReserve),
            ] + (harness ? [("harness prompt and tools", harnessOverhead)] : [])
        }

        /// The sum, rounded up to a multiple of 16k (the sizes people set as --ctx / num_ctx).
        public func tokens(harness: Bool) -> TokenCount {
            let sum = parts(harness: harness).reduce(0) { $0 + $1.1 }
            let step = 16384
            return TokenCount((sum + step - 1) / step * step)
        }
    }

    public struct TokenBudget: Codable, Sendable, Equatable {
        public var turns: Int
        /// Tokens sent over the whole task (each turn resends the context): what an API bills.
        public var promptTokens: Int
        /// Tokens a local server with a prompt cache prefills: the context the task ends with.
        public var uniqueInputTokens: Int
        public var outputTokens: Int
        public init(turns: Int, promptTokens: Int, uniqueInputTokens: Int, outputTokens: Int) {
            self.turns = turns
            self.promptTokens = promptTokens
            self.uniqueInputTokens = uniqueInputTokens
            self.outputTokens = outputTokens
        }
    }

    public struct Line: Codable, Sendable, Equatable {
        public var offset: Double
        public var slope: Double
        public init(offset: Double, slope: Double) {
            self.offset = offset
            self.slope = slope
        }
        public func callAsFunction(_ x: Double) -> Double { offset + slope * x }
    }
}

/// How a published benchmark's score maps onto the SWE-bench-Verified scale (0-1).
public struct BenchmarkMapping: Codable, Sendable, Equatable {
    /// Matches every benchmark whose name starts with this.
    public var benchmark: String
    public var offset: Double
    public var slope: Double
    public var why: String

    public init(benchmark: String, offset: Double, slope: Double, why: String) {
        self.benchmark = benchmark
        self.offset = offset
        self.slope = slope
        self.why = why
    }

    public func matches(_ name: String) -> Bool { name.hasPrefix(benchmark) }
    /// `score` in percent.
    public func sweEquivalent(_ score: Double) -> Double { offset + slope * score / 100 }
}

/// The tiers file: tiers plus the rules that turn evidence into success estimates.
public struct TierBook: Codable, Sendable, Equatable {
    public var tiers: [TaskTier]
    /// How many observed runs a benchmark prior is worth.
    public var priorRuns: Double
    /// Weight of runs measured under the other condition (with a harness when ranking without one, and vice versa).
    public var otherConditionWeight: Double
    public var benchmarkMappings: [BenchmarkMapping]

    public init(
        tiers: [TaskTier], priorRuns: Double, otherConditionWeight: Double, benchmarkMappings: [BenchmarkMapping]
    ) {
        self.tiers = tiers
        self.priorRuns = priorRuns
        self.otherConditionWeight = otherConditionWeight
        self.benchmarkMappings = benchmarkMappings
    }

    public func tier(_ id: String) -> TaskTier? { tiers.first { $0.id == id } }
}
