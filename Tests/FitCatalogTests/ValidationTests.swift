import FitCatalog
import FitCore
import FitTestSupport
import Foundation
import Testing

/// fit against llama.cpp b11312's own allocations (Reports/validation/llamacpp-memory.json, made
/// by scripts/llamacpp/). The counts below are what the code reproduces today: a change that
/// makes any buffer worse fails here.
@Suite("fit agrees with llama.cpp's allocations", .onWorkerThreads)
struct LlamaCppValidationTests {
    let file: ValidationFile? = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Reports/validation/llamacpp-memory.json").path
        return FileManager.default.contents(atPath: path).flatMap {
            try? JSONDecoder().decode(ValidationFile.self, from: $0)
        }
    }()

    @Test("each buffer within 1% or 2 MiB, the total within 1%, over every measured case")
    func buffers() async throws {
        let v = try #require(file)
        #expect(v.llamaCpp.version == "b11312")
        let (within, count) = try await offThePool { () -> ([String: Int], [String: Int]) in
            var within: [String: Int] = [:]
            var count: [String: Int] = [:]
            for c in v.cases {
                for e in MemoryValidation.compare(c) {
                    count[e.buffer, default: 0] += 1
                    let ok = e.buffer == "total" ? abs(e.errorPercent) <= 1 : e.withinTarget
                    within[e.buffer, default: 0] += ok ? 1 : 0
                }
            }
            return (within, count)
        }
        for b in ["model", "kv", "recurrent", "compute", "output", "total"] {
            print("validation: \(b) \(within[b] ?? 0)/\(count[b] ?? 0) within target")
        }
        #expect(v.cases.count >= 200)
        for b in ["model", "kv", "recurrent", "compute", "output", "total"] {
            #expect(within[b] == count[b], "\(b): \(within[b] ?? 0)/\(count[b] ?? 0)")
        }
        // The compute buffer is exact wherever fit builds llama.cpp's graph: every architecture in
        // the set but Gemma 3, which keeps the closed form (within 5.01 MiB).
        let covered = Set(
            v.cases.filter {
                LlamaGraph.build($0.architecture, PlanOptions(context: TokenCount($0.context)), cells: 256) != nil
            }.map(\.model))
        #expect(
            covered.isSuperset(of: [
                "llama-3.1-8b-instruct", "qwen3-30b-a3b", "glm-4.5-air", "deepseek-v2-lite-chat", "deepseek-v3",
                "gpt-oss-20b", "gemma-4-31b-it", "qwen3-next-80b-a3b-instruct",
            ]), "\(covered.sorted())")
        let compute = try await offThePool {
            v.cases.filter { covered.contains($0.model) }.map { c in
                (c.name, MemoryValidation.compare(c).first { $0.buffer == "compute" })
            }
        }
        for (name, e) in compute {
            let e = try #require(e)
            #expect(abs(e.errorMiB) < 0.01, "\(name): compute \(e.predicted) vs \(e.measured) MiB")
        }
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

@Suite("a few layers stand for all of them in the graph allocation", .onWorkerThreads)
struct GraphTruncationTests {
    @Test("every catalog model a graph builder covers: the same buffer from 2 or 3 repeating layers as from all")
    func truncation() async throws {
        let models = try CatalogLoader.parse(
            try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).sourceFiles())
        // Minutes of graph building: on a thread of its own, not the test pool's.
        let (checked, mismatches) = try await offThePool { () -> (Int, [String]) in
            var checked = 0
            var mismatches: [String] = []
            for m in models {
                for ctx in [4096, 131072] {
                    for fa in [true, false] {
                        for kv in [KVCacheType.f16, .q8_0] where fa || kv == .f16 {
                            var o = PlanOptions(context: TokenCount(ctx), kvType: kv, flashAttention: fa)
                            o.ubatch = 512
                            guard let few = LlamaGraph.build(m.architecture, o, cells: ctx),
                                let all = LlamaGraph.build(m.architecture, o, cells: ctx, repeatingLayers: nil)
                            else { continue }
                            let (f, l) = (few.allocate(), all.allocate())
                            if f != l { mismatches.append("\(m.id) ctx \(ctx) fa \(fa) kv \(kv): \(f) vs \(l)") }
                            checked += 1
                        }
                    }
                }
            }
            return (checked, mismatches)
        }
        print("graph truncation: \(checked - mismatches.count) of \(checked) model x context x attention cases agree")
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "; "))")
        #expect(checked > 200)
    }
}
