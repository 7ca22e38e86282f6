import FitCore
import Foundation
import Yams

/// One problem with one catalog entry, as `file: entry: field: problem`.
public struct CatalogIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var entry: String
    public var field: String
    public var problem: String
    public var description: String { "\(file): \(entry): \(field): \(problem)" }
}

public enum CatalogError: Error, Sendable, CustomStringConvertible {
    case invalid([CatalogIssue])
    case notFound(searched: [String])
    case unreadable(path: String, reason: String)
    case database(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let issues):
            let more =
                issues.count > 1
                ? " (and \(issues.count - 1) more problem\(issues.count > 2 ? "s" : ""); run `fit catalog check`)" : ""
            return (issues.first?.description ?? "catalog is invalid") + more
        case .notFound(let searched):
            return
                "no catalog found (looked in \(searched.joined(separator: ", "))); pass --catalog DIR or set FIT_CATALOG to the Catalog folder of the fit checkout"
        case .unreadable(let path, let reason):
            return "cannot read catalog file \(path): \(reason)"
        case .database(let path, let reason):
            return "catalog cache \(path) failed: \(reason); delete it and run fit again"
        }
    }
}

/// The YAML shape of a model entry (Catalog/README.md).
struct ModelEntry: Decodable {
    var id: String
    var name: String
    var family: String
    var released: String
    var license: String
    var aliases: [String]?
    var sources: [String]
    var notes: String?
    var architecture: ModelArchitecture
    var quants: [QuantEntry]?
    var builds: [BuildEntry]?

    struct BuildEntry: Decodable {
        var format: String
        var repo: String
        var bytes: Int64?
        var source: String
        var notes: String?
        static let fields: Set<String> = ["format", "repo", "bytes", "source", "notes"]
    }

    struct QuantEntry: Decodable {
        var name: String
        var bytes: Int64?
        var source: String?
    }

    static let fields: Set<String> = [
        "id", "name", "family", "released", "license", "aliases", "sources", "notes", "architecture", "quants",
        "builds",
    ]
    /// The architecture's fields and those of its nested structures, read from `ModelArchitecture`
    /// itself (its `Codable` keys): a new field is known here without a second list.
    static let architectureFields: Set<String> = derivedFields.fields
    static let nestedFields: [String: Set<String>] = derivedFields.nested
    private static let derivedFields = FieldNames.of(ModelArchitecture.self)
}

/// The YAML shape of a hardware entry (Catalog/README.md).
struct HardwareEntry: Decodable {
    var id: String, name: String, vendor: String
    var memoryGB: Double
    var nvidiaSmiMiB: Int?
    var memoryType: String
    var unifiedMemory: Bool
    var bandwidthGBs: Double
    var fp16TFLOPS: Double
    var powerW: Double?
    var dies: Int?
    var aliases: [String]?
    var source: String
    var notes: String?
    static let fields: Set<String> = [
        "id", "name", "vendor", "memoryGB", "nvidiaSmiMiB", "memoryType", "unifiedMemory",
        "bandwidthGBs", "fp16TFLOPS", "powerW", "dies", "aliases", "source", "notes",
    ]
}

