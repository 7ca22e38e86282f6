import FitCore
import FitHTTP
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Something that answers chat-completion requests: a live endpoint, or a recorded session replayed.
public protocol ChatService: Sendable {
    func chat(_ body: [String: Any]) async throws -> [String: Any]
}

/// Replays the replies an endpoint gave (recorded with `FIT_RECORD_CHAT=DIR`), in order.
public final class RecordedChat: ChatService, @unchecked Sendable {
    private var replies: [[String: Any]]
    private let lock = NSLock()
    public init(replies: [[String: Any]]) { self.replies = replies }
    public func chat(_ body: [String: Any]) async throws -> [String: Any] {
        guard let next = lock.withLock({ replies.isEmpty ? nil : replies.removeFirst() }) else {
            throw Endpoint.Failure(sentence: "the recording has no more replies")
        }
        return next
    }
}

/// An OpenAI-compatible chat endpoint (llama-server, Ollama, LM Studio, vLLM), spoken to over
/// URLSession with a bounded reply: each failure of the network is named in one sentence.
public struct Endpoint: ChatService {
    public var baseURL: String
    public var model: String
    /// Per request.
    public var timeout: Duration

    public init(baseURL: String, model: String, timeout: Duration = .seconds(120)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.timeout = timeout
    }

    public var chatURL: String {
        if baseURL.hasSuffix("/chat/completions") { return baseURL }
        return baseURL.hasSuffix("/v1") ? baseURL + "/chat/completions" : baseURL + "/v1/chat/completions"
    }

