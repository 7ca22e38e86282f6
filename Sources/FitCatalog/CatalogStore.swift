import FitCore
import Foundation
import GRDB

/// The catalog in SQLite: derived from the YAML text, never edited by hand.
/// Migrations are append-only (GRDB's guidance); a new catalog schema adds a migration.
public struct CatalogStore: Sendable {
    public let db: DatabaseQueue

    public init(_ db: DatabaseQueue) throws {
        self.db = db
        try Self.migrator.migrate(db)
    }

    /// An in-memory store, for tests and for when no cache directory is writable.
    public static func inMemory() throws -> CatalogStore { try CatalogStore(DatabaseQueue()) }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: models, aliases, quants") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "model") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("family", .text).notNull()
                t.column("released", .text).notNull()
                t.column("license", .text).notNull()
                t.column("notes", .text)
                t.column("sources", .jsonText).notNull()
                t.column("architecture", .jsonText).notNull()
                t.column("parameters", .integer).notNull()
                t.column("activeParameters", .integer).notNull()
                t.column("position", .integer).notNull()
            }
            try db.create(table: "alias") { t in
                t.primaryKey("alias", .text).collate(.nocase)
                t.column("modelId", .text).notNull().references("model", onDelete: .cascade)
            }
            try db.create(table: "quant") { t in
                t.column("modelId", .text).notNull().references("model", onDelete: .cascade)
                t.column("scheme", .text).notNull()
                t.column("bytes", .integer)
                t.column("source", .text)
                t.column("position", .integer).notNull()
                t.primaryKey(["modelId", "scheme"])
            }
        }
        m.registerMigration("v2: hardware") { db in
            try db.create(table: "hardware") { t in
                t.primaryKey("id", .text)
                t.column("spec", .jsonText).notNull()
                t.column("position", .integer).notNull()
            }
        }
        m.registerMigration("v3: cloud models and evidence") { db in
            try db.create(table: "cloud") { t in
                t.primaryKey("id", .text)
                t.column("entry", .jsonText).notNull()
                t.column("position", .integer).notNull()
            }
            try db.create(table: "evidence") { t in
                t.column("kind", .text).notNull()
                t.column("model", .text).indexed()
                t.column("entry", .jsonText).notNull()
                t.column("position", .integer).notNull()
            }
        }
        m.registerMigration("v4: snapshot") { db in
            // The whole catalog as one JSON document: the hot path decodes it in one pass instead
            // of a decoder per row (the tables stay, for queries).
            try db.create(table: "snapshot") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
            }
        }
        m.registerMigration("v5: safetensors builds") { db in
            try db.create(table: "build") { t in
                t.column("modelId", .text).notNull().references("model", onDelete: .cascade)
                t.column("format", .text).notNull()
                t.column("repo", .text).notNull().collate(.nocase)
                t.column("bytes", .integer)
                t.column("source", .text).notNull()
                t.column("notes", .text)
                t.column("position", .integer).notNull()
                t.primaryKey(["modelId", "repo"])
            }
        }
        return m
    }

    public struct Snapshot: Sendable, Equatable {
        public var models: [CatalogModel]
        public var hardware: [HardwareSpec]
        public var cloud: [CloudModel]
        /// Throughput efficiencies fitted on the catalog's measurements when the cache was built.
        public var calibration: ThroughputCalibration?
    }

    public func snapshot() throws -> Snapshot? {
        try db.read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT value FROM snapshot WHERE key = 'catalog'") else {
                return nil
            }
            return try SnapshotCodec.decode([UInt8](data))
        }
    }

    struct CloudRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "cloud"
        var id: String, entry: CloudModel, position: Int
    }
    struct EvidenceRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "evidence"
        var kind: String, model: String?, entry: String, position: Int
    }

    public func cloud() throws -> [CloudModel] {
        try db.read { db in try CloudRow.order(Column("position")).fetchAll(db).map(\.entry) }
    }

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

    struct HardwareRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "hardware"
        var id: String, spec: HardwareSpec, position: Int
    }

    struct ModelRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "model"
        var id: String, name: String, family: String, released: String, license: String, notes: String?
        var sources: [String]
        var architecture: ModelArchitecture
        var parameters: Int64, activeParameters: Int64, position: Int
    }
    struct AliasRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "alias"
        var alias: String, modelId: String
    }
    struct BuildRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "build"
        var modelId: String, format: String, repo: String, bytes: Int64?, source: String, notes: String?, position: Int
    }
    struct QuantRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "quant"
        var modelId: String, scheme: String, bytes: Int64?, source: String?, position: Int
    }

    /// Replaces the whole catalog in one transaction.
    public func replace(
        with models: [CatalogModel], hardware: [HardwareSpec] = [], cloud: [CloudModel] = [],
        evidence: Evidence = Evidence(), calibration: ThroughputCalibration? = nil, fingerprint: String
    ) throws {
        try db.write { db in
            try CloudRow.deleteAll(db)
            for (i, c) in cloud.enumerated() { try CloudRow(id: c.id, entry: c, position: i).insert(db) }
            try EvidenceRow.deleteAll(db)
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
            try HardwareRow.deleteAll(db)
            for (i, h) in hardware.enumerated() { try HardwareRow(id: h.id, spec: h, position: i).insert(db) }
            try QuantRow.deleteAll(db)
            try BuildRow.deleteAll(db)
            try AliasRow.deleteAll(db)
            try ModelRow.deleteAll(db)
            for (i, m) in models.enumerated() {
                try ModelRow(
                    id: m.id, name: m.name, family: m.family, released: m.released, license: m.license,
                    notes: m.notes, sources: m.sources, architecture: m.architecture,
                    parameters: m.architecture.parameterCount, activeParameters: m.architecture.activeParameterCount,
                    position: i
                ).insert(db)
                for a in m.aliases { try AliasRow(alias: a, modelId: m.id).insert(db) }
                for (j, q) in m.quants.enumerated() {
                    try QuantRow(
                        modelId: m.id, scheme: q.scheme.rawValue, bytes: q.bytes, source: q.source, position: j
                    ).insert(db)
                }
                for (j, b) in m.builds.enumerated() {
                    try BuildRow(
                        modelId: m.id, format: b.format, repo: b.repo, bytes: b.bytes, source: b.source, notes: b.notes,
                        position: j
                    ).insert(db)
                }
            }
            let snapshot = Data(
                SnapshotCodec.encode(
                    Snapshot(models: models, hardware: hardware, cloud: cloud, calibration: calibration)))
            try db.execute(
                sql: "INSERT OR REPLACE INTO snapshot(key, value) VALUES ('catalog', ?)", arguments: [snapshot])
            try db.execute(
                sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('fingerprint', ?)", arguments: [fingerprint])
        }
    }

    public func fingerprint() throws -> String? {
        try db.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'") }
    }

    public func hardware() throws -> [HardwareSpec] {
        try db.read { db in try HardwareRow.order(Column("position")).fetchAll(db).map(\.spec) }
    }

    public func models() throws -> [CatalogModel] {
        try db.read { db in
            let rows = try ModelRow.order(Column("position")).fetchAll(db)
            var aliases: [String: [String]] = [:]
            for a in try AliasRow.fetchAll(db) { aliases[a.modelId, default: []].append(a.alias) }
            var quants: [String: [QuantRow]] = [:]
            for q in try QuantRow.order(Column("position")).fetchAll(db) { quants[q.modelId, default: []].append(q) }
            var builds: [String: [SafetensorsBuild]] = [:]
            for b in try BuildRow.order(Column("position")).fetchAll(db) {
                builds[b.modelId, default: []].append(
                    SafetensorsBuild(format: b.format, repo: b.repo, bytes: b.bytes, source: b.source, notes: b.notes))
            }
            return rows.map { r in
                CatalogModel(
                    id: r.id, name: r.name, family: r.family, released: r.released, license: r.license,
                    aliases: (aliases[r.id] ?? []).sorted(), sources: r.sources, notes: r.notes,
                    architecture: r.architecture,
                    quants: (quants[r.id] ?? []).compactMap { q in
                        QuantScheme(rawValue: q.scheme).map { QuantBuild(scheme: $0, bytes: q.bytes, source: q.source) }
                    }, builds: builds[r.id] ?? [])
            }
        }
    }
}
