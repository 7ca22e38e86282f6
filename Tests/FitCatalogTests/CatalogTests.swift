import FitCatalog
import FitCore
import FitTestSupport
import Foundation
import Testing

/// The repository's Catalog folder (tests read the real catalog, never ../shared).
let repoCatalog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Catalog")

@Suite("The shipped catalog is valid and covers what people run", .onWorkerThreads)
struct ShippedCatalogTests {
    let models: [CatalogModel]
    init() throws {
        models = try CatalogLoader.parse(try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).sourceFiles())
    }

    @Test("every catalog file validates") func valid() { #expect(models.count >= 25) }

    @Test("every model cites where its facts come from")
    func sources() {
        for m in models { #expect(!m.sources.isEmpty, "\(m.id) has no source") }
    }

    @Test(
        "the families the skeleton promises are present",
        arguments: [
            "llama-3.1-8b-instruct", "llama-3.3-70b-instruct", "llama-3.2-3b-instruct", "qwen2.5-7b-instruct",
            "qwen3-8b",
            "qwen3-30b-a3b", "qwen3-coder-30b-a3b-instruct", "qwen3.5-27b", "qwen3.6-35b-a3b", "gemma-3-12b-it",
            "gemma-4-31b-it",
            "mistral-small-3.2-24b-instruct-2506", "devstral-small-2507", "gpt-oss-20b", "gpt-oss-120b",
            "deepseek-r1-distill-qwen-32b", "deepseek-v3", "phi-4",
        ])
    func present(_ id: String) {
        #expect(models.contains { $0.id == id }, "\(id) missing from the catalog")
    }

    @Test(
        "the names Ollama users type mean what Ollama means by them (catalog audit, 2026-12-02)",
        arguments: [
            ("deepseek-r1", "deepseek-r1-0528-qwen3-8b"), ("qwen3", "qwen3-8b"), ("gpt-oss", "gpt-oss-20b"),
            ("gemma3", "gemma-3-4b-it"), ("llama3.2", "llama-3.2-3b-instruct"), ("llama3.1", "llama-3.1-8b-instruct"),
            ("qwen2.5-coder", "qwen2.5-coder-7b-instruct"), ("qwen3-coder", "qwen3-coder-30b-a3b-instruct"),
            ("mistral", "mistral-7b-instruct-v0.3"), ("llama3.1:8b-instruct-q4_K_M", "llama-3.1-8b-instruct"),
            ("qwen2.5-coder:32b-instruct-q4_K_M", "qwen2.5-coder-32b-instruct"),
            ("gemma3:27b-it-qat", "gemma-3-27b-it"),
            ("deepseek-r1:32b-qwen-distill-q4_K_M", "deepseek-r1-distill-qwen-32b"),
            ("mistral-small3.2:24b-instruct-2506-q4_K_M", "mistral-small-3.2-24b-instruct-2506"),
            ("unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF:UD-Q4_K_XL", "qwen3-coder-30b-a3b-instruct"),
        ])
    func ollamaNames(_ name: String, _ id: String) {
        guard case .found(let m, _) = ModelResolver(models: models).resolve(name) else {
            Issue.record("\(name) does not resolve")
            return
        }
        #expect(m.id == id, "\(name)")
    }

    /// Publishers' files and our recipe must agree: the recipe is what plans a build with no
    /// published size. Tolerance: 3% (imatrix and publisher-specific mixes, tokenizer metadata).
    @Test("the recipe agrees with every published file size in the catalog")
    func publishedSizes() {
        for m in models {
            for q in m.quants {
                guard let published = q.bytes else { continue }
                let predicted = WeightLayout(architecture: m.architecture, scheme: q.scheme).fileTensorBytes
                let error = Double(predicted - published) / Double(published)
                #expect(
                    abs(error) < 0.03,
                    "\(m.id) \(q.scheme.rawValue): recipe \(predicted), published \(published) (\(Int(error * 1000)) per mille)"
                )
            }
        }
    }
}

extension ShippedCatalogTests {
    @Test("safetensors builds: most models list what people download besides GGUF, every one with its source")
    func safetensorsBuilds() {
        let withBuilds = models.filter { !$0.builds.isEmpty }
        #expect(withBuilds.count >= 100)
        #expect(models.filter { $0.builds.contains { $0.format != "BF16" } }.count >= 60)
        for m in models {
            for b in m.builds {
                #expect(SafetensorsFormat.named(b.format) != nil && !b.source.isEmpty, "\(m.id) \(b.repo)")
            }
        }
    }