    /// Why `url` cannot be an endpoint (one sentence), or nil: an http(s) URL with a host.
    public static func problem(with url: String) -> String? {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            return "--endpoint \(url.prefix(200)) is not an http(s) URL; use e.g. http://127.0.0.1:8080"
        }
        guard url.count <= 2048, let u = URL(string: url), let host = u.host, !host.isEmpty else {
            return
                "--endpoint \(url.prefix(200)) is not a well-formed URL; use e.g. http://127.0.0.1:8080 or http://[::1]:8080"
        }
        return nil
    }

    /// A failure with one sentence for the user.
    public struct Failure: Error, Sendable, Equatable { public var sentence: String }

    /// One non-streaming request; the decoded JSON object of the reply.
    public func chat(_ body: [String: Any]) async throws -> [String: Any] {
        var b = body
        b["model"] = model
        b["stream"] = false
        let (status, text) = try await post(b, stream: false).reply()
        guard (200..<300).contains(status) else {
            throw Failure(sentence: "\(chatURL) answered HTTP \(status): \(Self.snippet(text))")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Failure(sentence: "\(chatURL) did not answer with JSON: \(Self.snippet(text))")
        }
        // FIT_RECORD_CHAT=DIR keeps every reply, numbered, for replay in tests.
        if let dir = ProcessInfo.processInfo.environment["FIT_RECORD_CHAT"], !dir.isEmpty {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let n = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).count
            try? Data(text.utf8).write(
                to: URL(fileURLWithPath: dir).appendingPathComponent(String(format: "reply-%04d.json", n)))
        }
        return obj
    }

    /// Streams one completion and times it: when the first token arrived, and when each after it.
    public struct StreamTiming: Sendable, Equatable {
        public var firstTokenSeconds: Double
        public var tokenTimes: [Double]
        public var promptTokens: Int?
        public var completionTokens: Int?
        /// llama-server's own timings when it sends them (prompt_per_second, predicted_per_second).
        public var serverPrefillTokensPerSecond: Double?
        public var serverDecodeTokensPerSecond: Double?
    }

    public func stream(prompt: String, maxTokens: Int) async throws -> StreamTiming {
        let body: [String: Any] = [
            "model": model, "stream": true, "max_tokens": maxTokens, "temperature": 0,
            "stream_options": ["include_usage": true],
            "messages": [["role": "user", "content": prompt]],
        ]
        return try timing(of: try await post(body, stream: true))
    }

    /// The timing of one streamed reply: what the server sent, with when each chunk arrived.
    /// (Public for the fuzz target: the bytes are whatever the server sent.)
    public func timing(of r: Response) throws -> StreamTiming {
        let (status, text) = r.reply()
        guard (200..<300).contains(status) else {
            throw Failure(sentence: "\(chatURL) answered HTTP \(status): \(Self.snippet(text))")
        }
        var times: [Double] = []
        var timing = StreamTiming(firstTokenSeconds: 0, tokenTimes: [])
        for (t, raw) in r.lines() {
            do {
                let line = raw.trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("data:") else { continue }
                let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                if payload == "[DONE]" { continue }
                guard let obj = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else {
                    throw Failure(
                        sentence: "\(chatURL) streamed a line that is not JSON: \(Self.snippet(String(payload)))")
                }
                if let usage = obj["usage"] as? [String: Any] {
                    timing.promptTokens = Self.tokens(usage["prompt_tokens"])
                    timing.completionTokens = Self.tokens(usage["completion_tokens"])
                }
                if let tm = obj["timings"] as? [String: Any] {
                    timing.serverPrefillTokensPerSecond = Self.speed(tm["prompt_per_second"])
                    timing.serverDecodeTokensPerSecond = Self.speed(tm["predicted_per_second"])
                }
                let choices = obj["choices"] as? [[String: Any]] ?? []
                let delta = choices.first?["delta"] as? [String: Any]
                let content = (delta?["content"] as? String ?? "") + (delta?["reasoning_content"] as? String ?? "")
                if !content.isEmpty { times.append(t) }
            }
        }
        guard let first = times.first else {
            throw Failure(sentence: "\(chatURL) streamed no tokens; is `\(model)` a chat model it serves?")
        }
        timing.firstTokenSeconds = first
        timing.tokenTimes = times
        return timing
    }

    /// 32 MiB: the most one reply may send (an agent turn's reply is a few hundred KB).
    static let maxReplyBytes = 32 << 20

    public struct Response: Sendable {
        public var status: Int
        public var chunks: [(Double, [UInt8])]
        public init(status: Int, chunks: [(Double, [UInt8])]) {
            self.status = status
            self.chunks = chunks
        }
        public func reply() -> (Int, String) { (status, String(decoding: chunks.flatMap(\.1), as: UTF8.self)) }

        /// The body's lines with the time their last byte arrived, split on bytes (a 300 MB line
        /// costs one pass, not one per character). A last line without its newline counts.
        func lines() -> [(Double, Substring)] {
            var out: [(Double, Substring)] = []
            var pending: [UInt8] = []
            var last = 0.0
            for (t, bytes) in chunks {
                last = t
                var from = 0
                while let nl = bytes[from...].firstIndex(of: UInt8(ascii: "\n")) {
                    pending += bytes[from..<nl]
                    out.append((t, Substring(String(decoding: pending, as: UTF8.self))))
                    pending.removeAll(keepingCapacity: true)
                    from = nl + 1
                }
                pending += bytes[from...]
            }
            if !pending.isEmpty { out.append((last, Substring(String(decoding: pending, as: UTF8.self)))) }
            return out
        }
    }

    /// A token count from a server: 0 to a billion, else not taken.
    static func tokens(_ v: Any?) -> Int? {
        guard let n = v as? NSNumber else { return nil }
        let d = n.doubleValue
        return d.isFinite && d >= 0 && d <= 1e9 && d == d.rounded() ? Int(d) : nil
    }

    /// A speed from a server's timings: a token per 1,000 s to ten million tokens/s, else not taken.
    static func speed(_ v: Any?) -> Double? {
        guard let d = (v as? NSNumber)?.doubleValue, d.isFinite, d >= 1e-3, d <= 1e7 else { return nil }
        return d
    }

    func post(_ body: [String: Any], stream: Bool) async throws -> Response {
        guard let url = URL(string: chatURL) else {
            throw Failure(sentence: Self.problem(with: baseURL) ?? "--endpoint \(baseURL.prefix(200)) is not a URL")
        }
        let seconds = TimeInterval(timeout.components.seconds)
        var request = URLRequest(url: url, timeoutInterval: seconds)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("fit/0.1", forHTTPHeaderField: "User-Agent")
        if let key = ProcessInfo.processInfo.environment["FIT_API_KEY"], !key.isEmpty {
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        }
        do {
            // The whole exchange within the timeout, as each wait for bytes: a server that sends one
            // byte every two seconds ends there too.
            let reply = try await HTTPFetch(limit: Self.maxReplyBytes).run(request, resourceTimeout: seconds)
            return Response(status: reply.status, chunks: reply.chunks.map { ($0.seconds, $0.bytes) })
        } catch is HTTPFetch.TooLarge {
            // An endless stream: the transfer is cancelled, instead of growing without end.
            throw Failure(
                sentence:
                    "\(chatURL) sent more than \(Self.maxReplyBytes >> 20) MiB for one reply (a chat reply is a few hundred KB); the server may be stuck in a loop"
            )
        } catch let e as URLError {
            throw Failure(sentence: sentence(for: e))
        } catch {
            throw Failure(sentence: "could not talk to \(chatURL): \(error.localizedDescription)")
        }
    }

    /// What a transport failure means, for the person who typed --endpoint.
    func sentence(for e: URLError) -> String {
        switch e.code {
        case .cannotFindHost, .dnsLookupFailed: return "\(baseURL): the host name does not resolve; check --endpoint"
        case .cannotConnectToHost:
            return
                "\(baseURL) refused the connection: is the server running? Start it (e.g. `llama-server -m MODEL.gguf --port 8080`) or fix --endpoint"
        case .timedOut:
            return
                "\(chatURL) did not finish within \(timeout.components.seconds) s; the model may be looping or too slow (raise --timeout)"
        case .networkConnectionLost: return "\(chatURL) dropped the connection mid-reply; check the server's log"
        case .badServerResponse, .zeroByteResource, .cannotParseResponse:
            return "\(chatURL) closed the connection without a valid reply; check the server's log"
        case .unsupportedURL, .badURL:
            return Self.problem(with: baseURL) ?? "--endpoint \(baseURL.prefix(200)) is not a URL"
        default: return "could not talk to \(chatURL): \(e.localizedDescription)"
        }
    }

    static func snippet(_ s: String) -> String {
        let one = s.replacingOccurrences(of: "\n", with: " ")
        return one.count > 160 ? String(one.prefix(160)) + "..." : one
    }
}

