import ArgumentParser
import FitCatalog
import FitCore
import FitProbe
import Foundation

/// The `fit` command tree. `fit` alone (or `fit list`) answers "what runs here at this context".
public struct FitCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Which local LLM fits on this machine, at the context you need, and why.",
        discussion: """
            Examples:
              fit --ctx 64k                  what runs here at 64k context
              fit plan qwen3-coder:30b       memory breakdown of one model
              fit probe --json > box.json    save this machine; `fit --machine box.json` replays it
            """,
        version: "0.1.0",
        subcommands: [
            ListCommand.self, PlanCommand.self, ChooseCommand.self, BenchCommand.self, ReportCommand.self,
            FleetCommand.self, ProbeCommand.self, CatalogCommand.self, ValidateCommand.self,
        ],
        defaultSubcommand: ListCommand.self)

    public init() {}

    /// Runs `fit` with `arguments` and returns the process exit code. Every failure is one line on
    /// standard error: what was wrong with which input, and what to do; never a stack trace.
    public static func run(_ arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as FitError {
            printError(error.sentence)
            return error.exitCode
        } catch let error as CatalogError {
            printError(error.description)
            return 65
        } catch {
            let code = exitCode(for: error).rawValue
            if code == 0 {
                print(fullMessage(for: error))
                return 0
            }
            let message = self.message(for: error)
                .split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") && !$0.hasPrefix("Help:") }
                .joined(separator: " ")
            printError(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message + " (see `fit --help`)")
            return code == 1 ? 1 : 64
        }
    }

    static func printError(_ line: String) {
        // One line, whatever a file or a server put in the message.
        var safe = TerminalText.safe(line).replacingOccurrences(of: "\n", with: "\\n")
        // A 100,000-character argument is not echoed whole.
        if safe.count > 1000 {
            safe = String(safe.prefix(600)) + " [\(safe.count - 800) characters left out] " + String(safe.suffix(200))
        }
        FileHandle.standardError.write(Data(("fit: " + safe + "\n").utf8))
    }
}

/// An error with one sentence for the user and an exit code (64: bad usage, 65: bad data, 1: other).
public struct FitError: Error, Equatable {
    public var sentence: String
    public var exitCode: Int32
    public static func usage(_ s: String) -> FitError { FitError(sentence: s, exitCode: 64) }
    public static func data(_ s: String) -> FitError { FitError(sentence: s, exitCode: 65) }
}
