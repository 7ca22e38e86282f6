import FitCore
import Foundation
import GRDB

/// What the user adds: imported models (later: measurements). Unlike the catalog cache this
/// database is the only copy, so it is never rebuilt or deleted; migrations are append-only.
public struct UserStore: Sendable {
    public let db: DatabaseQueue

    public init(_ db: DatabaseQueue) throws {
        self.db = db
        try Self.migrator.migrate(db)
    }

    private init(readOnly db: DatabaseQueue) { self.db = db }

    /// For reads on the hot path (`fit`, `fit plan`): no migration, no write lock. Nil when there
    /// is no database; reads of tables an older database lacks fail, and callers treat that as "none".
    public static func openReadOnly(at path: String) throws -> UserStore? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var c = configuration
        c.readonly = true
        c.journalMode = .default  // a reader does not change the journal mode
        let store = UserStore(readOnly: try DatabaseQueue(path: path, configuration: c))
        // An empty file is a database not yet written; anything else must read as SQLite.
        _ = try store.db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        return store
    }

    public var path: String { db.path }

    /// Where a corrupt database was moved before this one was started (`open` says so once).
    public private(set) var setAside: String?

    /// What went wrong with the database, as the end of a sentence that starts with its path.
    public static func describe(_ error: any Error) -> String {
        guard let e = error as? DatabaseError else { return "cannot be read (\(error))" }
        let why = e.message ?? "SQLite error \(e.resultCode.rawValue)"
        switch e.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return "is corrupt (\(why))"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "stayed locked by another fit for more than 10 s"
        case .SQLITE_READONLY, .SQLITE_PERM: return "is read-only (\(why)); check its permissions, or set FIT_DATA_DIR"
        case .SQLITE_CANTOPEN: return "cannot be opened (\(why)); check the file and its folder, or set FIT_DATA_DIR"
        default: return "cannot be read (\(why))"
        }
    }

    static func isCorruption(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB
    }

    /// `$FIT_DATA_DIR/user.sqlite`, else `$XDG_DATA_HOME/fit/user.sqlite`, else `~/.local/share/fit/user.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let d = environment["FIT_DATA_DIR"], !d.isEmpty { return d + "/user.sqlite" }
        if let x = environment["XDG_DATA_HOME"], !x.isEmpty { return x + "/fit/user.sqlite" }
        if let h = environment["HOME"], !h.isEmpty { return h + "/.local/share/fit/user.sqlite" }
        return nil
    }

    public static func open(at path: String) throws -> UserStore {
        try FileManager.default.createDirectory(
            atPath: path.parentFolder, withIntermediateDirectories: true)
        // Two fits creating or upgrading the database at once would both run the migrations:
        // one at a time, under a lock file beside it.
        let lockPath = path + ".lock"
        if !FileManager.default.fileExists(atPath: lockPath) {
            _ = FileManager.default.createFile(atPath: lockPath, contents: nil)
        }
        let lock = FileHandle(forUpdatingAtPath: lockPath)
        if let lock { flock(lock.fileDescriptor, LOCK_EX) }
        defer {
            if let lock {
                flock(lock.fileDescriptor, LOCK_UN)
                try? lock.close()
            }
        }
        do {
            return try checked(path)
        } catch  where isCorruption(error) {
            // The only copy of what the user stored: moved aside, never overwritten, and a new
            // database started beside it.
            let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            var store = try checked(path)
            store.setAside = aside
            return store
        }
    }

    /// Opens and migrates, after SQLite's quick check of every page (a write into a database with
    /// a damaged page would spread the damage).
    static func checked(_ path: String) throws -> UserStore {
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let verdict = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check(1)") } ?? "ok"
        guard verdict == "ok" else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "quick_check: \(verdict)")
        }
        return try UserStore(queue)
    }

    /// Write-ahead logging (readers never block the writer) and a 10-second wait for a lock held by
    /// another `fit` (a dozen `fit bench` or `fit fleet add` at once all succeed, one after another).
    static var configuration: Configuration {
        var c = Configuration()
        c.journalMode = .wal
        c.busyMode = .timeout(10)
        return c
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: imported models") { db in
            try db.create(table: "userModel") { t in
                t.primaryKey("id", .text)
                t.column("model", .jsonText).notNull()
                t.column("importedFrom", .text).notNull()
                t.column("importedAt", .text).notNull()
            }
        }
        m.registerMigration("v2: installed models") { db in
            try db.create(table: "installed") { t in
                t.primaryKey("path", .text)
                t.column("found", .jsonText).notNull()
                t.column("scannedAt", .text).notNull()
            }
        }
        m.registerMigration("v3: this machine's measurements") { db in
            // One row per measurement, never overwritten: history is kept, the newest is used.
            try db.create(table: "benchHardware") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("machine", .text).notNull().indexed()
                t.column("result", .jsonText).notNull()
            }
            try db.create(table: "benchRuntime") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("machine", .text).notNull().indexed()
                t.column("result", .jsonText).notNull()
            }
            try db.create(table: "benchAgent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("machine", .text).notNull().indexed()
                t.column("model", .text).notNull()
                t.column("endpoint", .text).notNull()
                t.column("run", .jsonText).notNull()
                t.column("measuredAt", .text).notNull()
            }
            try db.create(table: "calibration") { t in
                t.column("machine", .text).notNull()
                t.column("placement", .text).notNull()
                t.column("factors", .jsonText).notNull()
                t.primaryKey(["machine", "placement"])
            }
        }
        m.registerMigration("v4: fleet") { db in
            // Reports of other machines (`fit fleet add`): one per machine id, the newest replaces.
            try db.create(table: "fleetMachine") { t in
                t.primaryKey("id", .text)
                t.column("report", .jsonText).notNull()
                t.column("source", .text).notNull()
                t.column("addedAt", .text).notNull()
            }
        }
        m.registerMigration("v5: calibration resets") { db in
            // `fit bench calibration --reset`: the correction starts again from measurements after it.
            try db.create(table: "calibrationReset") { t in
                t.primaryKey("machine", .text)
                t.column("at", .text).notNull()
            }
        }
        return m
    }

    /// Forgets this machine's corrections: they are recomputed from measurements taken after now.
    /// The measurements themselves are kept.
    public func resetCalibration(machine: String, at date: String) throws -> Int {
        try db.write { db in
            let n = try CalibrationRow.filter(Column("machine") == machine).deleteAll(db)
            try db.execute(
                sql: "INSERT OR REPLACE INTO calibrationReset (machine, at) VALUES (?, ?)", arguments: [machine, date])
            return n
        }
    }

    /// When this machine's calibration was last reset (nil: never).
    public func calibrationReset(machine: String) throws -> String? {
        try db.read { db in
            guard try db.tableExists("calibrationReset") else { return nil }
            return try String.fetchOne(
                db, sql: "SELECT at FROM calibrationReset WHERE machine = ?", arguments: [machine])
        }
    }

    struct FleetRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "fleetMachine"
        var id: String
        var report: MachineReport
        var source: String, addedAt: String
    }

    /// Adds or replaces reports in one transaction: all of them or none.
    /// What adding a report did.
    public enum FleetOutcome: Sendable, Equatable {
        case added, replaced
        /// The fleet already holds a newer report of this machine (its date), which stays.
        case keptNewer(String)
    }

    /// Adds reports in one transaction; a report never replaces a newer one of the same machine.
    @discardableResult
    public func addToFleet(_ reports: [(MachineReport, String)], at date: String) throws -> [FleetOutcome] {
        try db.write { db in
            try reports.map { r, source in
                let existing = try FleetRow.fetchOne(db, key: r.machine.id)
                if let existing, existing.report.generatedAt > r.generatedAt {
                    return .keptNewer(existing.report.generatedAt)
                }
                try FleetRow(id: r.machine.id, report: r, source: source, addedAt: date).save(db)
                return existing == nil ? .added : .replaced
            }
        }
    }

    public func fleet() throws -> [(report: MachineReport, source: String, addedAt: String)] {
        try db.read { db in try FleetRow.order(Column("id")).fetchAll(db).map { ($0.report, $0.source, $0.addedAt) } }
    }

    struct HardwareRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "benchHardware"
        var id: Int64?
        var machine: String
        var result: HardwareMeasurement
    }
    struct RuntimeRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "benchRuntime"
        var id: Int64?
        var machine: String
        var result: RuntimeMeasurement
    }
    struct AgentRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "benchAgent"
        var id: Int64?
        var machine: String
        var model: String, endpoint: String, run: AgentRun, measuredAt: String
    }
    struct CalibrationRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "calibration"
        var machine: String, placement: String, factors: MachineCalibration
    }

    public func add(hardware: HardwareMeasurement, machine: String) throws {
        try db.write { db in try HardwareRow(id: nil, machine: machine, result: hardware).insert(db) }
    }
    /// The newest hardware measurement of this machine.
    public func hardware(machine: String) throws -> HardwareMeasurement? {
        try db.read { db in
            try HardwareRow.filter(Column("machine") == machine).order(Column("id").desc).fetchOne(db)?.result
        }
    }
    public func add(runtime: RuntimeMeasurement, machine: String) throws {
        try db.write { db in try RuntimeRow(id: nil, machine: machine, result: runtime).insert(db) }
    }
    public func runtime(machine: String) throws -> [RuntimeMeasurement] {
        try db.read { db in
            try RuntimeRow.filter(Column("machine") == machine).order(Column("id")).fetchAll(db).map(\.result)
        }
    }
    /// Each run is stored as it finishes: an interrupted bench keeps what it measured.
    public func add(agentRun: AgentRun, model: String, endpoint: String, machine: String, at date: String) throws {
        try db.write { db in
            try AgentRow(id: nil, machine: machine, model: model, endpoint: endpoint, run: agentRun, measuredAt: date)
                .insert(db)
        }
    }
    public func agentRuns(machine: String) throws -> [(model: String, endpoint: String, run: AgentRun)] {
        try db.read { db in
            try AgentRow.filter(Column("machine") == machine).order(Column("id")).fetchAll(db).map {
                ($0.model, $0.endpoint, $0.run)
            }
        }
    }
    public func set(calibration: MachineCalibration, machine: String) throws {
        try db.write { db in
            try CalibrationRow(machine: machine, placement: calibration.placement, factors: calibration).save(db)
        }
    }
    public func clearCalibration(machine: String, placement: String) throws {
        try db.write { db in
            _ = try CalibrationRow.filter(Column("machine") == machine && Column("placement") == placement)
                .deleteAll(db)
        }
    }
    public func calibration(machine: String) throws -> [MachineCalibration] {
        try db.read { db in try CalibrationRow.filter(Column("machine") == machine).fetchAll(db).map(\.factors) }
    }

    struct InstalledRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "installed"
        var path: String, found: LocalModelScanner.Found, scannedAt: String
    }

    /// Replaces what the last scan found (imported models are untouched).
    public func setInstalled(_ found: [LocalModelScanner.Found], at date: String) throws {
        try db.write { db in
            try InstalledRow.deleteAll(db)
            for f in found { try InstalledRow(path: f.path, found: f, scannedAt: date).insert(db) }
        }
    }

    public func installed() throws -> [LocalModelScanner.Found] {
        try db.read { db in try InstalledRow.order(Column("path")).fetchAll(db).map(\.found) }
    }

    struct Row: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "userModel"
        var id: String, model: CatalogModel, importedFrom: String, importedAt: String
    }

    /// Adds models in one transaction: all of them or none.
    public func add(_ models: [CatalogModel], from path: String, at date: String) throws {
        try db.write { db in
            for m in models { try Row(id: m.id, model: m, importedFrom: path, importedAt: date).insert(db) }
        }
    }

    /// Removes an imported model; false when there is none of that id.
    public func remove(_ id: String) throws -> Bool {
        try db.write { db in try Row.deleteOne(db, key: id) }
    }

    public func contains(_ id: String) throws -> Bool {
        try db.read { db in try Row.fetchOne(db, key: id) != nil }
    }

    public func models() throws -> [CatalogModel] {
        try db.read { db in try Row.order(Column("id")).fetchAll(db).map(\.model) }
    }
}

extension GGUFModel {
    /// A catalog entry for an imported GGUF: its architecture, and its size as a published build.
    public func catalogModel(id: String, path: String) -> CatalogModel {
        let scheme = fileType.flatMap(QuantScheme.named) ?? .f16
        return CatalogModel(
            id: id, name: name ?? id, family: architectureName, released: "", license: "",
            aliases: [], sources: [path],
            notes: assumptions.isEmpty ? "imported from \(path)" : assumptions.joined(separator: "; "),
            architecture: architecture,
            quants: [QuantBuild(scheme: scheme, bytes: weights.fileTensorBytes, source: path)])
    }
}
