import Foundation

/// What a child process printed and how it ended.
public struct ChildOutput: Sendable {
    public var stdout: String
    public var stderr: String
    public var status: Int32
    /// The child's process id (free again once it ended, until the kernel reuses it).
    public var pid: Int32
}

/// Runs a program to its end without holding a thread of the cooperative pool: output goes to
/// files (nothing blocks however much it prints) and the exit is awaited through the termination
/// handler, not `waitUntilExit`. A blocked pool thread would stall every other test on a 2-core
/// machine, the runner tests' children among them.
public func runChild(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil
) async throws -> ChildOutput {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-child-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("out")
    let errURL = dir.appendingPathComponent("err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    let status: Int32 = try await withCheckedThrowingContinuation { done in
        p.terminationHandler = { done.resume(returning: $0.terminationStatus) }
        do { try p.run() } catch {
            p.terminationHandler = nil
            done.resume(throwing: error)
        }
    }
    try out.close()
    try err.close()
    return ChildOutput(
        stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
        status: status, pid: p.processIdentifier)
}
