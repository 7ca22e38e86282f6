import FitCore
import Foundation
import GRDB

/// The catalog in SQLite: derived from the YAML text, never edited by hand. The cache is always
/// written whole into a new file (then renamed into place) and only read by the build of fit that
/// wrote it, so it has no migrations and one representation of the catalog: the binary snapshot
/// the hot path reads. The evidence (most of the catalog by size, read only by the commands that
/// show it) is kept beside it, one JSON row per entry, so that `fit plan` can read the tiers alone.
public struct CatalogStore: Sendable {
    public let db: DatabaseQueue

    public init(_ db: DatabaseQueue) { self.db = db }

    /// An in-memory store, for tests and for when no cache directory is writable.
    public static func inMemory() throws -> CatalogStore { CatalogStore(try DatabaseQueue()) }

    public struct Snapshot: Sendable, Equatable {
        public var models: [CatalogModel]
        public var hardware: [HardwareSpec]
        public var cloud: [CloudModel]
        /// Throughput efficiencies fitted on the catalog's measurements when the cache was built.
        public var calibration: ThroughputCalibration?
    }

    struct EvidenceRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "evidence"
        var kind: String, model: String?, entry: String, position: Int
    }

    /// Replaces the whole catalog in one transaction.
    public func replace(
        with models: [CatalogModel], hardware: [HardwareSpec] = [], cloud: [CloudModel] = [],
        evidence: Evidence = Evidence(), calibration: ThroughputCalibration? = nil, fingerprint: String
    ) throws {
        try db.write { db in
            for table in ["meta", "snapshot", "evidence"] where try db.tableExists(table) { try db.drop(table: table) }
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "snapshot") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
            }
            try db.create(table: "evidence") { t in
                t.column("kind", .text).notNull().indexed()
                t.column("model", .text)
                t.column("entry", .jsonText).notNull()
                t.column("position", .integer).notNull()
            }
            let encoder = JSONEncoder()
            var position = 0
            func add<T: Encodable>(_ kind: String, _ model: String?, _ value: T) throws {
                try EvidenceRow(
                    kind: kind, model: model, entry: String(decoding: try encoder.encode(value), as: UTF8.self),
                    position: position
                ).insert(db)
                position += 1
            }
            for t in evidence.throughput { try add("throughput", t.model, t) }
            for b in evidence.benchmarks { try add("benchmark", b.model, b) }
            for s in evidence.seeds { try add("seed", s.model, s) }
            if let t = evidence.tiers { try add("tiers", nil, t) }
            let snapshot = Data(
                SnapshotCodec.encode(
                    Snapshot(models: models, hardware: hardware, cloud: cloud, calibration: calibration)))
            try db.execute(sql: "INSERT INTO snapshot(key, value) VALUES ('catalog', ?)", arguments: [snapshot])
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('fingerprint', ?)", arguments: [fingerprint])
        }
    }

    /// What the cache was built for (nil for an empty or foreign file).
    public func fingerprint() throws -> String? {
        try db.read { db in
            guard try db.tableExists("meta") else { return nil }
            return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'")
        }
    }

    public func snapshot() throws -> Snapshot? {
        try db.read { db in
            guard try db.tableExists("snapshot"),
                let data = try Data.fetchOne(db, sql: "SELECT value FROM snapshot WHERE key = 'catalog'")
            else { return nil }
            return try SnapshotCodec.decode([UInt8](data))
        }
    }

    public func models() throws -> [CatalogModel] { try snapshot()?.models ?? [] }

    /// The task tiers alone (`fit plan` needs them, not the thousands of measured rows).
    public func tiers() throws -> TierBook? {
        try db.read { db in
            guard let row = try EvidenceRow.filter(Column("kind") == "tiers").fetchOne(db) else { return nil }
            return try JSONDecoder().decode(TierBook.self, from: Data(row.entry.utf8))
        }
    }

    public func evidence() throws -> Evidence {
        try db.read { db in
            var e = Evidence()
            let decoder = JSONDecoder()
            for row in try EvidenceRow.order(Column("position")).fetchAll(db) {
                let data = Data(row.entry.utf8)
                switch row.kind {
                case "throughput": e.throughput.append(try decoder.decode(ThroughputResult.self, from: data))
                case "benchmark": e.benchmarks.append(try decoder.decode(BenchmarkResult.self, from: data))
                case "tiers": e.tiers = try decoder.decode(TierBook.self, from: data)
                default: e.seeds.append(try decoder.decode(SeedResult.self, from: data))
                }
            }
            return e
        }
    }
}
