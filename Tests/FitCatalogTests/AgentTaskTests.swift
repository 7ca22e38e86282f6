import FitCatalog
import FitCore
import FitTestSupport
import Foundation
import Testing

@Suite("The bundled agent tasks (Catalog/agent-tasks)", .onWorkerThreads)
struct AgentTaskTests {
    let tasks: [AgentTask]
    init() throws { tasks = try AgentTaskLoader.load(directory: repoCatalog.appendingPathComponent("agent-tasks")) }

    @Test("at least 12 tasks, at least four per tier, ids unique")
    func coverage() {
        #expect(tasks.count >= 12)
        for tier in ["basic", "intermediate", "advanced"] {
            #expect(tasks.filter { $0.tier == tier }.count >= 4, "\(tier)")
        }
        #expect(Set(tasks.map(\.id)).count == tasks.count)
    }

    @Test(
        "every task fails as given and passes with its reference solution: the checks test the fix, and the fix exists")
    func solvable() {
        for t in tasks where t.answer == nil {
            #expect(!AgentScoring.checksPass(t, files: t.files), "\(t.id) passes before any fix")
            var fixed = t.files
            for (path, content) in t.reference ?? [:] { fixed[path] = content }
            #expect(AgentScoring.checksPass(t, files: fixed), "\(t.id): the reference solution fails its checks")
        }
    }

    @Test("a question task passes only with the right answer in the final message")
    func questions() throws {
        let t = try #require(tasks.first { $0.id == "basic-config-port" })
        #expect(AgentScoring.passed(t, files: t.files, finalAnswer: "It listens on port 8443 in production."))
        #expect(!AgentScoring.passed(t, files: t.files, finalAnswer: "Port 8080."))
    }

    @Test("the simulated project: tools read, write and search the files; the test command's output follows the checks")
    func simulatedTools() throws {
        let t = try #require(tasks.first { $0.answer == nil && $0.commands.contains { $0.match == "pytest" } })
        var p = SimulatedProject(t)
        let path = try #require(t.files.keys.sorted().first)
        #expect(p.call("read_file", arguments: ["path": path]) == t.files[path])
        #expect(
            p.call("read_file", arguments: ["path": "./" + path]) == t.files[path],
            "./ and /workspace/ prefixes are accepted")
        #expect(p.call("read_file", arguments: ["path": "nope.py"]).hasPrefix("error: nope.py: no such file"))
        #expect(
            p.call("run_command", arguments: ["command": "cat " + path]) == t.files[path],
            "shell reads are served from the files")
        let before = p.call("run_command", arguments: ["command": "python -m pytest -q"])
        #expect(before.hasSuffix("exit code \(t.commands.first { $0.match == "pytest" }!.otherwise.exitCode)"))
        for (file, content) in t.reference ?? [:] {
            _ = p.call("write_file", arguments: ["path": file, "content": content])
        }
        #expect(
            p.call("run_command", arguments: ["command": "pytest"]).hasSuffix("exit code 0"),
            "green once the fix is written")
        #expect(p.call("search_code", arguments: ["pattern": "def "]).contains(":"))
        #expect(p.call("delete_file", arguments: [:]).hasPrefix("error: no tool named delete_file"))
        #expect(p.call("write_file", arguments: ["path": "x"]).hasPrefix("error: write_file needs"))
    }

    @Test("a broken task file is a catalog error naming the task")
    func badTask() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-tasks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        schema: 1
        tasks:
          - id: expert-x
            tier: expert
            title: t
            maxTurns: 10
            prompt: p
            files: {a.py: "x = 1"}
            commands: [{match: "", whenChecksPass: {exitCode: 0, output: ""}, otherwise: {exitCode: 0, output: ""}}]
        """.write(to: dir.appendingPathComponent("x.yaml"), atomically: true, encoding: .utf8)
        #expect {
            _ = try AgentTaskLoader.load(directory: dir)
        } throws: { e in
            guard case .invalid(let issues)? = e as? CatalogError else { return false }
            let lines = issues.map(\.description)
            return lines.contains { $0.contains("expert-x: tier: must be basic, intermediate or advanced") }
                && lines.contains { $0.contains("expert-x: checks: a task needs checks or an answer") }
        }
    }
}
