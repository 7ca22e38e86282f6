import Foundation
import Testing

@Suite("nothing stored is lost when several fit processes write at once")
struct ConcurrencyTests {
    @Test("12 concurrent `fit fleet add` into one user database all succeed (WAL, and a busy timeout)")
    func twelveWriters() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-concurrent-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let env = ["FIT_DATA_DIR": data]
        let report = data + "-report.json"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let made = try await Fit.run(
            ["report", "--format", "json", "-o", report, "--machine", vmMachine, "--date", "2026-12-01"], env: env)
        #expect(made.code == 0, "\(made.stderr)")
        let codes = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
            for _ in 0..<12 {
                group.addTask {
                    let r = try await Fit.run(["fleet", "add", report], env: env)
                    return (r.code, r.stderr)
                }
            }
            var all: [(Int32, String)] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(codes.count == 12)
        #expect(codes.allSatisfy { $0.0 == 0 }, "\(codes.filter { $0.0 != 0 }.map(\.1))")
        let query = try await Fit.run(["fleet", "query", "llama-3.1-8b-instruct", "--json"], env: env)
        #expect(query.code == 0, "\(query.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(query.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.count == 1, "one machine, added twelve times, is one machine")
    }
}
