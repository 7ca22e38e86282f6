import FitCore
import Foundation
import GRDB
import Yams

/// The loaded catalog: models in catalog order, with name resolution.
public struct Catalog: Sendable {
    public let models: [CatalogModel]
    public let hardware: [HardwareSpec]
    public let cloud: [CloudModel]
    /// Throughput efficiencies fitted on the catalog's measurements.
    public let calibration: ThroughputCalibration?
    /// Content hash of the catalog text this was built from (the catalog version).
    public let fingerprint: String

    public init(
        models: [CatalogModel], hardware: [HardwareSpec] = [], cloud: [CloudModel] = [],
        calibration: ThroughputCalibration? = nil, fingerprint: String
    ) {
        self.models = models
        self.hardware = hardware
        self.cloud = cloud
        self.calibration = calibration
        self.fingerprint = fingerprint
    }

    public var resolver: ModelResolver { ModelResolver(models: models) }
    public var hardwareResolver: HardwareResolver { HardwareResolver(specs: hardware) }
}

/// Reads `Catalog/` text, validates it, and keeps a SQLite copy keyed by the text's content hash.
///
/// Cache: `<cacheDirectory>/catalog.sqlite`. Each run reads the catalog files (a few hundred KB,
/// well under a millisecond) and hashes them; the YAML is parsed only when the hash differs from the
/// one stored in the database, which is then rebuilt in a temporary file and renamed into place,
/// so a failed rebuild never leaves a broken cache.
public struct CatalogLoader: Sendable {
    public var directory: URL
    public var cacheDirectory: URL?
    /// How errors name the folder: `Catalog` for the one shipped with fit, else the path given.
    public var name: String

    public init(directory: URL, cacheDirectory: URL?, name: String = "Catalog") {
        self.directory = directory
        self.cacheDirectory = cacheDirectory
        self.name = name
    }

    /// The cache's format is this build of fit: the parser, the store, the snapshot codec and the
    /// calibration fit (ThroughputFit) decide what the same text produces, so a cache written by
    /// another build is rebuilt once, and no version is bumped by hand.
    static let formatVersion = "fit-catalog/" + String(BuildIdentity.current, radix: 16)

    /// The key a cache is valid for: the catalog's text and the build that read it.
    static func cacheKey(_ fingerprint: String) -> String { fingerprint + "/" + formatVersion }

    public struct SourceFile: Sendable {
        public var relativePath: String
        public var text: String
        public init(relativePath: String, text: String) {
            self.relativePath = relativePath
            self.text = text
        }
    }

    /// The text files: `models/*.yaml` (required) and `hardware/*.yaml` (optional).
    /// 8 MiB: what one catalog YAML file may weigh.
    public static let maxFileBytes = 8 << 20

    public func sourceFiles() throws -> [SourceFile] {
        try files(in: "models", required: true) + files(in: "hardware", required: false)
            + files(in: "cloud", required: false) + files(in: "results", required: false)
            + files(in: "tiers", required: false)
    }

