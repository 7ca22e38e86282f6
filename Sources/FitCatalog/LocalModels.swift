import FitCore
import Foundation

/// Models already on disk: the Hugging Face cache, LM Studio's and llama.cpp's folders, and
/// Ollama's blob store. Only headers are read.
public struct LocalModelScanner: Sendable {
    public struct Found: Codable, Sendable, Equatable {
        public var location: String  // "huggingface", "lmstudio", "ollama", "llama.cpp", "path"
        public var path: String
        /// What the location calls it: an HF repo id, an Ollama tag, a file name.
        public var name: String
        public var architecture: String?
        public var quant: String?
        public var bytes: Int64?
        /// The catalog entry it matches, if any.
        public var catalogModel: String?
        public var problem: String?
    }

    public var roots: [(location: String, path: String)]

    public init(roots: [(location: String, path: String)]) { self.roots = roots }

    /// The usual places, from the environment.
    public static func defaultRoots(environment env: [String: String]) -> [(location: String, path: String)] {
        let home = env["HOME"] ?? ""
        let hf = env["HF_HUB_CACHE"] ?? ((env["HF_HOME"] ?? home + "/.cache/huggingface") + "/hub")
        return [
            ("huggingface", hf),
            ("lmstudio", home + "/.lmstudio/models"),
            ("lmstudio", home + "/.cache/lm-studio/models"),
            ("ollama", env["OLLAMA_MODELS"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.ollama/models"),
            ("llama.cpp", env["LLAMA_CACHE"] ?? home + "/.cache/llama.cpp"),
        ]
    }

    /// Every model found, with what could not be read stated rather than thrown.
    public func scan(resolver: ModelResolver) -> (found: [Found], warnings: [String]) {
        var found: [Found] = []
        var warnings: [String] = []
        let fm = FileManager.default
        for (location, root) in roots {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else { continue }
            guard fm.isReadableFile(atPath: root) else {
                warnings.append("\(root) cannot be read; skipped")
                continue
            }
            if location == "ollama" {
                found += ollama(root, resolver: resolver, warnings: &warnings)
                continue
            }
            guard let walker = fm.enumerator(atPath: root) else {
                warnings.append("\(root) cannot be listed; skipped")
                continue
            }
            while let rel = walker.nextObject() as? String {
                guard rel.lowercased().hasSuffix(".gguf") else { continue }
                // split models: only the first part describes the whole
                if rel.range(of: #"-\d{5}-of-\d{5}\.gguf$"#, options: .regularExpression) != nil,
                    !rel.contains("-00001-of-")
                {
                    continue
                }
                let path = root + "/" + rel
                var name = (rel as NSString).lastPathComponent
                if location == "huggingface", let repo = rel.split(separator: "/").first, repo.hasPrefix("models--") {
                    name = repo.dropFirst(8).replacingOccurrences(of: "--", with: "/")
                }
                found.append(entry(location: location, path: path, name: name, resolver: resolver))
            }
        }
        return (found, warnings)
    }

    /// Ollama: manifests/<registry>/<namespace>/<model>/<tag> name a blob whose media type is the model.
    func ollama(_ root: String, resolver: ModelResolver, warnings: inout [String]) -> [Found] {
        let fm = FileManager.default
        let manifests = root + "/manifests"
        guard let walker = fm.enumerator(atPath: manifests) else { return [] }
        var out: [Found] = []
        while let rel = walker.nextObject() as? String {
            let path = manifests + "/" + rel
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let parts = rel.split(separator: "/")
            guard parts.count >= 2 else { continue }
            let tag = "\(parts[parts.count - 2]):\(parts[parts.count - 1])"
            guard let data = fm.contents(atPath: path),
                let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                let layers = json["layers"] as? [[String: Any]],
                let digest = layers.first(where: {
                    ($0["mediaType"] as? String) == "application/vnd.ollama.image.model"
                })?["digest"] as? String
            else {
                warnings.append("\(path) is not an Ollama manifest fit can read; skipped")
                continue
            }
            let blob = root + "/blobs/" + digest.replacingOccurrences(of: ":", with: "-")
            out.append(entry(location: "ollama", path: blob, name: tag, resolver: resolver))
        }
        return out
    }

    func entry(location: String, path: String, name: String, resolver: ModelResolver) -> Found {
        var f = Found(location: location, path: path, name: name)
        do {
            let m = try GGUFLoader.model(at: path)
            f.architecture = m.architectureName
            f.quant = m.fileType
            f.bytes = m.weights.fileTensorBytes
            f.catalogModel = Self.match(name: name, gguf: m, resolver: resolver)
        } catch {
            f.problem = error.reason
        }
        return f
    }

    /// By the name the location uses (Ollama tag, HF repo id, file name without the quant), then
    /// by the model's own `general.name`.
    static func match(name: String, gguf: GGUFModel, resolver: ModelResolver) -> String? {
        var candidates = [name]
        let stem = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
        candidates.append(stem)
        if let q = gguf.fileType {
            candidates.append(stem.replacingOccurrences(of: "-" + q, with: "", options: .caseInsensitive))
        }
        for suffix in ["-GGUF", "-gguf"] { candidates.append(name.replacingOccurrences(of: suffix, with: "")) }
        if let n = gguf.name { candidates.append(n) }
        for c in candidates {
            if case .found(let m, _) = resolver.resolve(c) { return m.id }
        }
        return nil
    }
}