/// Parses and validates catalog model files. Pure apart from its input text.
public enum CatalogParser {
    /// Parses one hardware file (`hardware:` list).
    public static func parseHardware(yaml text: String, file: String) -> (specs: [HardwareSpec], issues: [CatalogIssue])
    {
        var issues: [CatalogIssue] = []
        func issue(_ entry: String, _ field: String, _ problem: String) {
            issues.append(CatalogIssue(file: file, entry: entry, field: field, problem: problem))
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            issue("-", "-", "not valid YAML: \(oneLine(error))")
            return ([], issues)
        }
        guard let list = root?.mapping?["hardware"]?.sequence else {
            issue("-", "hardware", "is required and must be a list of hardware entries")
            return ([], issues)
        }
        var specs: [HardwareSpec] = []
        for (index, node) in list.enumerated() {
            let name = node.mapping?["id"]?.string ?? "entry #\(index + 1)"
            for key in node.mapping?.keys.compactMap(\.string) ?? [] where !HardwareEntry.fields.contains(key) {
                issue(name, key, "unknown field (known: \(HardwareEntry.fields.sorted().joined(separator: ", ")))")
            }
            do {
                let e = try YAMLDecoder().decode(HardwareEntry.self, from: node)
                let before = issues.count
                guard let vendor = GPUVendor(rawValue: e.vendor), [.nvidia, .amd, .intel, .apple].contains(vendor)
                else {
                    issue(e.id, "vendor", "must be nvidia, amd, intel or apple, got `\(e.vendor)`")
                    continue
                }
                if e.memoryGB < 0 || (e.memoryGB == 0 && !e.unifiedMemory) {
                    issue(e.id, "memoryGB", "must be positive, got \(e.memoryGB)")
                }
                if e.bandwidthGBs <= 0 { issue(e.id, "bandwidthGBs", "must be positive, got \(e.bandwidthGBs)") }
                if e.fp16TFLOPS <= 0 { issue(e.id, "fp16TFLOPS", "must be positive, got \(e.fp16TFLOPS)") }
                if e.source.isEmpty { issue(e.id, "source", "must say where the numbers come from") }
                if let m = e.nvidiaSmiMiB, m <= 0 { issue(e.id, "nvidiaSmiMiB", "must be positive, got \(m)") }
                if let w = e.powerW, w <= 0 { issue(e.id, "powerW", "must be positive watts, got \(w)") }
                if let d = e.dies, d < 1 { issue(e.id, "dies", "must be at least 1, got \(d)") }
                if issues.count == before {
                    specs.append(
                        HardwareSpec(
                            id: e.id, name: e.name, vendor: vendor, memoryGB: e.memoryGB, nvidiaSmiMiB: e.nvidiaSmiMiB,
                            memoryType: e.memoryType, unifiedMemory: e.unifiedMemory, bandwidthGBs: e.bandwidthGBs,
                            fp16TFLOPS: e.fp16TFLOPS, aliases: e.aliases ?? [], source: e.source, notes: e.notes))
                    specs[specs.count - 1].powerW = e.powerW
                    specs[specs.count - 1].dies = e.dies
                }
            } catch let error as DecodingError {
                let (field, problem) = describe(error)
                issue(name, field, problem)
            } catch {
                issue(name, "-", oneLine(error))
            }
        }
        var seen: [String: String] = [:]
        for s in specs {
            for n in [s.id] + s.aliases {
                let k = n.lowercased()
                if let owner = seen[k], owner != s.id { issue(s.id, "aliases", "`\(n)` already names \(owner)") }
                seen[k] = s.id
            }
        }
        return (specs, issues)
    }

    /// Parses one file's text; `file` names it in problems. Returns the models and every problem found.
    public static func parseModels(yaml text: String, file: String) -> (models: [CatalogModel], issues: [CatalogIssue])
    {
        var issues: [CatalogIssue] = []
        func issue(_ entry: String, _ field: String, _ problem: String) {
            issues.append(CatalogIssue(file: file, entry: entry, field: field, problem: problem))
        }
        let root: Node
        do {
            guard let r = try Yams.compose(yaml: text) else {
                issue("-", "-", "file is empty; expected `schema: 1` and a `models:` list")
                return ([], issues)
            }
            root = r
        } catch {
            issue("-", "-", "not valid YAML: \(oneLine(error))")
            return ([], issues)
        }
        guard let top = root.mapping else {
            issue("-", "-", "expected a mapping with `schema` and `models`")
            return ([], issues)
        }
        if let schema = top["schema"]?.int, schema != 1 {
            issue("-", "schema", "unsupported schema \(schema); this fit reads schema 1")
        }
        guard let list = top["models"]?.sequence else {
            issue("-", "models", "is required and must be a list of model entries")
            return ([], issues)
        }
        var models: [CatalogModel] = []
        for (index, node) in list.enumerated() {
            let entryName = node.mapping?["id"]?.string ?? "entry #\(index + 1)"
            guard let mapping = node.mapping else {
                issue(entryName, "-", "must be a mapping")
                continue
            }
            for key in mapping.keys.compactMap(\.string) where !ModelEntry.fields.contains(key) {
                issue(entryName, key, "unknown field (known: \(ModelEntry.fields.sorted().joined(separator: ", ")))")
            }
            if let arch = mapping["architecture"]?.mapping {
                for key in arch.keys.compactMap(\.string) {
                    if !ModelEntry.architectureFields.contains(key) {
                        issue(entryName, "architecture.\(key)", "unknown field")
                    } else if let allowed = ModelEntry.nestedFields[key], let nested = arch[key]?.mapping {
                        for k in nested.keys.compactMap(\.string) where !allowed.contains(k) {
                            issue(
                                entryName, "architecture.\(key).\(k)",
                                "unknown field (known: \(allowed.sorted().joined(separator: ", ")))")
                        }
                    }
                }
            }
            for (i, b) in (mapping["builds"]?.sequence ?? []).enumerated() {
                for k in b.mapping?.keys.compactMap(\.string) ?? [] where !ModelEntry.BuildEntry.fields.contains(k) {
                    issue(
                        entryName, "builds[\(i)].\(k)",
                        "unknown field (known: \(ModelEntry.BuildEntry.fields.sorted().joined(separator: ", ")))")
                }
            }
            let entry: ModelEntry
            do {
                entry = try YAMLDecoder().decode(ModelEntry.self, from: node)
            } catch let error as DecodingError {
                let (field, problem) = describe(error)
                issue(entryName, field, problem)
                continue
            } catch {
                issue(entryName, "-", oneLine(error))
                continue
            }
            let before = issues.count
            let model = validate(entry, report: { issue(entry.id, $0, $1) })
            if issues.count == before, let model { models.append(model) }
        }
        return (models, issues)
    }

