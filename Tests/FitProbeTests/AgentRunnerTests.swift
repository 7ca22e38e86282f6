import FitCore
import FitProbe
import Foundation
import Testing
import Yams

/// The agent loop and its scoring, replaying chat replies: one real recording (SmolLM2-135M served
/// by llama-server, `FIT_RECORD_CHAT`), and two hand-written sessions in the OpenAI wire format that
/// pin down tool-call parsing.
@Suite("fit bench agent: the loop, tool calls and scoring, on recorded replies")
struct AgentRunnerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func task(_ id: String) throws -> AgentTask {
        struct File: Decodable { var tasks: [AgentTask] }
        for tier in ["basic", "intermediate", "advanced"] {
            let text = try String(
                contentsOf: Self.root.appendingPathComponent("Catalog/agent-tasks/\(tier).yaml"), encoding: .utf8)
            if let t = try YAMLDecoder().decode(File.self, from: text).tasks.first(where: { $0.id == id }) { return t }
        }
        Issue.record("no task \(id)")
        throw CancellationError()
    }

    func replies(_ name: String) throws -> RecordedChat {
        let dir = Self.root.appendingPathComponent("Tests/Fixtures/agent/\(name)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
            .sorted()
        return RecordedChat(
            replies: try files.map {
                try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent($0)))
                    as? [String: Any] ?? [:]
            })
    }

    @Test(
        "SmolLM2-135M, recorded: it answers in prose without calling a tool, so the leap-year bug stays and the run fails"
    )
    func smolLMRecorded() async throws {
        let r = await AgentRunner.run(
            try task("basic-fix-leap-year"), runIndex: 1, endpoint: try replies("smollm2-135m-basic-fix-leap-year"))
        #expect(!r.passed)
        #expect(r.stop == "answered" && r.turns == 1)
        #expect(r.validToolCalls == 0 && r.invalidToolCalls == 0)
        #expect(r.tokensIn == 141 && r.tokensOut == 200)
    }

    @Test(
        "an agent that reads, writes the fix, runs the tests and stops: passes, four turns, three valid tool calls, tokens summed"
    )
    func goodAgent() async throws {
        let r = await AgentRunner.run(
            try task("basic-fix-leap-year"), runIndex: 1, endpoint: try replies("wire-format-good-agent"))
        #expect(r.passed)
        #expect(r.turns == 4 && r.stop == "answered")
        #expect(r.validToolCalls == 3 && r.invalidToolCalls == 0)
        #expect(r.tokensIn == 3000 && r.tokensOut == 265)
    }

    @Test(
        "arguments that are not JSON and a tool that does not exist count as invalid calls; the run goes on and fails")
    func brokenArguments() async throws {
        let r = await AgentRunner.run(
            try task("basic-fix-leap-year"), runIndex: 1, endpoint: try replies("wire-format-broken-arguments"))
        #expect(!r.passed)
        #expect(r.invalidToolCalls == 2 && r.validToolCalls == 0)
        #expect(r.turns == 3)
    }

    @Test("the turn limit ends a model that never stops calling tools")
    func turnLimit() async throws {
        let loop: [String: Any] = [
            "choices": [
                [
                    "message": [
                        "role": "assistant", "content": "",
                        "tool_calls": [
                            [
                                "id": "c", "type": "function",
                                "function": ["name": "run_command", "arguments": "{\"command\": \"pytest\"}"],
                            ]
                        ],
                    ]
                ]
            ]
        ]
        let r = await AgentRunner.run(
            try task("basic-fix-leap-year"), runIndex: 1,
            endpoint: RecordedChat(replies: Array(repeating: loop, count: 20)), maxTurns: 5)
        #expect(r.turns == 5 && r.stop == "turn limit" && !r.passed)
    }

    @Test("an endpoint failure mid-run is recorded as such, not as the model's failure")
    func endpointFailure() async throws {
        let r = await AgentRunner.run(try task("basic-fix-leap-year"), runIndex: 1, endpoint: RecordedChat(replies: []))
        #expect(r.stop.hasPrefix("endpoint: "))
        #expect(
            AgentRun.evidence([r], model: "m", modelName: "m", endpoint: "e").isEmpty,
            "endpoint failures are not evidence")
    }
}
