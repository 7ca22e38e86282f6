/// A small tool-calling coding task for `fit bench agent` (Catalog/agent-tasks): a simulated
/// project held in memory, what its commands print, and the checks that decide a pass.
public struct AgentTask: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var tier: String
    public var title: String
    public var maxTurns: Int
    public var prompt: String
    public var files: [String: String]
    public var commands: [CommandRule]
    public var checks: [Check]?
    public var answer: Answer?
    /// A known solution (path -> content): the tests prove every task can pass.
    public var reference: [String: String]?

    public struct CommandRule: Codable, Sendable, Equatable {
        /// A substring of the command ("" matches every command).
        public var match: String
        public var whenChecksPass: Output
        public var otherwise: Output
    }
    public struct Output: Codable, Sendable, Equatable {
        public var exitCode: Int
        public var output: String
    }
    public struct Check: Codable, Sendable, Equatable {
        public var file: String
        public var contains: String?
        public var notContains: String?
        /// A regular expression.
        public var matches: String?
    }
    public struct Answer: Codable, Sendable, Equatable {
        /// The final answer must contain one of these (case-insensitive).
        public var anyOf: [String]
    }
}

/// The project a task's agent works on: files in memory, tools that read and change them.
public struct SimulatedProject: Sendable, Equatable {
    public var task: AgentTask
    public var files: [String: String]

    public init(_ task: AgentTask) {
        self.task = task
        self.files = task.files
    }

    /// The four tools the model is offered, as OpenAI function schemas.
    public static let toolNames = ["read_file", "write_file", "run_command", "search_code"]

    static func normalise(_ path: String) -> String {
        var p = path.trimmed
        for prefix in ["/workspace/", "./", "/"] where p.hasPrefix(prefix) { p.removeFirst(prefix.count) }
        return p
    }

    /// Runs one tool call; returns what the tool prints back to the model.
    public mutating func call(_ name: String, arguments: [String: String]) -> String {
        switch name {
        case "read_file":
            guard let path = arguments["path"] else { return "error: read_file needs a `path` argument" }
            return files[Self.normalise(path)]
                ?? "error: \(path): no such file. Files: \(files.keys.sorted().joined(separator: ", "))"
        case "write_file":
            guard let path = arguments["path"], let content = arguments["content"] else {
                return "error: write_file needs `path` and `content` arguments"
            }
            files[Self.normalise(path)] = content
            return "wrote \(content.utf8.count) bytes to \(Self.normalise(path))"
        case "run_command":
            guard let command = arguments["command"] else { return "error: run_command needs a `command` argument" }
            return run(command)
        case "search_code":
            guard let pattern = arguments["pattern"] ?? arguments["query"] else {
                return "error: search_code needs a `pattern` argument"
            }
            return search(pattern)
        default:
            return "error: no tool named \(name); the tools are \(Self.toolNames.joined(separator: ", "))"
        }
    }

    /// A command's output: shell reads of project files are served from the files; everything
    /// else by the task's first matching rule, which depends on whether the checks pass now.
    func run(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        if let first = words.first, ["cat", "head", "less", "more"].contains(first), words.count >= 2 {
            let path = Self.normalise(words.last ?? "")
            if let content = files[path] { return content }
        }
        if words.first == "ls" { return files.keys.sorted().joined(separator: "\n") }
        guard let rule = task.commands.first(where: { $0.match.isEmpty || command.contains($0.match) }) else {
            return "exit code 0"
        }
        let out = AgentScoring.checksPass(task, files: files) ? rule.whenChecksPass : rule.otherwise
        return out.output + (out.output.hasSuffix("\n") || out.output.isEmpty ? "" : "\n") + "exit code \(out.exitCode)"
    }

    func search(_ pattern: String) -> String {
        let regex = try? Regex(pattern)
        var hits: [String] = []
        for path in files.keys.sorted() {
            for (i, line) in (files[path] ?? "").split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line)
                let hit = regex.map { (try? $0.firstMatch(in: s)) != nil } ?? s.contains(pattern)
                if hit { hits.append("\(path):\(i + 1): \(s)") }
            }
        }
        return hits.isEmpty ? "no matches for \(pattern)" : hits.prefix(50).joined(separator: "\n")
    }
}

public enum AgentScoring {
    /// Every check holds on `files` (a missing file fails `contains` and `matches`, passes `notContains`).
    public static func checksPass(_ task: AgentTask, files: [String: String]) -> Bool {
        guard let checks = task.checks, !checks.isEmpty else { return false }
        return checks.allSatisfy { holds($0, files: files) }
    }

    public static func holds(_ c: AgentTask.Check, files: [String: String]) -> Bool {
        let text = files[c.file]
        if let s = c.contains, !(text?.contains(s) ?? false) { return false }
        if let s = c.notContains, text?.contains(s) ?? false { return false }
        if let p = c.matches {
            guard let text, let re = try? Regex(p), (try? re.firstMatch(in: text)) != nil else { return false }
        }
        return true
    }

    /// A task passes when its checks hold on the final files, or, for a question, when the final
    /// answer contains one of the accepted answers.
    public static func passed(_ task: AgentTask, files: [String: String], finalAnswer: String) -> Bool {
        if let a = task.answer {
            let answer = finalAnswer.lowercased()
            return a.anyOf.contains { answer.contains($0.lowercased()) }
        }
        return checksPass(task, files: files)
    }
}

/// One run of one task: what `fit bench agent` records.
public struct AgentRun: Codable, Sendable, Equatable {
    public var task: String
    public var tier: String
    public var run: Int
    public var passed: Bool
    public var turns: Int
    public var validToolCalls: Int
    public var invalidToolCalls: Int
    public var tokensIn: Int
    public var tokensOut: Int
    public var wallSeconds: Double
    /// "answered" (the model stopped), "turn limit", or what went wrong ("endpoint: ...").
    public var stop: String

    public init(
        task: String, tier: String, run: Int, passed: Bool, turns: Int, validToolCalls: Int, invalidToolCalls: Int,
        tokensIn: Int, tokensOut: Int, wallSeconds: Double, stop: String
    ) {
        self.task = task
        self.tier = tier
        self.run = run
        self.passed = passed
        self.turns = turns
        self.validToolCalls = validToolCalls
        self.invalidToolCalls = invalidToolCalls
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.wallSeconds = wallSeconds
        self.stop = stop
    }

    /// This machine's runs as tier evidence for `fit choose` (raw tool calls: no harness).
    public static func evidence(_ runs: [AgentRun], model: String, modelName: String, endpoint: String) -> [SeedResult]
    {
        Dictionary(grouping: runs, by: \.tier).keys.sorted().compactMap { tier in
            let r = runs.filter { $0.tier == tier && !$0.stop.hasPrefix("endpoint") }
            guard !r.isEmpty else { return nil }
            return SeedResult(
                seed: "fit bench agent (this machine)", benchmark: "fit bench agent",
                task: "\(tier) tier (\(Set(r.map(\.task)).count) tasks)",
                model: model, modelName: modelName, runs: r.count, passes: r.filter(\.passed).count,
                notes: "served at \(endpoint)", tier: tier, harness: "none")
        }
    }
}
