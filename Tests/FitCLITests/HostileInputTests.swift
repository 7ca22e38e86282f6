import Foundation
import Testing

let hostile = packageRoot.appendingPathComponent("Tests/Fixtures/hostile")

@Suite("nothing hostile reaches a terminal or a page", .serialized)
struct HostileInputTests {
    static func raw(_ s: String) -> Bool { s.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" } }

    @Test("escape codes in a GGUF's name, in an error about it, and in a fleet report's host name are shown escaped")
    func terminalEscapes() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-hostile-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let plan = try await Fit.run([
            "plan", hostile.appendingPathComponent("esc_name.gguf").path, "--machine", vmMachine,
        ])
        #expect(plan.code == 0, "\(plan.stderr)")
        #expect(!Self.raw(plan.stdout) && plan.stdout.contains("\\e]0;pwned\\a"))
        let bad = try await Fit.run([
            "plan", hostile.appendingPathComponent("esc_err.gguf").path, "--machine", vmMachine,
        ])
        #expect(bad.code == 64)
        #expect(!Self.raw(bad.stderr) && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        let add = try await Fit.run(
            ["fleet", "add", hostile.appendingPathComponent("hostile.json").path], env: ["FIT_DATA_DIR": data])
        #expect(add.code == 0, "\(add.stderr)")
        #expect(!Self.raw(add.stdout))
        let list = try await Fit.run([
            "--machine", hostile.appendingPathComponent("hostile-machine.json").path, "--ctx", "8k",
        ])
        #expect(!Self.raw(list.stdout))
    }

    @Test("a Markdown report and a Markdown fleet report carry no live HTML from names")
    func markdownEscapes() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-hostile-md-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let report = try await Fit.run(
            [
                "report", "--format", "md", "-o", "-", "--machine",
                hostile.appendingPathComponent("hostile-machine.json").path,
            ],
            env: ["FIT_DATA_DIR": data])
        #expect(report.code == 0, "\(report.stderr)")
        _ = try await Fit.run(
            ["fleet", "add", hostile.appendingPathComponent("hostile.json").path], env: ["FIT_DATA_DIR": data])
        let fleet = try await Fit.run(["fleet", "report", "--format", "md"], env: ["FIT_DATA_DIR": data])
        #expect(fleet.code == 0, "\(fleet.stderr)")
        for (name, text) in [("report", report.stdout), ("fleet report", fleet.stdout)] {
            for tag in ["<script", "<img", "<iframe", "<svg", "<link", "<style", "<a href"] {
                #expect(!text.contains(tag), "\(name) passes \(tag) through")
            }
            #expect(text.contains("&lt;script&gt;"), "\(name) shows the name, escaped")
        }
    }

    @Test("an older report of a machine never replaces the newer one the fleet holds")
    func olderReportKeepsNewer() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-older-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let env = ["FIT_DATA_DIR": data]
        let newer = try await Fit.run(["fleet", "add", hostile.appendingPathComponent("goodA.json").path], env: env)
        #expect(newer.code == 0 && newer.stdout.hasPrefix("added good-a"), "\(newer.stderr)")
        let older = try await Fit.run(
            ["fleet", "add", hostile.appendingPathComponent("goodA_older.json").path], env: env)
        #expect(older.code == 0 && older.stdout.hasPrefix("kept the newer report of 2026-12-02"), "\(older.stdout)")
        let report = try await Fit.run(["fleet", "report"], env: env)
        #expect(report.stdout.contains("good-a of 2026-12-02") && !report.stdout.contains("OLD-REPORT"))
    }
}