    private func files(in folder: String, required: Bool) throws -> [SourceFile] {
        let dir = directory.appendingPathComponent(folder)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
                .sorted()
        } catch {
            if !required { return [] }
            throw CatalogError.unreadable(path: dir.path, reason: "the folder cannot be listed")
        }
        return try names.map { name in
            let url = dir.appendingPathComponent(name)
            // The largest shipped file is 300 KB: a file of many MB is not a catalog someone
            // wrote, and parsing it would take minutes.
            if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int,
                size > Self.maxFileBytes
            {
                throw CatalogError.unreadable(
                    path: url.path,
                    reason:
                        "it is \(ByteCount(Int64(size))); a catalog file may be at most \(ByteCount(Int64(Self.maxFileBytes))) (split it)"
                )
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw CatalogError.unreadable(path: url.path, reason: "the file cannot be read")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CatalogError.unreadable(path: url.path, reason: "it is not UTF-8 text")
            }
            return SourceFile(relativePath: folder + "/" + name, text: text)
        }
    }

    public static func fingerprint(_ files: [SourceFile]) -> String {
        var h = FNV1a()
        for f in files {
            h.add(f.relativePath)
            h.add(f.text)
        }
        return h.hex
    }

    /// Parses and validates every model file; throws every problem found.
    public static func parse(_ files: [SourceFile], catalogName: String = "Catalog") throws -> [CatalogModel] {
        try parseAll(files, catalogName: catalogName).models
    }

    public struct Parsed: Sendable {
        public var models: [CatalogModel]
        public var hardware: [HardwareSpec]
        public var cloud: [CloudModel]
        public var evidence: Evidence

        /// The throughput efficiencies fitted on this catalog's measurements.
        public var calibration: ThroughputCalibration {
            ThroughputFit.fit(
                ThroughputFit.samples(
                    evidence.throughput, models: Dictionary(uniqueKeysWithValues: models.map { ($0.id, $0) }),
                    hardware: Dictionary(uniqueKeysWithValues: hardware.map { ($0.id, $0) })))
        }
    }

    /// Parses and validates every file; throws every problem found.
    public static func parseAll(_ files: [SourceFile], catalogName: String = "Catalog") throws -> Parsed {
        var issues: [CatalogIssue] = []
        var all: [(file: String, model: CatalogModel)] = []
        var hardware: [HardwareSpec] = []
        var cloud: [(String, CloudModel)] = []
        var results: [(String, Int, Any)] = []
        var evidence = Evidence()
        for f in files {
            let name = catalogName + "/" + f.relativePath
            if f.relativePath.hasPrefix("tiers/") {
                let (book, p) = EvidenceParser.tiers(yaml: f.text, file: name)
                issues += p
                if evidence.tiers != nil, book != nil {
                    issues.append(
                        CatalogIssue(
                            file: name, entry: "-", field: "tiers",
                            problem: "a second tiers file; keep all tiers in one file"))
                }
                evidence.tiers = evidence.tiers ?? book
            } else if f.relativePath.hasPrefix("cloud/") {
                let (c, p) = EvidenceParser.list(
                    CloudModel.self, key: "cloud", yaml: f.text, file: name, name: EvidenceParser.entryName)
                issues += p
                cloud += c.map { (name, $0) }
            } else if f.relativePath.hasPrefix("results/") {
                let keys = Set(((try? Yams.compose(yaml: f.text))??.mapping?.keys.compactMap(\.string)) ?? [])
                if keys.contains("throughput") {
                    let (r, p) = EvidenceParser.list(
                        ThroughputResult.self, key: "throughput", yaml: f.text, file: name,
                        name: EvidenceParser.entryName)
                    issues += p
                    evidence.throughput += r
                    results += r.enumerated().map { (name, $0.offset, $0.element as Any) }
                } else if keys.contains("benchmarks") {
                    let (r, p) = EvidenceParser.list(
                        BenchmarkResult.self, key: "benchmarks", yaml: f.text, file: name,
                        name: EvidenceParser.entryName)
                    issues += p
                    evidence.benchmarks += r
                    results += r.enumerated().map { (name, $0.offset, $0.element as Any) }
                } else if keys.contains("seeds") {
                    let (r, p) = EvidenceParser.list(
                        SeedResult.self, key: "seeds", yaml: f.text, file: name, name: EvidenceParser.entryName)
                    issues += p
                    evidence.seeds += r
                    results += r.enumerated().map { (name, $0.offset, $0.element as Any) }
                } else {
                    issues.append(
                        CatalogIssue(
                            file: name, entry: "-", field: "-",
                            problem: "expected a `throughput`, `benchmarks` or `seeds` list"))
                }
            } else if f.relativePath.hasPrefix("hardware/") {
                let (specs, problems) = CatalogParser.parseHardware(yaml: f.text, file: name)
                issues += problems
                hardware += specs
            } else {
                let (models, problems) = CatalogParser.parseModels(yaml: f.text, file: name)
                issues += problems
                all += models.map { (name, $0) }
            }
        }
        issues += CatalogParser.crossCheck(all)
        var ids: Set<String> = []
        for h in hardware where !ids.insert(h.id).inserted {
            issues.append(
                CatalogIssue(file: catalogName + "/hardware", entry: h.id, field: "id", problem: "duplicate id"))
        }
        issues += EvidenceParser.validate(
            cloud: cloud, results: results, models: Set(all.map(\.model.id)),
            hardware: Set(hardware.map(\.id)), tiers: evidence.tiers.map { Set($0.tiers.map(\.id)) })
        guard issues.isEmpty else { throw CatalogError.invalid(issues) }
        return Parsed(models: all.map(\.model), hardware: hardware, cloud: cloud.map(\.1), evidence: evidence)
    }

    public func load() throws -> Catalog {
        let files = try sourceFiles()
        let fp = Self.fingerprint(files)
        guard let cacheDirectory else {
            let parsed = try Self.parseAll(files, catalogName: name)
            return Catalog(
                models: parsed.models, hardware: parsed.hardware, cloud: parsed.cloud, calibration: parsed.calibration,
                fingerprint: fp)
        }
        let path = cacheDirectory.appendingPathComponent("catalog.sqlite").path
        if FileManager.default.fileExists(atPath: path),
            let store = try? CatalogStore(DatabaseQueue(path: path, configuration: Self.readOnly)),
            (try? store.fingerprint()) == Self.cacheKey(fp), let snap = try? store.snapshot(), !snap.models.isEmpty
        {
            return Catalog(
                models: snap.models, hardware: snap.hardware, cloud: snap.cloud, calibration: snap.calibration,
                fingerprint: fp)
        }
        let parsed = try Self.parseAll(files, catalogName: name)
        let calibration = parsed.calibration
        do {
            try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
            let tmp = path + ".\(getpid()).tmp"
            try? FileManager.default.removeItem(atPath: tmp)
            StaleTemporaries.sweep(beside: path)
            do {
                let queue = try DatabaseQueue(path: tmp)
                try CatalogStore(queue).replace(
                    with: parsed.models, hardware: parsed.hardware, cloud: parsed.cloud,
                    evidence: parsed.evidence, calibration: calibration, fingerprint: Self.cacheKey(fp))
                try queue.close()
            }
            if rename(tmp, path) != 0 { try? FileManager.default.removeItem(atPath: tmp) }
        } catch {
            // A cache we cannot write is not an error: the catalog is still right, only slower.
        }
        return Catalog(
            models: parsed.models, hardware: parsed.hardware, cloud: parsed.cloud, calibration: calibration,
            fingerprint: fp)
    }

    /// The measured evidence (results/*.yaml): from the cache, loaded only by the commands that
    /// show it (it is most of the catalog by size, and `fit` itself does not need it).
    public func evidence() throws -> Evidence {
        try evidence(for: try load())
    }

    /// The task tiers of a catalog this loader has loaded already: from the cache, else parsed.
    public func tiers(for catalog: Catalog) throws -> TierBook? {
        if let dir = cacheDirectory {
            let path = dir.appendingPathComponent("catalog.sqlite").path
            if let store = try? CatalogStore(DatabaseQueue(path: path, configuration: Self.readOnly)),
                (try? store.fingerprint()) == Self.cacheKey(catalog.fingerprint), let t = try? store.tiers()
            {
                return t
            }
        }
        return try evidence(for: catalog).tiers
    }

    /// The evidence of a catalog this loader has loaded already: from the cache it left (no second
    /// read or hash of the text), else parsed.
    public func evidence(for catalog: Catalog) throws -> Evidence {
        if let dir = cacheDirectory {
            let path = dir.appendingPathComponent("catalog.sqlite").path
            if let store = try? CatalogStore(DatabaseQueue(path: path, configuration: Self.readOnly)),
                (try? store.fingerprint()) == Self.cacheKey(catalog.fingerprint), let e = try? store.evidence()
            {
                return e
            }
        }
        return try Self.parseAll(try sourceFiles(), catalogName: name).evidence
    }

    static var readOnly: Configuration {
        var c = Configuration()
        c.readonly = true
        return c
    }

    /// Finds the Catalog folder: an explicit path, `$FIT_CATALOG`, then next to the binary and up
    /// its parents (a checkout: `.build/release/fit` -> `Catalog/`), then `<prefix>/share/fit/Catalog`.
    public static func locate(explicit: String?, environment: [String: String], executablePath: String) throws -> URL {
        var searched: [String] = []
        func isCatalog(_ url: URL) -> Bool {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.appendingPathComponent("models").path, isDirectory: &dir)
                && dir.boolValue
        }
        if let explicit {
            let url = URL(fileURLWithPath: explicit)
            if isCatalog(url) { return url }
            throw CatalogError.notFound(searched: [explicit + " (given by --catalog; it has no models/ folder)"])
        }
        if let env = environment["FIT_CATALOG"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            if isCatalog(url) { return url }
            throw CatalogError.notFound(searched: [env + " (from FIT_CATALOG; it has no models/ folder)"])
        }
        var dir = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            for candidate in [dir.appendingPathComponent("Catalog"), dir.appendingPathComponent("share/fit/Catalog")] {
                searched.append(candidate.path)
                if isCatalog(candidate) { return candidate }
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw CatalogError.notFound(searched: searched)
    }

    /// `$FIT_CACHE_DIR`, else `$XDG_CACHE_HOME/fit`, else `~/.cache/fit`.
    public static func defaultCacheDirectory(environment: [String: String]) -> URL? {
        if let d = environment["FIT_CACHE_DIR"], !d.isEmpty { return URL(fileURLWithPath: d) }
        if let x = environment["XDG_CACHE_HOME"], !x.isEmpty {
            return URL(fileURLWithPath: x).appendingPathComponent("fit")
        }
        if let h = environment["HOME"], !h.isEmpty {
            return URL(fileURLWithPath: h).appendingPathComponent(".cache/fit")
        }
        return nil
    }
}