    /// Repos that hold more than the text model fit describes: the estimate must fall short of them
    /// (plans of these builds use the published size). Everything else must agree within 8%.
    static let largerThanTheTextModel: [String: String] = [
        "gemma-4-e2b-it": "per-layer embedding tables (Gemma 3n style) are not modelled",
        "gemma-4-e4b-it": "per-layer embedding tables (Gemma 3n style) are not modelled",
        "gemma-4-26b-a4b-it": "the repo carries the vision encoder",
        "gemma-4-31b-it": "the repo carries the vision encoder",
        "qwen3.5-9b": "the repo carries the vision encoder",
        "qwen3.5-27b": "the repo carries the vision encoder",
        "qwen3.6-27b": "the repo carries the vision encoder",
    ]

    /// A published safetensors size and the format's bits per tensor must agree: the format is what
    /// sizes a build with no published figure. 8%: converters differ in which small tensors (norms,
    /// routers, linear-attention parameters) they leave in 16 bits.
    @Test("the format estimate agrees with every published safetensors size in the catalog")
    func publishedBuildSizes() async throws {
        let models = self.models
        // every build's tensor layout: on a thread of its own, not the test pool's
        let sizes = try await offThePool {
            models.flatMap { m in
                m.builds.compactMap { b -> (String, Int64)? in
                    // mlx-community's gpt-oss "MXFP4-Q8" keeps the non-expert weights in 8 bits: a mix the format list does not name
                    guard b.bytes != nil, let format = SafetensorsFormat.named(b.format), !b.repo.hasSuffix("MXFP4-Q8")
                    else { return nil }
                    return (
                        m.id + " " + b.repo, WeightLayout(architecture: m.architecture, format: format).fileTensorBytes
                    )
                }
            }
        }
        let predictedSizes = Dictionary(sizes, uniquingKeysWith: { a, _ in a })
        var checked = 0
        for m in models {
            for b in m.builds {
                guard let published = b.bytes, let predicted = predictedSizes[m.id + " " + b.repo] else { continue }
                let error = Double(predicted - published) / Double(published)
                let detail =
                    "\(m.id) \(b.repo): format \(predicted), published \(published) (\(Int(error * 1000)) per mille)"
                if let why = Self.largerThanTheTextModel[m.id] {
                    #expect(error < 0, "\(detail): expected short of the repo because \(why)")
                } else {
                    #expect(abs(error) < 0.08, "\(detail)")
                }
                checked += 1
            }
        }
        #expect(checked >= 20)
    }
}

@Suite("Bad catalog entries are reported as file: entry: field: problem", .onWorkerThreads)
struct CatalogValidationTests {
    let good = """
        schema: 1
        models:
          - id: tiny-1b
            name: Tiny 1B
            family: tiny
            released: 2025-01-02
            license: mit
            aliases: [org/Tiny-1B, tiny:1b]
            sources: [https://example.org/config.json]
            architecture:
              layers: 16
              hiddenSize: 2048
              heads: 32
              kvHeads: 8
              headDim: 64
              ffnSize: 8192
              vocabSize: 128256
              contextLength: 131072
              tiedEmbeddings: true
        """

    func problems(_ yaml: String) -> [String] {
        CatalogParser.parseModels(yaml: yaml, file: "Catalog/models/tiny.yaml").issues.map(\.description)
    }

    @Test("a good entry parses, with the default quants")
    func goodEntry() {
        let (models, issues) = CatalogParser.parseModels(yaml: good, file: "t.yaml")
        #expect(issues.isEmpty)
        #expect(models.first?.quants.map(\.scheme) == CatalogModel.defaultQuants)
        #expect(models.first?.architecture.tiedEmbeddings == true)
    }

