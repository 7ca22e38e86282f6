import FitCore
import Foundation
import Subprocess

/// The result of running a tool: what it printed (stdout and stderr, both read to the end while it
/// runs) and how it ended.
public struct CommandResult: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
        case notFound
        case failedToStart(String)
    }
    public var ending: Ending
    public var stdout: String
    public var stderr: String

    public init(ending: Ending, stdout: String = "", stderr: String = "") {
        self.ending = ending
        self.stdout = stdout
        self.stderr = stderr
    }
}

extension CommandResult {
    /// Why a run of `tool` gave no answer, as a status and a sentence (nil when it exited 0).
    /// nvidia-smi has its own, longer list (`NvidiaSmi.diagnose`).
    public func failure(_ tool: String) -> (status: FactStatus, detail: String)? {
        switch ending {
        case .exited(0): return nil
        case .exited(let c):
            let first = (stderr + "\n" + stdout).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            let status: FactStatus = first.lowercased().contains("permission denied") ? .noPermission : .error
            return (status, "\(tool) exited \(c)" + (first.isEmpty ? "" : ": " + first))
        case .timedOut: return (.timedOut, "\(tool) timed out")
        case .notFound: return (.toolMissing, "\(tool) not found")
        case .signaled(let s): return (.error, "\(tool) killed by signal \(s)")
        case .failedToStart(let why): return (.error, "\(tool) could not start: \(why)")
        }
    }
}

/// How probes run tools: the real one spawns processes, a recorded one replays captured output.
public protocol CommandRunner: Sendable {
    func run(_ tool: String, _ arguments: [String], timeout: Duration) async -> CommandResult
}

/// Runs tools with swift-subprocess, in their own session so a timeout kills the whole process
/// group (nvidia-smi can hang for seconds or forever when the driver is wedged).
public struct SubprocessRunner: CommandRunner {
    public let searchPath: [String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        searchPath = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
    }

