import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit catalog`: what the catalog holds, where each fact comes from, and the user's additions.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Inspect, check and extend the model catalog.",
        subcommands: [
            Summary.self, List.self, Hardware.self, Show.self, Search.self, Evidence.self, Check.self, Import.self,
            Remove.self, Add.self, Scan.self,
        ],
        defaultSubcommand: Summary.self)

    /// `fit catalog`: size, age, and entries that lack sources.
    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "summary", abstract: "How big and how old the catalog is, and what lacks sources.")
        @OptionGroup var catalogOptions: CatalogOptions

        func run() async throws {
            let catalog = try catalogOptions.load()
            let newest =
                (catalog.models.map(\.released) + catalog.cloud.map(\.priceDate)).filter { !$0.isEmpty }.max() ?? "?"
            let oldestPrice = catalog.cloud.map(\.priceDate).min() ?? "?"
            print(
                "catalog \(catalog.fingerprint): \(catalog.models.count) local models, \(catalog.models.reduce(0) { $0 + $1.quants.count }) GGUF builds, \(catalog.models.reduce(0) { $0 + $1.builds.count }) safetensors builds, \(catalog.cloud.count) cloud offers, \(catalog.hardware.count) GPUs and SoCs"
            )
            print(
                "newest fact: \(newest); cloud prices dated \(oldestPrice) to \(catalog.cloud.map(\.priceDate).max() ?? "?")"
            )
            let unsourced =
                catalog.models.filter { $0.sources.isEmpty }.map(\.id)
                + catalog.cloud.filter { $0.source.isEmpty }.map(\.id)
            print(
                unsourced.isEmpty
                    ? "every entry cites a source" : "without sources: \(unsourced.joined(separator: ", "))")
            let doubtful = catalog.models.filter {
                ($0.notes ?? "").lowercased().contains("not confirm")
                    || ($0.notes ?? "").lowercased().contains("uncertain")
            }
            if !doubtful.isEmpty {
                print("entries whose notes flag unconfirmed facts: \(doubtful.count) (fit catalog show ID)")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract:
                "Validate every catalog file (the checks the tests run); print each problem as `file: entry: field: problem`.",
            aliases: ["check"])
        @OptionGroup var catalogOptions: CatalogOptions

        func run() async throws {
            let env = ProcessInfo.processInfo.environment
            let dir = try CatalogLoader.locate(
                explicit: catalogOptions.catalog, environment: env, executablePath: CatalogOptions.executablePath)
            let loader = CatalogLoader(
                directory: dir, cacheDirectory: nil,
                name: CatalogOptions.displayName(dir, explicit: catalogOptions.catalog, environment: env))
            do {
                let p = try CatalogLoader.parseAll(try loader.sourceFiles(), catalogName: loader.name)
                // The agent tasks `fit bench agent` runs are catalog files too.
                let tasks = try AgentTaskLoader.load(directory: dir.appendingPathComponent("agent-tasks"))
                print(
                    "\(dir.path): \(p.models.count) models, \(p.models.reduce(0) { $0 + $1.quants.count }) GGUF builds, \(p.models.reduce(0) { $0 + $1.builds.count }) safetensors builds, \(p.hardware.count) GPUs and SoCs, \(p.cloud.count) cloud offers, \(p.evidence.throughput.count + p.evidence.benchmarks.count + p.evidence.seeds.count) results, \(tasks.count) agent tasks, all valid"
                )
            } catch CatalogError.invalid(let issues) {
                for i in issues { print(i.description) }
                throw FitError.data("\(issues.count) problem\(issues.count == 1 ? "" : "s") in the catalog")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List catalog entries: local models and cloud offers.", aliases: ["models"])
        @Option(name: .long, help: "Only this family (e.g. qwen3).") var family: String?
        @Option(name: .long, help: "local or cloud.") var kind: String?
        @OptionGroup var catalogOptions: CatalogOptions
        @OptionGroup var output: OutputOptions

        struct Entry: Encodable {
            var id: String
            var kind: String
            var name: String
            var family: String?
            var parameters: Int64?
            var contextWindow: Int?
            var provider: String?
            /// GGUF quant names and safetensors formats (MLX-4bit, AWQ-4bit, FP8...) the catalog lists for a local model.
            var quants: [String]? = nil
            var formats: [String]? = nil
        }

        func run() async throws {
            if let kind, kind != "local", kind != "cloud" {
                throw FitError.usage("--kind \(kind) must be local or cloud")
            }
            let catalog = try catalogOptions.load()
            var entries: [Entry] = []
            if kind != "cloud" {
                entries += catalog.models.filter { family == nil || $0.family == family }.map {
                    Entry(
                        id: $0.id, kind: "local", name: $0.name, family: $0.family,
                        parameters: $0.architecture.parameterCount,
                        contextWindow: $0.architecture.contextLength, provider: nil,
                        quants: $0.quants.map(\.scheme.rawValue),
                        formats: Array(Set($0.builds.map(\.format))).sorted())
                }
            }
            if kind != "local" {
                entries += catalog.cloud.filter {
                    family == nil
                        || ($0.openWeights.flatMap { id in catalog.models.first { $0.id == id }?.family } == family)
                }.map {
                    Entry(
                        id: $0.id, kind: "cloud", name: $0.name, family: nil, parameters: nil,
                        contextWindow: $0.contextWindow, provider: $0.provider)
                }
            }
            if output.json { return try printJSON(entries) }
            var t = TextTable(headers: ["ID", "KIND", "NAME", "PARAMS", "CONTEXT"])
            for e in entries {
                t.add([
                    e.id, e.kind, e.name, e.parameters.map(Format.params) ?? "-",
                    e.contextWindow.map { TokenCount($0).short } ?? "-",
                ])
            }
            print(t.render(style: output.style), terminator: "")
        }
    }

    struct Hardware: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hardware", abstract: "List the GPUs and SoCs of the hardware table.")
        @OptionGroup var catalogOptions: CatalogOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let catalog = try catalogOptions.load()
            if output.json { return try printJSON(catalog.hardware) }
            var t = TextTable(headers: ["ID", "NAME", "MEMORY", "BANDWIDTH", "FP16", "POWER", "KIND"])
            t.rightAligned = [2, 3, 4, 5]
            for h in catalog.hardware {
                t.add([
                    h.id, h.name, "\(NumberText.format(h.memoryGB, digits: 0)) GB",
                    "\(NumberText.format(h.bandwidthGBs, digits: 0)) GB/s",
                    "\(NumberText.format(h.fp16TFLOPS, digits: 1)) TF",
                    h.powerW.map { "\(NumberText.format($0, digits: 0)) W" } ?? "-",
                    h.unifiedMemory ? "unified" : "dedicated",
                ])
            }
            print(t.render(style: output.style), terminator: "")
        }
    }

    /// A name people type: a cloud offer's id, else a local model's id or alias.
    enum Entry {
        case cloud(CloudModel)
        case local(CatalogModel)

        static func named(_ name: String, in catalog: Catalog) throws -> Entry {
            if let c = catalog.cloud.first(where: { $0.id == name.lowercased() }) { return .cloud(c) }
            return .local(try catalog.model(named: name).0)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one entry: its facts, builds and sources.")
        @Argument(help: ArgumentHelp("A catalog id, alias or cloud id.", valueName: "model")) var model: String
        @OptionGroup var catalogOptions: CatalogOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let catalog = try catalogOptions.load()
            let m: CatalogModel
            switch try Entry.named(model, in: catalog) {
            case .local(let local): m = local
            case .cloud(let c):
                if output.json { return try printJSON(c) }
                print("\(c.name) at \(c.provider) (\(c.id)), API model \(c.apiModel)")
                print(
                    "price per million tokens: input $\(c.inputPerMTok), output $\(c.outputPerMTok)\(c.cachedInputPerMTok.map { ", cached input $\($0)" } ?? "") (as of \(c.priceDate))"
                )
                print(
                    "context \(c.contextWindow.map { TokenCount($0).description } ?? "?") tokens, max output \(c.maxOutput.map { TokenCount($0).description } ?? "?")"
                )
                print("source: \(c.source)")
                if let n = c.notes { print("notes: \(n)") }
                return
            }
            if output.json { return try printJSON(m) }
            let a = m.architecture
            print("\(m.name) (\(m.id)), \(m.family), released \(m.released), licence \(m.license)")
            print(
                "\(Format.params(a.parameterCount)) parameters (\(Format.params(a.activeParameterCount)) active), \(a.layers) layers, hidden \(a.hiddenSize), \(a.heads) heads / \(a.kvHeads) KV heads of \(a.headDim), context \(TokenCount(a.contextLength))"
            )
            if let moe = a.moe {
                print(
                    "MoE: \(moe.experts) experts, \(moe.activeExperts) active, expert FFN \(moe.expertFfnSize)\((moe.sharedExperts ?? 0) > 0 ? ", \(moe.sharedExperts ?? 0) shared" : "")"
                )
            }
            if let sw = a.slidingWindow { print("sliding window \(sw.window), every \(sw.globalEvery) layer global") }
            if a.mla != nil { print("multi-head latent attention") }
            if let n = a.mtpLayers, n > 0 {
                print(
                    "multi-token prediction: \(n) layer\(n == 1 ? "" : "s") beyond the \(a.layers) above; llama.cpp loads \(n == 1 ? "it" : "them") only for MTP speculative decoding, so plans leave \(n == 1 ? "it" : "them") out"
                )
            }
            if let la = a.linearAttention {
                print("hybrid: linear attention, every \(la.fullAttentionEvery) layer full attention")
            }
            print(
                "GGUF builds: "
                    + m.quants.map { q in q.scheme.rawValue + (q.bytes.map { " (\(ByteCount($0)) published)" } ?? "") }
                    .joined(separator: ", "))
            if !m.builds.isEmpty {
                print("safetensors builds (fit plan \(m.id) --quant FORMAT or REPO):")
                var t = TextTable(headers: ["FORMAT", "REPO", "WEIGHTS", "RUNTIME", "SOURCE"])
                t.rightAligned = [2]
                for b in m.builds {
                    let size =
                        b.bytes.map { "\(ByteCount($0)) published" } ?? m.weights(b).map {
                            "\(ByteCount($0.fileTensorBytes)) est."
                        } ?? "?"
                    t.add([b.format, b.repo, size, b.runtime, b.source + (b.notes.map { " (\($0))" } ?? "")])
                }
                print(t.render(style: output.style), terminator: "")
            }
            print("aliases: \(m.aliases.joined(separator: ", "))")
            print("sources: \(m.sources.joined(separator: " "))")
            if let n = m.notes { print("notes: \(n)") }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "Find entries whose id, name, alias, family or provider contains TEXT.")
        @Argument(help: ArgumentHelp("Text to look for.", valueName: "text")) var text: String
        @OptionGroup var catalogOptions: CatalogOptions

        func run() async throws {
            let catalog = try catalogOptions.load()
            let q = text.lowercased()
            let local = catalog.models.filter { m in
                ([m.id, m.name, m.family] + m.aliases).contains { $0.lowercased().contains(q) }
            }
            let cloud = catalog.cloud.filter { c in
                [c.id, c.name, c.provider, c.apiModel].contains { $0.lowercased().contains(q) }
            }
            if local.isEmpty && cloud.isEmpty {
                throw FitError.usage(
                    "nothing in the catalog matches `\(text)`; closest: \(catalog.resolver.suggestions(for: text).joined(separator: ", "))"
                )
            }
            for m in local { print("\(m.id)\tlocal\t\(m.name)") }
            for c in cloud { print("\(c.id)\tcloud\t\(c.name) at \(c.provider)") }
        }
    }

    struct Evidence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evidence",
            abstract:
                "What is measured about a model (throughput, agent benchmarks, the seed posts), and where each number comes from."
        )
        @Argument(help: ArgumentHelp("A catalog id, alias or cloud id.", valueName: "model")) var model: String
        @OptionGroup var catalogOptions: CatalogOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let catalog = try catalogOptions.load()
            var ids: Set<String>
            switch try Entry.named(model, in: catalog) {
            case .cloud(let c): ids = Set([c.id] + (c.openWeights.map { [$0] } ?? []))
            case .local(let m): ids = Set([m.id] + catalog.cloud.filter { $0.openWeights == m.id }.map(\.id))
            }
            let e = try catalogOptions.evidence().about(ids)
            if output.json { return try printJSON(e) }
            if e.throughput.isEmpty && e.benchmarks.isEmpty && e.seeds.isEmpty {
                print("no measurements of \(ids.sorted().joined(separator: ", ")) in the catalog yet")
                return
            }
            if !e.throughput.isEmpty {
                print("Throughput (\(e.throughput.count)):")
                for t in e.throughput {
                    print(
                        "  \(t.test) \(NumberText.format(t.tokensPerSecond, digits: 1)) t/s  \(t.quant ?? "") on \(t.hardwareName), \(t.backend)  [\(t.source)]"
                    )
                }
            }
            if !e.benchmarks.isEmpty {
                print("Agent benchmarks (\(e.benchmarks.count)):")
                for b in e.benchmarks {
                    print(
                        "  \(b.benchmark): \(NumberText.format(b.score, digits: 1)) (\(b.modelName), \(b.date ?? "undated"))  [\(b.source)]"
                    )
                }
            }
            if !e.seeds.isEmpty {
                print("Seed posts (\(e.seeds.count)):")
                for s in e.seeds {
                    let score =
                        s.passes.flatMap { p in s.runs.map { "\(p)/\($0)" } } ?? s.scorePercent.map {
                            "\(NumberText.format($0, digits: 0))%"
                        } ?? "-"
                    print(
                        "  \(s.seed) \(s.task): \(score)\(s.tokens.map { ", \(Int($0)) tokens" } ?? "")\(s.notes.map { "  (\($0))" } ?? "")"
                    )
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract:
                "Add models by hand: a YAML file in the catalog's format (Catalog/README.md), saved in your user database."
        )
        @Argument(help: ArgumentHelp("A YAML file with `models:` entries.", valueName: "file")) var file: String
        @OptionGroup var catalogOptions: CatalogOptions

        func run() async throws {
            if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int,
                size > CatalogLoader.maxFileBytes
            {
                throw FitError.usage(
                    "\(file) is \(ByteCount(Int64(size))); a catalog file may be at most \(ByteCount(Int64(CatalogLoader.maxFileBytes))) (split it)"
                )
            }
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
            else {
                throw FitError.usage("\(file) cannot be read as UTF-8 text")
            }
            let (models, issues) = CatalogParser.parseModels(yaml: text, file: file)
            if let first = issues.first {
                throw FitError.usage(first.description + (issues.count > 1 ? " (and \(issues.count - 1) more)" : ""))
            }
            guard !models.isEmpty else { throw FitError.usage("\(file) has no models to add") }
            let catalog = try catalogOptions.load()
            let clashes = CatalogParser.crossCheck(catalog.models.map { ("catalog", $0) } + models.map { (file, $0) })
            if let c = clashes.first { throw FitError.usage(c.description) }
            guard let path = UserStore.defaultPath(environment: ProcessInfo.processInfo.environment) else {
                throw FitError.usage("no place for the user database: set HOME or FIT_DATA_DIR")
            }
            let store = try openUserStore()
            for m in models where try store.contains(m.id) {
                throw FitError.usage("\(file): \(m.id): id: already in your user catalog; choose another id")
            }
            let now = ISO8601DateFormatter().string(from: Date())
            // all or nothing: one transaction
            try store.add(models, from: file, at: now)
            print("added \(models.map(\.id).joined(separator: ", ")) (into \(path))")
        }
    }

    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract:
                "Find models already on disk (Hugging Face cache, LM Studio, Ollama, llama.cpp cache) and mark them installed."
        )
        @Option(
            name: .long, help: ArgumentHelp("Also scan this folder for .gguf files (repeatable).", valueName: "dir"))
        var path: [String] = []
        @OptionGroup var catalogOptions: CatalogOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let env = ProcessInfo.processInfo.environment
            let catalog = try catalogOptions.load()
            let scanner = LocalModelScanner(
                roots: LocalModelScanner.defaultRoots(environment: env) + path.map { ("path", $0) })
            let (found, warnings) = scanner.scan(resolver: catalog.resolver)
            if UserStore.defaultPath(environment: env) != nil {
                try openUserStore().setInstalled(
                    found.filter { $0.problem == nil }, at: ISO8601DateFormatter().string(from: Date()))
            }
            for w in warnings { FitCommand.printError("warning: " + w) }
            if output.json { return try printJSON(found) }
            if found.isEmpty {
                print("no local models found (looked in \(scanner.roots.map(\.path).joined(separator: ", ")))")
                return
            }
            var t = TextTable(headers: ["WHERE", "NAME", "ARCH", "QUANT", "SIZE", "CATALOG"])
            for f in found {
                t.add([
                    f.location, f.name, f.architecture ?? "-", f.quant ?? "-", f.bytes.map { Format.bytes($0) } ?? "-",
                    f.problem.map { "unreadable: \($0)" } ?? f.catalogModel
                        ?? "not in the catalog: fit catalog import \(f.path)",
                ])
            }
            print(t.render(style: output.style), terminator: "")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a model you imported (fit catalog import) from your own catalog.")
        @Argument(help: ArgumentHelp("The id it was imported as.", valueName: "id"))
        var id: String

        func run() async throws {
            guard let path = UserStore.defaultPath(environment: ProcessInfo.processInfo.environment),
                FileManager.default.fileExists(atPath: path)
            else {
                throw FitError.usage("\(id) is not an imported model: you have imported none (fit catalog import FILE)")
            }
            let store = try openUserStore()
            guard try store.remove(id) else {
                let yours = (try? store.models().map(\.id)) ?? []
                throw FitError.usage(
                    "\(id) is not an imported model; yours: \(yours.isEmpty ? "none" : yours.joined(separator: ", ")) (shipped catalog entries cannot be removed)"
                )
            }
            print("removed \(id) from your catalog (\(path))")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Add a GGUF model to your own catalog (kept in your user database).")
        @Argument(
            help: ArgumentHelp(
                "A .gguf file (the first part of a split model is enough) or a config.json.", valueName: "file"))
        var file: String
        @Option(
            name: .long,
            help: ArgumentHelp("The id to give it (default: the file name without .gguf).", valueName: "id"))
        var id: String?
        @OptionGroup var catalogOptions: CatalogOptions

        func run() async throws {
            let model: CatalogModel
            let defaultName: String
            if file.lowercased().hasSuffix("config.json") {
                let hf: HFModel
                do { hf = try HFModel.load(file) } catch { throw FitError.usage(error.description) }
                defaultName = hf.name.lowercased()
                model = CatalogModel(
                    id: defaultName, name: hf.name, family: "safetensors", released: "", license: "", aliases: [],
                    sources: [file],
                    notes: (["imported from \(file) (\(hf.format.name))"] + hf.assumptions).joined(separator: "; "),
                    architecture: hf.architecture,
                    quants: [QuantBuild(scheme: .bf16, bytes: hf.weights.fileTensorBytes, source: file)])
            } else {
                let gguf: GGUFModel
                do { gguf = try GGUFLoader.model(at: file) } catch { throw FitError.usage(error.description) }
                defaultName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension.lowercased()
                model = gguf.catalogModel(id: defaultName, path: file)
            }
            let name = id ?? defaultName
            guard !name.isEmpty, name.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || "._-".contains($0) })
            else {
                throw FitError.usage("--id \(name) must use letters, digits, '.', '_' or '-'")
            }
            guard let path = UserStore.defaultPath(environment: ProcessInfo.processInfo.environment) else {
                throw FitError.usage("no place for the user database: set HOME or FIT_DATA_DIR")
            }
            let store = try openUserStore()
            if try store.contains(name) {
                throw FitError.usage("\(name) is already imported; choose another with --id")
            }
            let catalog = try catalogOptions.load()
            if catalog.models.contains(where: { $0.id == name }) {
                throw FitError.usage("\(name) is already a catalog model; choose another with --id")
            }
            var entry = model
            entry.id = name
            try store.add([entry], from: file, at: ISO8601DateFormatter().string(from: Date()))
            print(
                "imported \(name): \(entry.family), \(entry.architecture.layers) layers, \(entry.quants.first?.scheme.rawValue ?? "-"), \(ByteCount(entry.quants.first?.bytes ?? 0)) (into \(path))"
            )
        }
    }

}
