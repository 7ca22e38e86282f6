import FitCore
import Foundation

/// A model name the way Ollama spells it: `[host/][namespace/]model[:tag]`. A bare name is
/// `registry.ollama.ai/library/NAME:latest`, as `ollama pull` reads it; `hf.co/USER/REPO:QUANT`
/// is a GGUF repo on the Hugging Face Hub with the quant as its tag.
public struct OllamaName: Sendable, Equatable, CustomStringConvertible {
    public static let defaultHost = "registry.ollama.ai"
    public var host: String
    public var namespace: String
    public var model: String
    public var tag: String

    public init(host: String = defaultHost, namespace: String = "library", model: String, tag: String = "latest") {
        self.host = host
        self.namespace = namespace
        self.model = model
        self.tag = tag
    }

    /// Nil for what is not an Ollama name: a path, a URL of another site, empty parts, characters
    /// Ollama does not allow (letters, digits, `_`, `-`, `.`; a tag at most 80 of them).
    public static func parse(_ text: String) -> OllamaName? {
        var s = text.trimmingCharacters(in: .whitespaces)
        for scheme in ["https://", "http://"] where s.lowercased().hasPrefix(scheme) { s.removeFirst(scheme.count) }
        if s.lowercased().hasPrefix("ollama.com/") { s = defaultHost + "/" + s.dropFirst("ollama.com/".count) }
        if s.lowercased().hasPrefix("huggingface.co/") { s = "hf.co/" + s.dropFirst("huggingface.co/".count) }
        guard !s.isEmpty, s.count <= 350, !s.contains("@"), !s.hasPrefix("/"), !s.hasPrefix(".") else { return nil }
        var tag = "latest"
        if let colon = s.lastIndex(of: ":"), !s[colon...].contains("/") {
            tag = String(s[s.index(after: colon)...])
            s = String(s[..<colon])
        }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let word = { (w: String, max: Int) in
            !w.isEmpty && w.count <= max && w.first != "-" && w.first != "."
                && w.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
        }
        guard word(tag, 80), parts.allSatisfy({ word($0, 96) }), !s.contains("..") else { return nil }
        switch parts.count {
        case 1: return OllamaName(model: parts[0], tag: tag)
        case 2: return OllamaName(namespace: parts[0], model: parts[1], tag: tag)
        case 3:
            guard parts[0].contains(".") || parts[0].contains(":") else { return nil }
            return OllamaName(host: parts[0].lowercased(), namespace: parts[1], model: parts[2], tag: tag)
        default: return nil
        }
    }

    /// As `ollama list` prints it: `qwen3:8b`, `user/model:tag`, `hf.co/user/repo:Q4_K_M`.
    public var description: String {
        let path =
            host == Self.defaultHost
            ? (namespace == "library" ? model : "\(namespace)/\(model)") : "\(host)/\(namespace)/\(model)"
        return "\(path):\(tag)"
    }

    /// A name on the Hugging Face Hub (`hf.co/USER/REPO`), read through the Hub's API instead.
    public var isHub: Bool { host == "hf.co" || host == "huggingface.co" }
}