    /// Checks across files: ids and aliases unique, aliases not shadowing ids.
    public static func crossCheck(_ models: [(file: String, model: CatalogModel)]) -> [CatalogIssue] {
        var issues: [CatalogIssue] = []
        var ids: [String: String] = [:]
        var names: [String: String] = [:]  // lowercased alias or id -> owner id
        for (file, m) in models {
            if let other = ids[m.id] {
                issues.append(
                    CatalogIssue(file: file, entry: m.id, field: "id", problem: "duplicate id (also in \(other))"))
            }
            ids[m.id] = file
        }
        for (_, m) in models { names[m.id.lowercased()] = m.id }
        for (file, m) in models {
            for alias in m.aliases {
                let key = alias.lowercased()
                if let owner = names[key], owner != m.id {
                    issues.append(
                        CatalogIssue(
                            file: file, entry: m.id, field: "aliases", problem: "`\(alias)` already names \(owner)"))
                }
                names[key] = m.id
            }
        }
        return issues
    }

    static func validate(_ e: ModelEntry, report: (String, String) -> Void) -> CatalogModel? {
        let idOK =
            !e.id.isEmpty
            && e.id.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "-" }
        if !idOK { report("id", "must match [a-z0-9.-]+, got `\(e.id)`") }
        if e.name.isEmpty { report("name", "must not be empty") }
        if !isDate(e.released) { report("released", "must be a date YYYY-MM-DD, got `\(e.released)`") }
        if e.sources.isEmpty { report("sources", "needs at least one source for the architecture facts") }
        let a = e.architecture
        var reported: Set<String> = []
        func positive(_ v: Int, _ f: String) {
            if v <= 0 {
                reported.insert(f)
                report("architecture.\(f)", "must be a positive integer, got \(v)")
            }
        }
        defer {
            // The ranges every model source is held to (FitCore/Plausibility.swift): a value that
            // passes here cannot overflow the planner.
            for p in a.problems where !reported.contains(p.field) {
                report("architecture.\(p.field)", p.what.map { "gives \(p.described(as: $0))" } ?? p.predicate)
            }
        }
        positive(a.layers, "layers")
        positive(a.hiddenSize, "hiddenSize")
        positive(a.heads, "heads")
        positive(a.kvHeads, "kvHeads")
        positive(a.headDim, "headDim")
        positive(a.vocabSize, "vocabSize")
        positive(a.contextLength, "contextLength")
        if let v = a.valueHeadDim { positive(v, "valueHeadDim") }
        if a.ffnSize < 0 { report("architecture.ffnSize", "must be zero or positive, got \(a.ffnSize)") }
        if a.kvHeads > 0, a.heads % a.kvHeads != 0, a.mla == nil {
            report("architecture.kvHeads", "must divide heads (\(a.heads)), got \(a.kvHeads)")
        }
        if let moe = a.moe {
            positive(moe.experts, "moe.experts")
            positive(moe.activeExperts, "moe.activeExperts")
            positive(moe.expertFfnSize, "moe.expertFfnSize")
            if moe.activeExperts > moe.experts {
                report("architecture.moe.activeExperts", "must not exceed experts (\(moe.experts))")
            }
            if (moe.leadingDenseLayers ?? 0) > 0, a.ffnSize <= 0 {
                report("architecture.ffnSize", "must be positive when moe.leadingDenseLayers > 0")
            }
        } else if a.ffnSize <= 0 {
            report("architecture.ffnSize", "must be positive for a dense model, got \(a.ffnSize)")
        }
        if let sw = a.slidingWindow {
            positive(sw.window, "slidingWindow.window")
            positive(sw.globalEvery, "slidingWindow.globalEvery")
            if let g = sw.globalKvHeads { positive(g, "slidingWindow.globalKvHeads") }
            if let g = sw.globalHeadDim { positive(g, "slidingWindow.globalHeadDim") }
        }
        if let m = a.mla {
            positive(m.kvLoraRank, "mla.kvLoraRank")
            positive(m.qkRopeHeadDim, "mla.qkRopeHeadDim")
            positive(m.qkNopeHeadDim, "mla.qkNopeHeadDim")
            positive(m.vHeadDim, "mla.vHeadDim")
        }
        if let la = a.linearAttention {
            positive(la.fullAttentionEvery, "linearAttention.fullAttentionEvery")
            positive(la.keyHeads, "linearAttention.keyHeads")
            positive(la.valueHeads, "linearAttention.valueHeads")
            positive(la.keyHeadDim, "linearAttention.keyHeadDim")
            positive(la.valueHeadDim, "linearAttention.valueHeadDim")
            positive(la.convKernel, "linearAttention.convKernel")
        }
        var builds: [QuantBuild] = []
        for (i, q) in (e.quants ?? []).enumerated() {
            guard let scheme = QuantScheme.named(q.name) else {
                report(
                    "quants[\(i)].name",
                    "unknown quant `\(q.name)` (known: \(QuantScheme.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
                continue
            }
            if let b = q.bytes, b <= 0 || b > 1 << 52 {
                report("quants[\(i)].bytes", "must be a byte count from 1 to 4 PiB, got \(b)")
            }
            if q.bytes != nil, (q.source ?? "").isEmpty {
                report("quants[\(i)].source", "is required when bytes is given")
            }
            if builds.contains(where: { $0.scheme == scheme }) {
                report("quants[\(i)].name", "`\(q.name)` is listed twice")
            }
            builds.append(QuantBuild(scheme: scheme, bytes: q.bytes, source: q.source))
        }
        if e.quants == nil { builds = CatalogModel.defaultQuants.map { QuantBuild(scheme: $0) } }
        if builds.isEmpty { report("quants", "must list at least one quant, or be omitted for the default list") }
        var safetensors: [SafetensorsBuild] = []
        for (i, b) in (e.builds ?? []).enumerated() {
            if SafetensorsFormat.named(b.format) == nil {
                report(
                    "builds[\(i)].format",
                    "unknown format `\(b.format)` (known: \(SafetensorsFormat.catalogNames.map(\.name).joined(separator: ", ")))"
                )
            }
            let parts = b.repo.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count != 2 || parts.contains(where: \.isEmpty) || b.repo.contains(" ") {
                report("builds[\(i)].repo", "must be a Hugging Face repo id like org/name, got `\(b.repo)`")
            }
            if b.source.trimmingCharacters(in: .whitespaces).isEmpty {
                report("builds[\(i)].source", "must say where the repo was seen")
            }
            if let n = b.bytes, n <= 0 || n > 1 << 52 {
                report("builds[\(i)].bytes", "must be a byte count from 1 to 4 PiB, got \(n)")
            }
            if safetensors.contains(where: { $0.repo.lowercased() == b.repo.lowercased() }) {
                report("builds[\(i)].repo", "`\(b.repo)` is listed twice")
            }
            safetensors.append(
                SafetensorsBuild(
                    format: SafetensorsFormat.catalogNames.first { $0.name.lowercased() == b.format.lowercased() }?.name
                        ?? b.format,
                    repo: b.repo, bytes: b.bytes, source: b.source, notes: b.notes))
        }
        return CatalogModel(
            id: e.id, name: e.name, family: e.family, released: e.released, license: e.license,
            aliases: e.aliases ?? [], sources: e.sources, notes: e.notes, architecture: a, quants: builds,
            builds: safetensors)
    }