    func locate(_ tool: String) -> String? {
        if tool.contains("/") { return access(tool, X_OK) == 0 ? tool : nil }
        for dir in searchPath where !dir.isEmpty {
            let candidate = dir + "/" + tool
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private enum Race: Sendable {
        case finished(CommandResult)
        case timedOut
    }

    /// The child's pid once it exists, when it started, and whether its deadline has passed.
    /// The deadline counts from the moment the tool started, not from the call: on a busy machine
    /// the task that spawns it can wait for a thread of the cooperative pool, and that wait is
    /// fit's, not the tool's (a 2-core machine running parallel work once counted `echo` as hung).
    private final class Child: @unchecked Sendable {
        private let lock = NSLock()
        private var pid: pid_t?
        private var began: ContinuousClock.Instant?
        private var expired = false
        private var timer: DispatchSourceTimer?
        let timeout: Duration
        init(timeout: Duration) { self.timeout = timeout }

        /// Records the child and arms its deadline on a GCD timer, not on Swift's cooperative pool:
        /// busy tasks elsewhere in the process cannot delay the kill.
        func started(_ p: pid_t) {
            let t = DispatchSource.makeTimerSource(queue: .global())
            t.schedule(deadline: .now() + Self.dispatch(timeout))
            t.setEventHandler { [weak self] in self?.expire() }
            lock.lock()
            pid = p
            began = .now
            timer = t
            lock.unlock()
            t.resume()
        }
        /// How long is left of the deadline; nil while the tool has not started.
        var remaining: Duration? {
            lock.lock()
            defer { lock.unlock() }
            return began.map { timeout - (ContinuousClock.now - $0) }
        }
        /// Kills the tool at its deadline. It counts as timed out only if it was still running: a
        /// tool that finished whose output is still being read did not time out.
        func expire() {
            lock.lock()
            defer { lock.unlock() }
            guard let p = pid, !expired else { return }
            if kill(-p, SIGKILL) == 0 { expired = true }
        }
        /// The tool could not be started in time at all (a spawn that never returned).
        func abandon() {
            lock.lock()
            defer { lock.unlock() }
            if let p = pid {
                if kill(-p, SIGKILL) == 0 { expired = true }
            } else {
                expired = true
            }
        }
        func finish() {
            lock.lock()
            let t = timer
            timer = nil
            lock.unlock()
            t?.cancel()
        }
        var didExpire: Bool {
            lock.lock()
            defer { lock.unlock() }
            return expired
        }
        static func dispatch(_ d: Duration) -> DispatchTimeInterval {
            let ns = Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
            return .nanoseconds(Int(min(max(ns, 0), 1e17)))
        }
    }

    public func run(_ tool: String, _ arguments: [String], timeout: Duration) async -> CommandResult {
        guard locate(tool) != nil else { return CommandResult(ending: .notFound) }
        var options = PlatformOptions()
        options.createSession = true  // its own process group, so one kill reaches its children
        options.teardownSequence = [
            .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(200))
        ]
        let opts = options
        let path = searchPath.joined(separator: ":")  // the child finds the tool where we did
        let child = Child(timeout: timeout)
        defer { child.finish() }
        do {
            return try await withThrowingTaskGroup(of: Race.self) { group in
                group.addTask {
                    let r = try await Subprocess.run(
                        tool.contains("/") ? .path(.init(tool)) : .name(tool), arguments: Arguments(arguments),
                        environment: .inherit.updating(["PATH": path]),
                        platformOptions: opts, input: .none, output: .sequence, error: .sequence
                    ) { execution in
                        child.started(execution.processIdentifier.value)
                        // stdout and stderr are read together, to the end, so neither pipe can fill and block the tool.
                        async let out = Self.collect(execution.standardOutput)
                        async let err = Self.collect(execution.standardError)
                        return try await (out, err)
                    }
                    let ending: CommandResult.Ending
                    switch r.terminationStatus {
                    case .exited(let c): ending = .exited(c)
                    case .signaled(let s): ending = .signaled(s)
                    }
                    return .finished(
                        CommandResult(ending: ending, stdout: r.closureResult.0, stderr: r.closureResult.1))
                }
                group.addTask {
                    // The backstop, for a tool whose pipes stay open after the kill (a grandchild
                    // that left its process group): the deadline from the tool's start, then a
                    // second's grace. A tool not yet started after ten deadlines is given up on.
                    try await Task.sleep(for: timeout)
                    var waited = 1
                    while true {
                        if let left = child.remaining {
                            if left > .zero { try await Task.sleep(for: left) }
                            child.expire()
                            try await Task.sleep(for: .seconds(1))
                            return .timedOut
                        }
                        if waited >= 10 {
                            child.abandon()
                            return .timedOut
                        }
                        try await Task.sleep(for: timeout)
                        waited += 1
                    }
                }
                let first = try await group.next() ?? .timedOut
                group.cancelAll()
                if child.didExpire { return CommandResult(ending: .timedOut) }
                switch first {
                case .finished(let r): return r
                case .timedOut: return CommandResult(ending: .timedOut)
                }
            }
        } catch {
            child.abandon()
            return CommandResult(ending: .failedToStart(String(describing: error)))
        }
    }

    /// Reads a stream to its end, keeping at most 4 MB.
    private static func collect(_ stream: SubprocessOutputSequence) async throws -> String {
        var bytes: [UInt8] = []
        for try await chunk in stream {
            chunk.withUnsafeBytes { raw in
                if bytes.count < 4 << 20 { bytes.append(contentsOf: raw.prefix((4 << 20) - bytes.count)) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Replays recorded tool output from a fixture folder: `<dir>/<tool>/<name>.stdout`, `.stderr`
/// and `.exit` (a number, or `timeout`, `missing`). `name` is picked by the first argument that
/// matches a recording, so one folder can hold the core query, the extended query and `-L`.
public struct RecordedRunner: CommandRunner {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    public func run(_ tool: String, _ arguments: [String], timeout: Duration) async -> CommandResult {
        let toolDir = directory + "/" + tool
        let name = RecordedRunner.recordingName(arguments)
        let root = SystemRoot("/")
        guard let exit = root.trimmed(toolDir + "/" + name + ".exit") else { return CommandResult(ending: .notFound) }
        let stdout = root.text(toolDir + "/" + name + ".stdout") ?? ""
        let stderr = root.text(toolDir + "/" + name + ".stderr") ?? ""
        switch exit {
        case "timeout": return CommandResult(ending: .timedOut)
        case "missing": return CommandResult(ending: .notFound)
        default: return CommandResult(ending: .exited(Int32(exit) ?? 1), stdout: stdout, stderr: stderr)
        }
    }

    /// "core" for the safe query, "extended" for the newer fields, "list" for -L; "wired-limit" for
    /// macOS's `sysctl iogpu.wired_limit_mb`; "default" for everything else.
    public static func recordingName(_ arguments: [String]) -> String {
        if arguments.contains("-L") { return "list" }
        if arguments.contains("iogpu.wired_limit_mb") { return "wired-limit" }
        if let q = arguments.first(where: { $0.hasPrefix("--query-gpu=") }) {
            return q.contains("compute_cap") ? "extended" : "core"
        }
        return "default"
    }
}