/// An Ollama manifest: the layers of one tag. The model layer is a GGUF file (a blob named by its
/// digest); the projector is a vision model's; template, params and license are text.
public struct OllamaManifest: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public var mediaType: String
        public var digest: String
        public var size: Int64
    }
    public var layers: [Layer]

    public static let modelType = "application/vnd.ollama.image.model"
    public static let projectorType = "application/vnd.ollama.image.projector"

    public var model: Layer? { layers.first { $0.mediaType == Self.modelType } }
    public var projector: Layer? { layers.first { $0.mediaType == Self.projectorType } }

    /// At most 1 MiB of JSON and 1,000 layers; each digest `sha256:` and 64 hex digits; each size
    /// from 0 to 4 PiB.
    public static func parse(_ data: Data, what: String) throws(Hub.Failure) -> OllamaManifest {
        guard data.count <= 1 << 20 else {
            throw Hub.Failure(reason: "\(what): the manifest is \(data.count) bytes; an Ollama manifest is a few KB")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let layers = root["layers"] as? [[String: Any]]
        else { throw Hub.Failure(reason: "\(what): the manifest is not Ollama's JSON (no \"layers\" list)") }
        guard layers.count <= 1_000 else {
            throw Hub.Failure(reason: "\(what): the manifest lists \(layers.count) layers; fit reads at most 1,000")
        }
        var out: [Layer] = []
        for l in layers {
            guard let type = l["mediaType"] as? String, let digest = l["digest"] as? String,
                let size = (l["size"] as? NSNumber)?.int64Value
            else { throw Hub.Failure(reason: "\(what): a manifest layer lacks its mediaType, digest or size") }
            guard isDigest(digest) else {
                throw Hub.Failure(reason: "\(what): layer digest \(digest.prefix(80)) is not sha256: and 64 hex digits")
            }
            guard size >= 0, size <= 1 << 52 else {
                throw Hub.Failure(reason: "\(what): layer size \(size) is outside 0 to 4 PiB")
            }
            out.append(Layer(mediaType: String(type.prefix(200)), digest: digest.lowercased(), size: size))
        }
        return OllamaManifest(layers: out)
    }

    static func isDigest(_ d: String) -> Bool {
        d.hasPrefix("sha256:") && d.count == 71 && d.dropFirst(7).allSatisfy { $0.isHexDigit }
    }

    /// The model layer, or why there is none that fit can read.
    public func requireModel(_ what: String) throws(Hub.Failure) -> Layer {
        if let m = model { return m }
        if layers.contains(where: { $0.mediaType.hasPrefix("application/vnd.ollama.image.tensor") }) {
            throw Hub.Failure(
                reason:
                    "\(what) is stored as safetensors tensors (Ollama's newer layout), not a GGUF; fit cannot read it yet"
            )
        }
        throw Hub.Failure(reason: "\(what): the manifest has no model layer (\(Self.modelType))")
    }
}

/// The models `ollama pull` stored on this machine: `OLLAMA_MODELS`, else `~/.ollama/models`, else
/// the Linux service's `/usr/share/ollama/.ollama/models`. A manifest per tag under
/// `manifests/HOST/NAMESPACE/MODEL/TAG`, the files under `blobs/sha256-HEX`.
public struct OllamaStore: Sendable {
    public var roots: [URL]

    public init(environment: [String: String]) {
        if let m = environment["OLLAMA_MODELS"], !m.isEmpty {
            roots = [URL(fileURLWithPath: m)]
            return
        }
        var r: [URL] = []
        if let h = environment["HOME"], !h.isEmpty {
            r.append(URL(fileURLWithPath: h).appendingPathComponent(".ollama/models"))
        }
        r.append(URL(fileURLWithPath: "/usr/share/ollama/.ollama/models"))
        roots = r
    }

    public init(roots: [URL]) { self.roots = roots }

    /// The manifest and the model blob of a name this machine has pulled, if any.
    public func find(_ name: OllamaName) throws(Hub.Failure) -> (OllamaManifest, blob: URL, root: URL)? {
        for root in roots {
            let folder = root.appendingPathComponent("manifests/\(name.host)/\(name.namespace)")
            // Ollama matches names without regard to case; the folder keeps the case of the pull.
            var candidates = [folder.appendingPathComponent("\(name.model)/\(name.tag)")]
            if let models = try? FileManager.default.contentsOfDirectory(atPath: folder.path) {
                for m in models where m.lowercased() == name.model.lowercased() {
                    let tags =
                        (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(m).path))
                        ?? []
                    for t in tags where t.lowercased() == name.tag.lowercased() {
                        candidates.append(folder.appendingPathComponent("\(m)/\(t)"))
                    }
                }
            }
            for file in candidates {
                var st = stat()
                guard stat(file.path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
                guard st.st_size <= 1 << 20, let data = try? Data(contentsOf: file) else {
                    throw Hub.Failure(reason: "\(file.path): not an Ollama manifest (larger than 1 MiB or unreadable)")
                }
                let manifest = try OllamaManifest.parse(data, what: file.path)
                let layer = try manifest.requireModel("\(name) in \(root.path)")
                let blob = root.appendingPathComponent("blobs/" + layer.digest.replacingOccurrences(of: ":", with: "-"))
                guard FileManager.default.fileExists(atPath: blob.path) else {
                    throw Hub.Failure(
                        reason:
                            "\(name)'s model file \(blob.path) is missing from the Ollama store; run `ollama pull \(name)` again"
                    )
                }
                return (manifest, blob, root)
            }
        }
        return nil
    }
}

/// The Ollama registry (`FIT_OLLAMA_REGISTRY`, default `https://registry.ollama.ai`): a tag's
/// manifest, then the model blob's GGUF header by Range requests, never the weights. What it read is
/// cached under the cache folder (the manifest by name and tag, the header by digest), so a second
/// run is offline.
public struct OllamaRegistry: Sendable {
    public var base: String
    public var cacheDirectory: URL?
    public var offline: Bool
    public var timeout: TimeInterval = 15

