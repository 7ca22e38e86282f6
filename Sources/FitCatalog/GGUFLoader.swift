import FitCore
import Foundation

/// Reads GGUF headers from disk: the first few MB of each file, grown only as far as the parser
/// asks and never past the file's size, so even a 400 GB model costs a few MB of reading.
public enum GGUFLoader {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Headers are metadata plus the tensor table; tokenizers make them a few MB. Beyond this the
    /// file is not a model fit can plan.
    static let maxHeader = 256 << 20

    public static func model(at path: String) throws(Failure) -> GGUFModel {
        let paths = try parts(of: path)
        var files: [GGUFFile] = []
        for p in paths { files.append(try header(of: p)) }
        do { return try GGUFModel(parts: files) } catch { throw Failure(path: path, reason: error.description) }
    }

    /// `name-00001-of-00003.gguf` -> all three parts, checked to exist.
    static func parts(of path: String) throws(Failure) -> [String] {
        try regularFile(path)
        let name = (path as NSString).lastPathComponent
        guard let r = name.range(of: #"-(\d{5})-of-(\d{5})\.gguf$"#, options: .regularExpression) else { return [path] }
        let suffix = name[r]
        // "-00001-of-00003.gguf" -> ["00001", "of", "00003.gguf"]
        let parts = suffix.split(separator: "-")
        guard parts.count == 3, let total = Int(parts[2].prefix(5)), total >= 1, total <= 999 else { return [path] }
        let stem = String(name[..<r.lowerBound])
        let dir = path.parentFolder
        return try (1...total).map { i throws(Failure) in
            let p = (dir.isEmpty ? "" : dir + "/") + stem + String(format: "-%05d-of-%05d.gguf", i, total)
            guard FileManager.default.fileExists(atPath: p) else {
                throw Failure(path: path, reason: "part \(i) of \(total) is missing (\(p)); download every part")
            }
            try regularFile(p)
            return p
        }
    }

    /// A GGUF must be a regular file (links followed): opening a FIFO would wait forever, and a
    /// folder or a device is no model.
    static func regularFile(_ path: String) throws(Failure) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw Failure(path: path, reason: "no such file; give the path of a .gguf model file")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR:
            throw Failure(path: path, reason: "is a folder, not a GGUF file; give the path of a .gguf model file")
        default:
            throw Failure(
                path: path, reason: "is not a regular file (a FIFO or a device); give the path of a .gguf model file")
        }
    }

    static func header(of path: String) throws(Failure) -> GGUFFile {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Failure(path: path, reason: "cannot be read (permissions?)")
        }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var want = min(8 << 20, max(size, 24))
        while true {
            try? handle.seek(toOffset: 0)
            let data = (try? handle.read(upToCount: want)) ?? Data()
            do {
                return try GGUFReader.parse([UInt8](data))
            } catch .truncated(let need) {
                if data.count >= size || need > maxHeader {
                    throw Failure(
                        path: path,
                        reason: GGUFError.truncated(needAtLeast: need).description
                            + (need > maxHeader ? " or its header is absurdly large" : ""))
                }
                want = min(max(need + (1 << 20), want * 2), size)
            } catch {
                throw Failure(path: path, reason: error.description)
            }
        }
    }
}