    @Test(
        "wrong types, missing fields, bad values and typos",
        arguments: [
            (
                "layers: 16", "layers: sixteen",
                "Catalog/models/tiny.yaml: tiny-1b: architecture.layers: must be an integer"
            ),
            (
                "layers: 16", "layers: -4",
                "Catalog/models/tiny.yaml: tiny-1b: architecture.layers: must be a positive integer, got -4"
            ),
            ("    name: Tiny 1B\n", "", "Catalog/models/tiny.yaml: tiny-1b: name: is required"),
            (
                "released: 2025-01-02", "released: last year",
                "Catalog/models/tiny.yaml: tiny-1b: released: must be a date YYYY-MM-DD, got `last year`"
            ),
            (
                "kvHeads: 8", "kvHeads: 7",
                "Catalog/models/tiny.yaml: tiny-1b: architecture.kvHeads: must divide heads (32), got 7"
            ),
            (
                "ffnSize: 8192", "ffnSize: 8192\n      hidenSize: 3",
                "Catalog/models/tiny.yaml: tiny-1b: architecture.hidenSize: unknown field"
            ),
            (
                "tiedEmbeddings: true", "tiedEmbeddings: maybe",
                "Catalog/models/tiny.yaml: tiny-1b: architecture.tiedEmbeddings: must be true or false"
            ),
        ])
    func reported(_ find: String, _ replace: String, _ expected: String) {
        let p = problems(good.replacingOccurrences(of: find, with: replace))
        #expect(p.contains { $0.hasPrefix(expected) }, "got \(p)")
    }

    @Test("unknown quants and sizes without a source")
    func quants() {
        let yaml = good + "\n    quants:\n      - name: Q9_X\n      - name: Q4_K_M\n        bytes: 100\n"
        let p = problems(yaml)
        #expect(p.contains { $0.hasPrefix("Catalog/models/tiny.yaml: tiny-1b: quants[0].name: unknown quant `Q9_X`") })
        #expect(
            p.contains { $0 == "Catalog/models/tiny.yaml: tiny-1b: quants[1].source: is required when bytes is given" })
    }

    @Test("a safetensors build parses with its format's canonical name; a bad one is reported field by field")
    func builds() {
        let ok =
            good
            + "\n    builds:\n      - format: mlx-4bit\n        repo: mlx-community/Tiny-1B-4bit\n        source: https://huggingface.co/mlx-community/Tiny-1B-4bit\n"
        let (models, issues) = CatalogParser.parseModels(yaml: ok, file: "t.yaml")
        #expect(issues.isEmpty)
        #expect(
            models.first?.builds == [
                SafetensorsBuild(
                    format: "MLX-4bit", repo: "mlx-community/Tiny-1B-4bit",
                    source: "https://huggingface.co/mlx-community/Tiny-1B-4bit")
            ])
        #expect(models.first?.build(named: "MLX-4BIT")?.runtime == "mlx")
        let bad =
            good
            + "\n    builds:\n      - format: EXL2\n        repo: just-a-name\n        source: ''\n        bytes: -1\n        size: 3\n"
        let p = problems(bad)
        #expect(
            p.contains {
                $0.hasPrefix(
                    "Catalog/models/tiny.yaml: tiny-1b: builds[0].format: unknown format `EXL2` (known: BF16, FP8")
            })
        #expect(
            p.contains(
                "Catalog/models/tiny.yaml: tiny-1b: builds[0].repo: must be a Hugging Face repo id like org/name, got `just-a-name`"
            ))
        #expect(p.contains("Catalog/models/tiny.yaml: tiny-1b: builds[0].source: must say where the repo was seen"))
        #expect(
            p.contains(
                "Catalog/models/tiny.yaml: tiny-1b: builds[0].bytes: must be a byte count from 1 to 4 PiB, got -1"))
        #expect(p.contains { $0.hasPrefix("Catalog/models/tiny.yaml: tiny-1b: builds[0].size: unknown field") })
    }

    @Test("not YAML at all")
    func notYAML() {
        #expect(
            problems("models: [unclosed").first?.hasPrefix("Catalog/models/tiny.yaml: -: -: not valid YAML") == true)
    }

    @Test("an alias may name only one model")
    func duplicateAlias() throws {
        let (a, _) = CatalogParser.parseModels(yaml: good, file: "a.yaml")
        let (b, _) = CatalogParser.parseModels(
            yaml: good.replacingOccurrences(of: "id: tiny-1b", with: "id: tiny-1b-v2"), file: "b.yaml")
        let issues = CatalogParser.crossCheck(a.map { ("a.yaml", $0) } + b.map { ("b.yaml", $0) })
        #expect(issues.map(\.description).contains("b.yaml: tiny-1b-v2: aliases: `org/Tiny-1B` already names tiny-1b"))
    }
}