/// 64-bit FNV-1a: a fast, stable content hash for cache keys and machine ids (not for security).
public struct FNV1a {
    var state: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    public mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { bytes in  // contiguous bytes: no per-character decoding
            var h = state
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            state = h
        }
        state = (state ^ 0xff) &* 0x100_0000_01b3  // separator, so "ab"+"c" != "a"+"bc"
    }
    public var value: UInt64 { state }
    public var hex: String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// This build of fit: its executable's size and modification time. Caches written by another
/// build (which may parse, fit or allocate differently) are not reused.
public enum BuildIdentity {
    public static let current: UInt64 = {
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        #if canImport(Darwin)
            let mtime = st.st_mtimespec
        #else
            let mtime = st.st_mtim
        #endif
        var h = FNV1a()
        h.add("\(st.st_size)/\(mtime.tv_sec)/\(mtime.tv_nsec)")
        return h.value
    }()
}

/// Temporary files that a killed fit left beside a file it replaces atomically
/// (`<file>.<pid>.tmp`, with SQLite's `-journal`, `-wal` and `-shm`): removed when their process is
/// gone, so a `kill -9` in the middle of a write leaves nothing behind for long.
public enum StaleTemporaries {
    public static func sweep(beside file: String) {
        let dir = file.parentFolder.isEmpty ? "." : file.parentFolder
        let base = (file as NSString).lastPathComponent + "."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(base) {
            let rest = name.dropFirst(base.count)
            guard let dot = rest.firstIndex(of: "."), let pid = Int32(rest[..<dot]), pid > 0,
                rest[dot...].hasPrefix(".tmp"), pid != getpid()
            else { continue }
            let suffix = rest[rest.index(after: dot)...]
            guard ["tmp", "tmp-journal", "tmp-wal", "tmp-shm"].contains(String(suffix)) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: dir + "/" + name)
            }
        }
    }
}
