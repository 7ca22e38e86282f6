import FitCatalog
import FitCore
import FitTestSupport
import Foundation
import Testing

@Suite("Cloud models and measured evidence", .onWorkerThreads)
struct EvidenceTests {
    let parsed: CatalogLoader.Parsed
    init() throws {
        parsed = try CatalogLoader.parseAll(
            try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).sourceFiles())
    }

    @Test("at least 20 cloud offers, each with prices, a dated price and a source")
    func cloud() {
        #expect(parsed.cloud.count >= 20)
        for c in parsed.cloud {
            #expect(!c.priceDate.isEmpty && !c.source.isEmpty && c.outputPerMTok >= 0, "\(c.id)")
        }
        #expect(Set(parsed.cloud.map(\.provider)).isSuperset(of: ["Anthropic", "OpenAI", "Google"]))
    }

    @Test("throughput, agent benchmarks and every seed-post result, with provenance")
    func results() {
        #expect(parsed.evidence.throughput.count >= 570)
        #expect(parsed.evidence.benchmarks.count >= 180)
        #expect(parsed.evidence.seeds.count >= 104)
        #expect(parsed.evidence.throughput.allSatisfy { !$0.source.isEmpty && $0.tokensPerSecond > 0 })
        // the conflicts the reference data records are kept
        #expect(parsed.evidence.seeds.contains { ($0.notes ?? "").contains("CONFLICT") })
        // most throughput rows are linked to catalog models
        #expect(parsed.evidence.throughput.filter { $0.model != nil }.count >= 450)
    }

    @Test("bad evidence: a price without a date, a result naming an unknown model or hardware")
    func bad() {
        let cloud = """
            schema: 1
            cloud:
              - id: acme/model-x
                name: Model X
                provider: Acme
                apiModel: x
                inputPerMTok: 1
                outputPerMTok: 2
                priceDate: soon
                source: s
            """
        let results = """
            schema: 1
            throughput:
              - model: no-such-model
                modelName: Mystery 7B
                hardware: no-such-gpu
                hardwareName: GPU 9000
                backend: CUDA
                test: tg128
                tokensPerSecond: 10
                source: s
            """
        let files = [
            CatalogLoader.SourceFile(relativePath: "cloud/x.yaml", text: cloud),
            CatalogLoader.SourceFile(relativePath: "results/x.yaml", text: results),
        ]
        do {
            _ = try CatalogLoader.parseAll(files)
            Issue.record("bad evidence was accepted")
        } catch CatalogError.invalid(let issues) {
            let lines = issues.map(\.description)
            #expect(lines.contains { $0.hasPrefix("Catalog/cloud/x.yaml: acme/model-x: priceDate: must be YYYY-MM") })
            #expect(
                lines.contains(
                    "Catalog/results/x.yaml: #1 Mystery 7B: model: `no-such-model` is not a catalog model or cloud id"))
            #expect(
                lines.contains("Catalog/results/x.yaml: #1 Mystery 7B: hardware: `no-such-gpu` is not a hardware id"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("evidence about a model: its own rows and those of the cloud hosts serving it")
    func about() {
        let ids: Set<String> = ["gpt-oss-120b"]
        let e = parsed.evidence.about(ids.union(parsed.cloud.filter { $0.openWeights == "gpt-oss-120b" }.map(\.id)))
        #expect(!e.throughput.isEmpty)
        #expect(e.throughput.allSatisfy { $0.model == "gpt-oss-120b" })
    }

    @Test("task tiers: basic, intermediate and advanced, each with the context its parts add up to and a token budget")
    func tiers() throws {
        let book = try #require(parsed.evidence.tiers)
        #expect(book.tiers.map(\.id) == ["basic", "intermediate", "advanced"])
        for t in book.tiers {
            #expect(!t.tasks.isEmpty && !t.source.isEmpty, "\(t.id)")
            #expect(
                t.context.tokens(harness: true) > t.context.tokens(harness: false),
                "a harness adds its own prompt: \(t.id)")
            #expect(t.budget.promptTokens >= t.budget.uniqueInputTokens, "\(t.id)")
        }
        // harder tiers need more context and spend more tokens
        let contexts = book.tiers.map { $0.context.tokens(harness: false).count }
        #expect(contexts == contexts.sorted() && Set(contexts).count == 3)
        #expect(book.tiers.map(\.budget.promptTokens) == book.tiers.map(\.budget.promptTokens).sorted())
    }

    @Test("seed runs count once per tier: totals and re-statements carry no tier, every tier row has runs and passes")
    func tierRuns() {
        let rows = parsed.evidence.seeds.filter { $0.tier != nil }
        #expect(rows.count >= 60)
        #expect(rows.allSatisfy { $0.runs != nil && ($0.passes != nil || $0.scorePercent != nil) && $0.harness != nil })
        #expect(!parsed.evidence.seeds.contains { $0.task.hasPrefix("TOTAL") && $0.tier != nil })
        // seed 002's ten tasks x five models, three runs each
        let s002 = rows.filter { $0.seed.hasPrefix("002") }
        #expect(s002.count == 50 && s002.allSatisfy { $0.runs == 3 && $0.harness == "none" })
        // seed 001's exact 10/10 for Sonnet 4.5 is counted, seed 000's figure-read ~95% of the same runs is not
        let sonnet = rows.filter { $0.model == "anthropic/claude-sonnet-4.5" && $0.tier == "basic" }
        #expect(sonnet.count == 1 && sonnet.first?.passes == 10)
    }

    @Test("a seed row naming a tier that does not exist is a catalog error naming the row")
    func badTier() throws {
        var files = try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).sourceFiles().filter {
            !$0.relativePath.hasPrefix("results/")
        }
        files.append(
            CatalogLoader.SourceFile(
                relativePath: "results/x.yaml",
                text: """
                    schema: 1
                    seeds:
                      - seed: mine
                        benchmark: b
                        task: t
                        model: qwen3-14b
                        modelName: Qwen3 14B
                        runs: 3
                        passes: 4
                        tier: expert
                        harness: none
                    """))
        do {
            _ = try CatalogLoader.parseAll(files)
            Issue.record("a bad tier was accepted")
        } catch CatalogError.invalid(let issues) {
            let lines = issues.map(\.description)
            #expect(
                lines.contains { $0.hasPrefix("Catalog/results/x.yaml: #1 Qwen3 14B: tier: `expert` is not a tier") })
            #expect(
                lines.contains("Catalog/results/x.yaml: #1 Qwen3 14B: passes: must be between 0 and runs (3), got 4"))
        }
    }
}