@Suite("The SQLite store is derived from the text and cached by content", .onWorkerThreads)
struct CatalogStoreTests {
    @Test("models round-trip through an in-memory database")
    func roundTrip() throws {
        let models = try CatalogLoader.parse(
            try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).sourceFiles())
        let store = try CatalogStore.inMemory()
        try store.replace(with: models, fingerprint: "abc")
        #expect(try store.fingerprint() == "abc")
        let back = try store.models()
        #expect(back.count == models.count)
        for (x, y) in zip(models, back) {
            #expect(
                x.id == y.id && x.architecture == y.architecture && x.quants == y.quants
                    && Set(x.aliases) == Set(y.aliases))
            #expect(x.builds == y.builds, "\(x.id): safetensors builds changed in the store")
        }
    }

    @Test("the binary snapshot the hot path reads round-trips the whole catalog exactly")
    func snapshot() throws {
        let parsed = try CatalogLoader.parseAll(
            try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).sourceFiles())
        let store = try CatalogStore.inMemory()
        try store.replace(
            with: parsed.models, hardware: parsed.hardware, cloud: parsed.cloud, evidence: parsed.evidence,
            fingerprint: "x")
        let back = try #require(try store.snapshot())
        #expect(back.models == parsed.models)
        #expect(back.hardware == parsed.hardware)
        #expect(back.cloud == parsed.cloud)
        #expect(try store.evidence() == parsed.evidence)
    }

    @Test("the cache is rebuilt when the text changes, and reused when it does not")
    func cache() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("fit-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let catalogDir = tmp.appendingPathComponent("Catalog/models")
        try FileManager.default.createDirectory(at: catalogDir, withIntermediateDirectories: true)
        let file = catalogDir.appendingPathComponent("tiny.yaml")
        try CatalogValidationTests().good.write(to: file, atomically: true, encoding: .utf8)
        let loader = CatalogLoader(
            directory: tmp.appendingPathComponent("Catalog"), cacheDirectory: tmp.appendingPathComponent("cache"))
        let first = try loader.load()
        let dbPath = tmp.appendingPathComponent("cache/catalog.sqlite").path
        #expect(FileManager.default.fileExists(atPath: dbPath))
        #expect(try loader.load().fingerprint == first.fingerprint)

        try CatalogValidationTests().good.replacingOccurrences(of: "Tiny 1B", with: "Tiny One").write(
            to: file, atomically: true, encoding: .utf8)
        let second = try loader.load()
        #expect(second.fingerprint != first.fingerprint)
        #expect(second.models.first?.name == "Tiny One")

        // A broken edit is an error naming the entry, and the cache from before survives it.
        try CatalogValidationTests().good.replacingOccurrences(of: "layers: 16", with: "layers: x").write(
            to: file, atomically: true, encoding: .utf8)
        #expect(throws: CatalogError.self) { try loader.load() }
        #expect(FileManager.default.fileExists(atPath: dbPath))
    }
}

@Suite("The hardware table", .onWorkerThreads)
struct HardwareTableTests {
    @Test("every hardware file validates, ids and aliases are unique, every entry has a source")
    func valid() throws {
        let parsed = try CatalogLoader.parseAll(
            try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).sourceFiles())
        #expect(parsed.hardware.count >= 60)
        #expect(parsed.hardware.allSatisfy { !$0.source.isEmpty && $0.bandwidthGBs > 0 })
        let r = HardwareResolver(specs: parsed.hardware)
        for name in [
            "RTX 4090", "RTX 5090", "RTX 3090", "H100", "H200", "DGX Spark", "Strix Halo", "M4 Max 40-core",
            "RX 7900 XTX", "Arc B580",
        ] {
            guard case .found = r.resolve(name) else {
                Issue.record("\(name) does not resolve to one entry")
                continue
            }
        }
    }

    @Test("a bad hardware entry is reported as file: entry: field: problem")
    func bad() {
        let yaml = """
            schema: 1
            hardware:
              - id: x1
                name: X1
                vendor: nvidia
                memoryGB: lots
                memoryType: GDDR6
                unifiedMemory: false
                bandwidthGBs: 100
                fp16TFLOPS: 10
                source: s
            """
        let issues = CatalogParser.parseHardware(yaml: yaml, file: "hw.yaml").issues.map(\.description)
        #expect(issues == ["hw.yaml: x1: memoryGB: must be a number"])
    }
}
