import FitCore
import FitHTTP
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A model repo on the Hugging Face Hub (or the mirror at `HF_ENDPOINT`), read on demand and only
/// as far as planning needs: the repo's file list and commit, `config.json`, and each safetensors
/// shard's header by two HTTP Range requests (the first 8 bytes, then the header), never the
/// weights. What it read is kept under the cache folder by commit, so a second run is offline.
public struct Hub: Sendable {
    public var endpoint: String
    public var token: String?
    public var cacheDirectory: URL?
    public var offline: Bool
    /// Per request; a stalled Hub ends the run with a clear line, not a hang.
    public var timeout: TimeInterval = 15

    public init(environment: [String: String], cacheDirectory: URL?, offline: Bool) {
        var e = environment["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        while e.hasSuffix("/") { e.removeLast() }
        endpoint = e
        token = environment["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        self.cacheDirectory = cacheDirectory
        self.offline = offline || ["1", "true", "yes"].contains(environment["HF_HUB_OFFLINE"]?.lowercased() ?? "")
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
        public init(reason: String) { self.reason = reason }
    }

    /// What the Hub says of one repo at one revision.
    public struct Snapshot: Codable, Sendable, Equatable {
        public var repo: String
        public var commit: String
        public var files: [String]
        /// Each safetensors shard and the bytes its tensors hold.
        public var shardBytes: [String: Int64]
        public var config: Data?
    }

    /// Whether a name is spelled like a Hub repo id (`owner/name`).
    public static func isRepoID(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber || "-_.".contains(c)) }
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.count <= 96 && $0.allSatisfy(allowed) }
            && !name.hasPrefix(".") && !name.contains("..")
    }

    /// The model a safetensors repo holds: config.json's architecture and the shards' exact bytes.
    public func safetensorsModel(repo: String, revision: String = "main") async throws(Failure) -> (HFModel, Snapshot) {
        let snap = try await snapshot(repo: repo, revision: revision)
        guard let config = snap.config else {
            throw Failure(reason: "\(repo) on the Hub has no config.json; fit plans safetensors repos from it")
        }
        guard !snap.shardBytes.isEmpty else {
            throw Failure(
                reason: snap.files.contains { $0.lowercased().hasSuffix(".gguf") }
                    ? "\(repo) holds GGUF files; name one of them (download it and run `fit plan FILE.gguf`) or its original repo"
                    : "\(repo) on the Hub holds no safetensors files")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: config)) as? [String: Any] else {
            throw Failure(reason: "\(repo)'s config.json is not a JSON object")
        }
        var model: HFModel
        do { model = try HFModel.parse(root, path: "\(repo)/config.json") } catch {
            throw Failure(reason: error.description)
        }
        model.name = repo
        model.weights = model.weights.scaled(toFileBytes: snap.shardBytes.values.reduce(0, +))
        model.weightsFromHeaders = true
        return (model, snap)
    }

    /// The GGUF files of a repo that fit can plan: not the vision projectors (`mmproj-*`).
    public static func ggufFiles(_ snap: Snapshot) -> [String] {
        snap.files.filter {
            $0.lowercased().hasSuffix(".gguf") && !($0 as NSString).lastPathComponent.lowercased().hasPrefix("mmproj")
        }.sorted()
    }

    /// The file (and its split parts) a quant names in a GGUF repo: `--quant` when given (matched
    /// as a word of the file name: `Q4_K_M`, `UD-Q4_K_XL`), else Q4_K_M, else the first file.
    public static func chooseGGUF(_ files: [String], quant: String?) throws(Failure) -> [String] {
        func names(_ f: String, _ q: String) -> Bool {
            let n = f.uppercased()
            let q = q.uppercased()
            guard let r = n.range(of: q) else { return false }
            let before = r.lowerBound == n.startIndex ? "/" : n[n.index(before: r.lowerBound)]
            let after = r.upperBound == n.endIndex ? "." : n[r.upperBound]
            return "-._/".contains(before) && "-._/".contains(after)
        }
        let wanted = quant ?? "Q4_K_M"
        var matching = files.filter { names($0, wanted) }
        if wanted.uppercased() == "Q4_K_M" {
            matching = matching.filter { !names($0, "UD-Q4_K_M") } + matching.filter { names($0, "UD-Q4_K_M") }
        }
        guard let first = matching.first ?? (quant == nil ? files.first : nil) else {
            throw Failure(
                reason:
                    "no GGUF file in the repo is \(wanted); it has \(files.prefix(12).map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))"
            )
        }
        // A split model: every part of the chosen file, in order; a missing part is an error.
        guard let r = first.range(of: #"-(\d{5})-of-(\d{5})\.gguf$"#, options: [.regularExpression, .caseInsensitive]),
            let total = Int(first[r].split(separator: "-")[2].prefix(5)), total >= 1, total <= 999
        else { return [first] }
        let stem = String(first[..<r.lowerBound])
        return try (1...total).map { i throws(Failure) in
            let part = stem + String(format: "-%05d-of-%05d.gguf", i, total)
            guard files.contains(part) else {
                throw Failure(reason: "part \(i) of \(total) of \(stem) is not in the repo (\(part))")
            }
            return part
        }
    }

    /// A GGUF repo's model: the chosen file's header and tensor table, by Range requests from the
    /// start of each part until the header parses (8 MiB first; vocabularies can take more).
    public func ggufModel(repo: String, quant: String?, revision: String = "main") async throws(Failure) -> (
        GGUFModel, files: [String], Snapshot
    ) {
        let snap = try await snapshot(repo: repo, revision: revision)
        let available = Self.ggufFiles(snap)
        guard !available.isEmpty else { throw Failure(reason: "\(repo) on the Hub holds no GGUF files") }
        let chosen = try Self.chooseGGUF(available, quant: quant)
        var parts: [GGUFFile] = []
        for file in chosen { parts.append(try await ggufHeader(snap, file)) }
        do { return (try GGUFModel(parts: parts), chosen, snap) } catch {
            throw Failure(reason: "\(repo)/\(chosen[0]): \(error.description)")
        }
    }

    func ggufHeader(_ snap: Snapshot, _ file: String) async throws(Failure) -> GGUFFile {
        let cacheFile = cacheFolder(snap.repo)?.appendingPathComponent(
            "snapshots/\(snap.commit)/" + file.replacingOccurrences(of: "/", with: "--") + ".header")
        if let cacheFile, let bytes = try? Data(contentsOf: cacheFile),
            let parsed = try? GGUFReader.parse([UInt8](bytes))
        {
            return parsed
        }
        if offline {
            throw Failure(
                reason:
                    "\(snap.repo)/\(file) is not in fit's Hub cache and the Hub is off (--offline or HF_HUB_OFFLINE)")
        }
        let url = fileURL(snap.repo, snap.commit, file)
        let (parsed, data) = try await RemoteGGUF.header(what: "\(snap.repo)/\(file)") {
            (want: Int) async throws(Failure) in
            let (status, data) = try await get(url, range: 0...(want - 1), limit: want)
            guard status == 206 || status == 200 else {
                throw Failure(reason: "\(snap.repo)/\(file): the Hub answered HTTP \(status)")
            }
            return data
        }
        CacheFile.write(data, to: cacheFile)
        return parsed
    }

    /// The repo's file list, config.json and shard headers: from the cache when this revision was
    /// read before, else from the Hub (then cached).
    public func snapshot(repo: String, revision: String = "main") async throws(Failure) -> Snapshot {
        guard Self.isRepoID(repo) else { throw Failure(reason: "\(repo) is not a Hugging Face repo id (owner/name)") }
        if let cached = cached(repo: repo, revision: revision) { return cached }
        if offline {
            throw Failure(
                reason:
                    "\(repo) is not in fit's Hub cache and the Hub is off (--offline or HF_HUB_OFFLINE); run once online"
            )
        }
        let info = try await json(
            "\(endpoint)/api/models/\(repo)/revision/\(revision.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? revision)",
            what: repo)
        guard let commit = info["sha"] as? String, commit.count >= 7, commit.count <= 64,
            commit.allSatisfy({ $0.isHexDigit })
        else { throw Failure(reason: "the Hub at \(endpoint) answered for \(repo) without a commit") }
        let files = ((info["siblings"] as? [[String: Any]]) ?? []).compactMap { $0["rfilename"] as? String }.prefix(
            10_000)
        var snap = Snapshot(repo: repo, commit: commit, files: Array(files), shardBytes: [:], config: nil)
        if files.contains("config.json") {
            let (status, body) = try await get(fileURL(repo, commit, "config.json"), range: nil, limit: 16 << 20)
            guard status == 200 else { throw Failure(reason: "\(repo)/config.json: the Hub answered HTTP \(status)") }
            snap.config = body
        }
        let shards = files.filter { $0.hasSuffix(".safetensors") }
        guard shards.count <= 2_000 else {
            throw Failure(reason: "\(repo) lists \(shards.count) safetensors files; fit reads at most 2,000")
        }
        for shard in shards {
            snap.shardBytes[shard] = try await shardHeader(repo, commit, shard).dataBytes
        }
        store(snap, revision: revision)
        return snap
    }

    func fileURL(_ repo: String, _ commit: String, _ file: String) -> String {
        "\(endpoint)/\(repo)/resolve/\(commit)/\(file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file)"
    }

    /// A shard's header by two Range requests: 8 bytes of length, then the header.
    func shardHeader(_ repo: String, _ commit: String, _ shard: String) async throws(Failure) -> SafetensorsHeader {
        let url = fileURL(repo, commit, shard)
        do {
            let (s1, first) = try await get(url, range: 0...7, limit: 8)
            guard s1 == 206 || s1 == 200 else { throw Failure(reason: "the Hub answered HTTP \(s1)") }
            let n = try SafetensorsHeader.headerLength([UInt8](first.prefix(8)))
            let (s2, header) = try await get(url, range: 8...(8 + n - 1), limit: n)
            guard s2 == 206 || s2 == 200 else { throw Failure(reason: "the Hub answered HTTP \(s2)") }
            return try SafetensorsHeader.parse([UInt8](header.prefix(n)))
        } catch let e as Failure {
            throw Failure(reason: "\(repo)/\(shard): \(e.reason)")
        } catch let e as SafetensorsHeader.Problem {
            throw Failure(reason: "\(repo)/\(shard): \(e.reason)")
        } catch {
            throw Failure(reason: "\(repo)/\(shard): \(error)")
        }
    }

    func json(_ url: String, what: String) async throws(Failure) -> [String: Any] {
        let (status, body) = try await get(url, range: nil, limit: 16 << 20)
        switch status {
        case 200: break
        case 401, 403:
            throw Failure(
                reason: token == nil
                    ? "\(what) is gated or private on the Hub: set HF_TOKEN to a token that may read it"
                    : "\(what): the Hub refused HF_TOKEN (HTTP \(status)); accept the model's terms on its page or use another token"
            )
        case 404: throw Failure(reason: "\(what) is not a model repo on the Hub at \(endpoint) (HTTP 404)")
        default: throw Failure(reason: "\(what): the Hub at \(endpoint) answered HTTP \(status)")
        }
        guard let j = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw Failure(reason: "the Hub at \(endpoint) sent something that is not JSON for \(what)")
        }
        return j
    }

    /// One GET, redirects followed, at most `limit` bytes of body kept (more ends the request).
    func get(_ url: String, range: ClosedRange<Int>?, limit: Int) async throws(Failure) -> (Int, Data) {
        guard URL(string: endpoint)?.scheme.map({ $0 == "http" || $0 == "https" }) == true else {
            throw Failure(reason: "HF_ENDPOINT \(endpoint) is not an http(s) address")
        }
        return try await BoundedGet.run(
            url, range: range, limit: limit, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:],
            timeout: timeout, service: "the Hub at \(endpoint)")
    }

    // MARK: the cache

    func cacheFolder(_ repo: String) -> URL? {
        cacheDirectory?.appendingPathComponent("hub").appendingPathComponent(
            "models--" + repo.replacingOccurrences(of: "/", with: "--"))
    }

    func cached(repo: String, revision: String) -> Snapshot? {
        guard let folder = cacheFolder(repo) else { return nil }
        let ref = folder.appendingPathComponent("refs").appendingPathComponent(Self.safe(revision))
        guard
            let commit = try? String(contentsOf: ref, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !commit.isEmpty, commit.allSatisfy({ $0.isHexDigit }),
            let data = try? Data(contentsOf: folder.appendingPathComponent("snapshots/\(commit).json")),
            let snap = try? JSONDecoder().decode(Snapshot.self, from: data), snap.repo == repo, snap.commit == commit
        else { return nil }
        return snap
    }

    func store(_ snap: Snapshot, revision: String) {
        guard let folder = cacheFolder(snap.repo), let data = try? JSONEncoder().encode(snap) else { return }
        let fm = FileManager.default
        try? fm.createDirectory(at: folder.appendingPathComponent("snapshots"), withIntermediateDirectories: true)
        try? fm.createDirectory(at: folder.appendingPathComponent("refs"), withIntermediateDirectories: true)
        // The snapshot first, then the ref that points at it: a reader never sees a ref to nothing.
        try? data.write(to: folder.appendingPathComponent("snapshots/\(snap.commit).json"), options: .atomic)
        try? Data(snap.commit.utf8).write(
            to: folder.appendingPathComponent("refs").appendingPathComponent(Self.safe(revision)), options: .atomic)
    }

    static func safe(_ revision: String) -> String {
        String(revision.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }
}

/// What was read from a server, kept under fit's cache folder: the folder made as needed, the
/// file replaced atomically; a cache that cannot be written only costs the next run a fetch.
enum CacheFile {
    static func write(_ data: Data, to file: URL?) {
        guard let file else { return }
        try? FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: file, options: .atomic)
    }
}

