import FitCore
import Foundation
import Yams

/// Reads the bundled agent tasks (Catalog/agent-tasks/*.yaml), checking each.
public enum AgentTaskLoader {
    struct File: Decodable { var tasks: [AgentTask] }

    public static func load(directory: URL) throws -> [AgentTask] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
            $0.hasSuffix(".yaml")
        }.sorted()
        guard !names.isEmpty else {
            throw CatalogError.unreadable(path: directory.path, reason: "it holds no agent task files (*.yaml)")
        }
        var tasks: [AgentTask] = []
        var issues: [CatalogIssue] = []
        for name in names {
            let file = "Catalog/agent-tasks/" + name
            guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else {
                throw CatalogError.unreadable(
                    path: directory.appendingPathComponent(name).path, reason: "the file cannot be read")
            }
            do { tasks += try YAMLDecoder().decode(File.self, from: text).tasks } catch let e as DecodingError {
                let (field, problem) = CatalogParser.describe(e)
                issues.append(CatalogIssue(file: file, entry: "-", field: field, problem: problem))
            } catch {
                issues.append(CatalogIssue(file: file, entry: "-", field: "-", problem: CatalogParser.oneLine(error)))
            }
        }
        var ids: Set<String> = []
        for t in tasks {
            func bad(_ f: String, _ p: String) {
                issues.append(CatalogIssue(file: "Catalog/agent-tasks", entry: t.id, field: f, problem: p))
            }
            if !ids.insert(t.id).inserted { bad("id", "duplicate id") }
            if !["basic", "intermediate", "advanced"].contains(t.tier) {
                bad("tier", "must be basic, intermediate or advanced, got `\(t.tier)`")
            }
            if (t.checks ?? []).isEmpty && t.answer == nil { bad("checks", "a task needs checks or an answer") }
            if t.maxTurns < 1 { bad("maxTurns", "must be at least 1") }
            if t.commands.isEmpty { bad("commands", "needs at least a fallback rule (match: \"\")") }
            for c in t.checks ?? []
            where !t.files.keys.contains(c.file) && c.contains == nil && c.matches == nil && c.notContains == nil {
                bad("checks", "a check on \(c.file) says nothing (contains, notContains or matches)")
            }
        }
        guard issues.isEmpty else { throw CatalogError.invalid(issues) }
        return tasks
    }
}
