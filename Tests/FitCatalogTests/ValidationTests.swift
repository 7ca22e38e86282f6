import FitCore
import Foundation
import Testing

/// fit against llama.cpp b11312's own allocations (Reports/validation/llamacpp-memory.json, made
/// by scripts/llamacpp/). The counts below are what the code reproduces today: a change that
/// makes any buffer worse fails here.
@Suite("fit agrees with llama.cpp's allocations")
struct LlamaCppValidationTests {
    let file: ValidationFile? = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Reports/validation/llamacpp-memory.json").path
        return FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(ValidationFile.self, from: $0) }
    }()

    @Test("each buffer within 1% or 2 MiB, the total within 1%, over every measured case")
    func buffers() throws {
        let v = try #require(file)
        #expect(v.llamaCpp.version == "b11312")
        var within: [String: Int] = [:], count: [String: Int] = [:]
        for c in v.cases {
            for e in MemoryValidation.compare(c) {
                count[e.buffer, default: 0] += 1
                let ok = e.buffer == "total" ? abs(e.errorPercent) <= 1 : e.withinTarget
                within[e.buffer, default: 0] += ok ? 1 : 0
            }
        }
        for b in ["model", "kv", "recurrent", "compute", "output", "total"] {
            print("validation: \(b) \(within[b] ?? 0)/\(count[b] ?? 0) within target")
        }
        #expect(v.cases.count >= 200)
        for b in ["model", "kv", "recurrent", "output", "total"] {
            #expect(within[b] == count[b], "\(b): \(within[b] ?? 0)/\(count[b] ?? 0)")
        }
        // The compute buffer's remaining misses (50 of 279) are allocator-peak effects that are not
        // monotone in the context (DECISIONS.md); a change that adds one fails here.
        #expect((count["compute"] ?? 0) - (within["compute"] ?? 0) <= 50, "compute: \(within["compute"] ?? 0)/\(count["compute"] ?? 0)")
    }

    @Test("the validation set covers the architectures the issue names")
    func coverage() throws {
        let v = try #require(file)
        let a = v.cases.map(\.architecture)
        #expect(a.contains { $0.tiedEmbeddings })
        #expect(a.contains { $0.slidingWindow != nil })
        #expect(a.contains { $0.moe != nil })
        #expect(a.contains { $0.mla != nil })
        #expect(a.contains { $0.linearAttention != nil })
        #expect(Set(v.cases.map(\.model)).count >= 10)
        #expect(Set(v.cases.map(\.context)).isSuperset(of: [4096, 32768, 131072]))
        #expect(v.cases.contains { $0.file == "real" })
    }
}