/// A GGUF header read from a server by Range requests from the file's start: 8 MiB first, grown
/// as far as the parser asks (vocabularies can take more), never past 256 MiB.
enum RemoteGGUF {
    static let maxHeader = 256 << 20

    static func header(what: String, fetch: (Int) async throws(Hub.Failure) -> Data) async throws(Hub.Failure) -> (
        GGUFFile, Data
    ) {
        var want = 8 << 20
        while true {
            let data = try await fetch(want)
            do {
                return (try GGUFReader.parse([UInt8](data)), data)
            } catch .truncated(let need) {
                guard data.count >= want, need <= maxHeader else {
                    throw Hub.Failure(reason: "\(what): \(GGUFError.truncated(needAtLeast: need).description)")
                }
                want = min(max(need + (1 << 20), want * 2), maxHeader)
            } catch {
                throw Hub.Failure(reason: "\(what): \(error.description)")
            }
        }
    }
}

/// One GET with a bounded body, redirects followed; a transport failure is named by `service`.
enum BoundedGet {
    static func run(
        _ url: String, range: ClosedRange<Int>?, limit: Int, headers: [String: String], timeout: TimeInterval,
        service: String
    ) async throws(Hub.Failure) -> (Int, Data) {
        guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https" else {
            throw Hub.Failure(reason: "\(url) is not an http(s) address (\(service))")
        }
        var request = URLRequest(url: u, timeoutInterval: timeout)
        if let range { request.setValue("bytes=\(range.lowerBound)-\(range.upperBound)", forHTTPHeaderField: "Range") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.setValue("fit/0.1", forHTTPHeaderField: "User-Agent")
        do {
            let reply = try await HTTPFetch(limit: limit).run(request, resourceTimeout: timeout * 4)
            return (reply.status, reply.body)
        } catch let e as HTTPFetch.TooLarge {
            throw Hub.Failure(reason: "\(url) sent more than \(e.limit) bytes where fit asked for at most that")
        } catch {
            throw Hub.Failure(reason: "could not reach \(service): \(error.localizedDescription)")
        }
    }
}