    static func isDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let m = Int(parts[1]), let d = Int(parts[2]), Int(parts[0]) != nil
        else { return false }
        return (1...12).contains(m) && (1...31).contains(d)
    }

    static func describe(_ error: DecodingError) -> (field: String, problem: String) {
        func path(_ p: [any CodingKey]) -> String {
            let parts = p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            var s = ""
            for part in parts { s += part.hasPrefix("[") || s.isEmpty ? part : "." + part }
            return s.isEmpty ? "-" : s
        }
        switch error {
        case .typeMismatch(let type, let ctx):
            return (path(ctx.codingPath), "must be \(typeName(type))")
        case .valueNotFound(let type, let ctx):
            return (path(ctx.codingPath), "is empty; expected \(typeName(type))")
        case .keyNotFound(let key, let ctx):
            return (path(ctx.codingPath + [key]), "is required")
        case .dataCorrupted(let ctx):
            // Not YAML at all: Yams's own error says where (line:column) and what.
            if ctx.codingPath.isEmpty, let yaml = ctx.underlyingError {
                // Its first line (`5:8: error: scanner: ...`); the excerpt after it is the file's own text.
                let first = String(describing: yaml).split(separator: "\n").first.map(String.init) ?? "\(yaml)"
                return ("-", "not valid YAML: \(oneLine(first))")
            }
            return (
                path(ctx.codingPath),
                "must be \(ctx.debugDescription.lowercased().contains("int") ? "an integer" : "valid"): \(oneLine(ctx.debugDescription))"
            )
        @unknown default:
            return ("-", oneLine(error))
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is [String].Type: "a list of strings"
        default: "a \(type)"
        }
    }

    static func oneLine(_ e: Any) -> String {
        String(describing: e).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