/// Runs a task's agent loop against an endpoint: the model calls tools on the simulated project
/// until it stops or the turn limit is reached.
public enum AgentRunner {
    static var tools: [[String: Any]] {
        [
            tool(
                "read_file", "Read a file of the project.", ["path": "Path of the file, relative to the project root"]),
            tool(
                "write_file", "Write a file of the project (replaces its whole content).",
                [
                    "path": "Path of the file, relative to the project root",
                    "content": "The complete new content of the file",
                ]),
            tool(
                "run_command", "Run a shell command in the project root (e.g. pytest).", ["command": "The command line"]
            ),
            tool(
                "search_code", "Search the project's files for a regular expression; prints path:line: text.",
                ["pattern": "A regular expression"]),
        ]
    }

    static func tool(_ name: String, _ description: String, _ params: [String: String]) -> [String: Any] {
        [
            "type": "function",
            "function": [
                "name": name, "description": description,
                "parameters": [
                    "type": "object", "required": params.keys.sorted(),
                    "properties": params.mapValues { ["type": "string", "description": $0] },
                ],
            ],
        ]
    }

    static let system = """
        You are a coding agent working in a small Python project. Use the tools to read files, run commands, search \
        the code and write fixes. Files are changed only through write_file. When the task is done, reply with a short \
        final answer and no tool call.
        """

    /// Tool calls one reply may ask for (models call a handful at once).
    static let maxCallsPerTurn = 32

    public static func run(
        _ task: AgentTask, runIndex: Int, endpoint: any ChatService, maxTurns: Int? = nil, maxTokens: Int = 2048
    ) async -> AgentRun {
        var project = SimulatedProject(task)
        var messages: [[String: Any]] = [
            ["role": "system", "content": system], ["role": "user", "content": task.prompt],
        ]
        var valid = 0
        var invalid = 0
        var tokensIn = 0
        var tokensOut = 0
        var turns = 0
        var finalAnswer = ""
        var stop = "turn limit"
        let start = ContinuousClock.now
        for _ in 0..<(maxTurns ?? task.maxTurns) {
            turns += 1
            let reply: [String: Any]
            do {
                reply = try await endpoint.chat([
                    "messages": messages, "tools": tools, "temperature": 0, "max_tokens": maxTokens,
                ])
            } catch let f as Endpoint.Failure {
                stop = "endpoint: " + f.sentence
                break
            } catch {
                stop = "endpoint: \(error)"
                break
            }
            if let usage = reply["usage"] as? [String: Any] {
                tokensIn += Endpoint.tokens(usage["prompt_tokens"]) ?? 0
                tokensOut += Endpoint.tokens(usage["completion_tokens"]) ?? 0
            }
            guard let message = (reply["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any] else {
                stop = "endpoint: the reply has no choices[0].message"
                break
            }
            let content = message["content"] as? String ?? ""
            let calls = message["tool_calls"] as? [[String: Any]] ?? []
            var assistant: [String: Any] = ["role": "assistant", "content": content]
            if !calls.isEmpty { assistant["tool_calls"] = calls }
            messages.append(assistant)
            if calls.isEmpty {
                finalAnswer = content
                stop = "answered"
                break
            }
            // A storm of calls is the model failing the task, not work to do: a turn runs at most
            // `maxCallsPerTurn` of them.
            if calls.count > maxCallsPerTurn {
                invalid += calls.count
                stop = "the model asked for \(calls.count) tool calls in one reply; fit runs at most \(maxCallsPerTurn)"
                break
            }
            for (i, call) in calls.enumerated() {
                let id = call["id"] as? String ?? "call_\(turns)_\(i)"
                let fn = call["function"] as? [String: Any] ?? [:]
                let name = fn["name"] as? String ?? ""
                var result: String
                if let argText = fn["arguments"] as? String, let data = argText.data(using: .utf8),
                    let args = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                    SimulatedProject.toolNames.contains(name)
                {
                    valid += 1
                    result = project.call(
                        name,
                        arguments: args.compactMapValues {
                            $0 as? String ?? ($0 as? CustomStringConvertible)?.description
                        })
                } else {
                    invalid += 1
                    result =
                        SimulatedProject.toolNames.contains(name)
                        ? "error: the arguments of \(name) are not a JSON object; send them as JSON"
                        : "error: no tool named \(name); the tools are \(SimulatedProject.toolNames.joined(separator: ", "))"
                }
                messages.append(["role": "tool", "tool_call_id": id, "content": result])
            }
        }
        let d = ContinuousClock.now - start
        let passed =
            !stop.hasPrefix("endpoint") && AgentScoring.passed(task, files: project.files, finalAnswer: finalAnswer)
        return AgentRun(
            task: task.id, tier: task.tier, run: runIndex, passed: passed, turns: turns, validToolCalls: valid,
            invalidToolCalls: invalid, tokensIn: tokensIn, tokensOut: tokensOut,
            wallSeconds: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18, stop: stop)
    }
}