    public init(environment: [String: String], cacheDirectory: URL?, offline: Bool) {
        var b = environment["FIT_OLLAMA_REGISTRY"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://registry.ollama.ai"
        while b.hasSuffix("/") { b.removeLast() }
        base = b
        self.cacheDirectory = cacheDirectory
        self.offline = offline
    }

    /// The address of a name's registry: `FIT_OLLAMA_REGISTRY` for Ollama's own, the host itself for others.
    func registry(_ name: OllamaName) -> String {
        name.host == OllamaName.defaultHost ? base : "https://\(name.host)"
    }

    public struct Answer: Sendable {
        public var manifest: OllamaManifest
        public var model: OllamaManifest.Layer
        public var header: GGUFFile
        public var registry: String
        public var cached: Bool
    }

    public func model(_ name: OllamaName) async throws(Hub.Failure) -> Answer {
        let registry = registry(name)
        let (manifest, cachedManifest) = try await manifest(name, registry: registry)
        let layer = try manifest.requireModel("\(name) on \(registry)")
        let (header, cachedHeader) = try await header(name, layer, registry: registry)
        return Answer(
            manifest: manifest, model: layer, header: header, registry: registry,
            cached: cachedManifest && cachedHeader)
    }

    func manifest(_ name: OllamaName, registry: String) async throws(Hub.Failure) -> (OllamaManifest, cached: Bool) {
        let cacheFile = cacheDirectory?.appendingPathComponent(
            "ollama/manifests/\(Hub.safe(name.host))/\(Hub.safe(name.namespace))/\(Hub.safe(name.model.lowercased()))/\(Hub.safe(name.tag.lowercased())).json"
        )
        if let cacheFile, let data = try? Data(contentsOf: cacheFile),
            let m = try? OllamaManifest.parse(data, what: cacheFile.path)
        {
            return (m, true)
        }
        if offline {
            throw Hub.Failure(
                reason: "\(name) is not in fit's Ollama cache and the network is off (--offline); run once online")
        }
        let url = "\(registry)/v2/\(name.namespace)/\(name.model)/manifests/\(name.tag)"
        let (status, body) = try await BoundedGet.run(
            url, range: nil, limit: 1 << 20,
            headers: ["Accept": "application/vnd.docker.distribution.manifest.v2+json"], timeout: timeout,
            service: "the Ollama registry at \(registry)")
        switch status {
        case 200: break
        case 404: throw Hub.Failure(reason: "\(name) is not on the Ollama registry at \(registry) (HTTP 404)")
        default: throw Hub.Failure(reason: "\(name): the Ollama registry at \(registry) answered HTTP \(status)")
        }
        let m = try OllamaManifest.parse(body, what: "\(name) on \(registry)")
        CacheFile.write(body, to: cacheFile)
        return (m, false)
    }

    func header(_ name: OllamaName, _ layer: OllamaManifest.Layer, registry: String) async throws(Hub.Failure) -> (
        GGUFFile, cached: Bool
    ) {
        let cacheFile = cacheDirectory?.appendingPathComponent(
            "ollama/blobs/\(layer.digest.replacingOccurrences(of: ":", with: "-")).header")
        if let cacheFile, let bytes = try? Data(contentsOf: cacheFile),
            let parsed = try? GGUFReader.parse([UInt8](bytes))
        {
            return (parsed, true)
        }
        if offline {
            throw Hub.Failure(
                reason:
                    "the header of \(name)'s model layer is not in fit's Ollama cache and the network is off (--offline)"
            )
        }
        let url = "\(registry)/v2/\(name.namespace)/\(name.model)/blobs/\(layer.digest)"
        let what = "\(name) (layer \(layer.digest.prefix(19)))"
        let (parsed, data) = try await RemoteGGUF.header(what: what) { (want: Int) async throws(Hub.Failure) in
            let n = Int(min(Int64(want), max(layer.size, 1)))
            let (status, data) = try await BoundedGet.run(
                url, range: 0...(n - 1), limit: n, headers: [:], timeout: timeout,
                service: "the Ollama registry at \(registry)")
            guard status == 206 || status == 200 else {
                throw Hub.Failure(reason: "\(what): the Ollama registry at \(registry) answered HTTP \(status)")
            }
            return data
        }
        CacheFile.write(data, to: cacheFile)
        return (parsed, false)
    }
}
