import FitCore
import Foundation
import Yams

/// Parses Catalog/cloud/*.yaml and Catalog/results/*.yaml, checking every reference.
enum EvidenceParser {
    /// Decodes the list under `key`; each bad entry becomes `file: entry: field: problem`.
    static func list<T: Decodable>(_ type: T.Type, key: String, yaml: String, file: String, name: (Node, Int) -> String)
        -> ([T], [CatalogIssue])
    {
        var issues: [CatalogIssue] = []
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            return (
                [],
                [
                    CatalogIssue(
                        file: file, entry: "-", field: "-", problem: "not valid YAML: \(CatalogParser.oneLine(error))")
                ]
            )
        }
        guard let items = root?.mapping?[key]?.sequence else {
            return ([], [CatalogIssue(file: file, entry: "-", field: key, problem: "is required and must be a list")])
        }
        var out: [T] = []
        for (i, node) in items.enumerated() {
            do { out.append(try YAMLDecoder().decode(T.self, from: node)) } catch let e as DecodingError {
                let (field, problem) = CatalogParser.describe(e)
                issues.append(CatalogIssue(file: file, entry: name(node, i), field: field, problem: problem))
            } catch {
                issues.append(
                    CatalogIssue(file: file, entry: name(node, i), field: "-", problem: CatalogParser.oneLine(error)))
            }
        }
        return (out, issues)
    }

    static func entryName(_ node: Node, _ i: Int) -> String {
        node.mapping?["id"]?.string
            ?? "#\(i + 1) \(node.mapping?["modelName"]?.string ?? node.mapping?["name"]?.string ?? "")"
    }

    static func isPriceDate(_ s: String) -> Bool {
        let p = s.split(separator: "-")
        guard p.count == 2 || p.count == 3, p[0].count == 4, Int(p[0]) != nil, let m = Int(p[1]), (1...12).contains(m)
        else { return false }
        return p.count == 2 || (Int(p[2]).map { (1...31).contains($0) } ?? false)
    }

    /// Checks cloud entries and every result's references against the models and hardware.
    /// Parses Catalog/tiers/*.yaml: the tiers and the rules that turn evidence into estimates.
    static func tiers(yaml: String, file: String) -> (TierBook?, [CatalogIssue]) {
        let book: TierBook
        do { book = try YAMLDecoder().decode(TierBook.self, from: yaml) } catch let e as DecodingError {
            let (field, problem) = CatalogParser.describe(e)
            return (nil, [CatalogIssue(file: file, entry: "-", field: field, problem: problem)])
        } catch {
            return (
                nil,
                [
                    CatalogIssue(
                        file: file, entry: "-", field: "-", problem: "not valid YAML: \(CatalogParser.oneLine(error))")
                ]
            )
        }
        var issues: [CatalogIssue] = []
        var ids: Set<String> = []
        if book.tiers.isEmpty {
            issues.append(CatalogIssue(file: file, entry: "-", field: "tiers", problem: "must list at least one tier"))
        }
        for t in book.tiers {
            func bad(_ f: String, _ p: String) {
                issues.append(CatalogIssue(file: file, entry: t.id, field: f, problem: p))
            }
            if !ids.insert(t.id).inserted { bad("id", "duplicate id") }
            if !(t.adequateSuccess > 0 && t.adequateSuccess < 1) {
                bad("adequateSuccess", "must be between 0 and 1, got \(t.adequateSuccess)")
            }
            if !(t.maxMinutes > 0) { bad("maxMinutes", "must be positive, got \(t.maxMinutes)") }
            let c = t.context
            for (name, v) in [
                ("systemPrompt", c.systemPrompt), ("toolSchemas", c.toolSchemas), ("filesRead", c.filesRead),
                ("history", c.history), ("outputReserve", c.outputReserve), ("harnessOverhead", c.harnessOverhead),
            ] where v < 0 {
                bad("context.\(name)", "must not be negative, got \(v)")
            }
            let b = t.budget
            if b.turns < 1 { bad("budget.turns", "must be at least 1, got \(b.turns)") }
            if b.outputTokens < 1 { bad("budget.outputTokens", "must be at least 1, got \(b.outputTokens)") }
            if b.uniqueInputTokens < 1 || b.uniqueInputTokens > b.promptTokens {
                bad(
                    "budget.uniqueInputTokens",
                    "must be between 1 and promptTokens (\(b.promptTokens)), got \(b.uniqueInputTokens)")
            }
        }
        if !(book.priorRuns >= 0) {
            issues.append(CatalogIssue(file: file, entry: "-", field: "priorRuns", problem: "must not be negative"))
        }
        if !(book.otherConditionWeight >= 0 && book.otherConditionWeight <= 1) {
            issues.append(
                CatalogIssue(file: file, entry: "-", field: "otherConditionWeight", problem: "must be between 0 and 1"))
        }
        return (book, issues)
    }

    static func validate(
        cloud: [(String, CloudModel)], results: [(String, Int, Any)], models: Set<String>, hardware: Set<String>,
        tiers: Set<String>? = nil
    ) -> [CatalogIssue] {
        var issues: [CatalogIssue] = []
        var ids: Set<String> = []
        for (file, c) in cloud {
            func bad(_ f: String, _ p: String) {
                issues.append(CatalogIssue(file: file, entry: c.id, field: f, problem: p))
            }
            if !ids.insert(c.id).inserted { bad("id", "duplicate id") }
            if c.inputPerMTok < 0 { bad("inputPerMTok", "must not be negative, got \(c.inputPerMTok)") }
            if c.outputPerMTok < 0 { bad("outputPerMTok", "must not be negative, got \(c.outputPerMTok)") }
            if !isPriceDate(c.priceDate) {
                bad(
                    "priceDate",
                    "must be YYYY-MM or YYYY-MM-DD (prices change: say when this one held), got `\(c.priceDate)`")
            }
            if let o = c.openWeights, !models.contains(o) { bad("openWeights", "`\(o)` is not a catalog model id") }
        }
        let cloudIDs = ids
        for (file, i, r) in results {
            func check(_ model: String?, _ name: String, _ hw: String?) {
                let entry = "#\(i + 1) \(name)"
                if let m = model, !models.contains(m), !cloudIDs.contains(m) {
                    issues.append(
                        CatalogIssue(
                            file: file, entry: entry, field: "model",
                            problem: "`\(m)` is not a catalog model or cloud id"))
                }
                if let h = hw, !hardware.contains(h) {
                    issues.append(
                        CatalogIssue(
                            file: file, entry: entry, field: "hardware", problem: "`\(h)` is not a hardware id"))
                }
            }
            switch r {
            case let t as ThroughputResult:
                check(t.model, t.modelName, t.hardware)
                if !(t.tokensPerSecond > 0) {
                    issues.append(
                        CatalogIssue(
                            file: file, entry: "#\(i + 1) \(t.modelName)", field: "tokensPerSecond",
                            problem: "must be positive, got \(t.tokensPerSecond)"))
                }
            case let b as BenchmarkResult: check(b.model, b.modelName, nil)
            case let s as SeedResult:
                check(s.model, s.modelName, nil)
                if let t = s.tier {
                    let entry = "#\(i + 1) \(s.modelName)"
                    if let tiers, !tiers.contains(t) {
                        issues.append(
                            CatalogIssue(
                                file: file, entry: entry, field: "tier",
                                problem:
                                    "`\(t)` is not a tier in Catalog/tiers (\(tiers.sorted().joined(separator: ", ")))")
                        )
                    }
                    if s.runs == nil || (s.passes == nil && s.scorePercent == nil) {
                        issues.append(
                            CatalogIssue(
                                file: file, entry: entry, field: "tier",
                                problem: "tier runs need `runs` and `passes` (or `scorePercent`)"))
                    }
                    if let r = s.runs, let p = s.passes, p > r || p < 0 {
                        issues.append(
                            CatalogIssue(
                                file: file, entry: entry, field: "passes",
                                problem: "must be between 0 and runs (\(r)), got \(p)"))
                    }
                }
            default: break
            }
        }
        return issues
    }
}
