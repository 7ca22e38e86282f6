import FitCatalog
import FitCore
import FitProbe
import Foundation

/// One run's loaded world, built once at the edge: the catalog read once, the user database
/// opened once (read-only), the machine probed once with each GPU matched to the hardware table
/// once, and this machine's measurements and corrections read once. Commands ask the core
/// (`FitCore/Advisor.swift`) with what it holds and render the answer.
final class Session {
    let catalog: Catalog
    let machine: MachineDescription
    /// The user's database, read-only; nil when there is none yet.
    let userStore: UserStore?
    /// This machine's newest `fit bench hardware`.
    let hostMeasurement: HardwareMeasurement?
    /// Compute buffers allocated in this run, and those kept from earlier runs of this build.
    let memo: ComputeBufferMemo
    private let memoPath: String?
    private let baseSpeed: SpeedContext
    private let loader: CatalogLoader
    private var cachedEvidence: Evidence?

    /// The plan target of the machine as it is (a `--runtime` preset may narrow it per command).
    var target: PlanTarget { PlanTarget(machine: machine) }

    private init(catalog: Catalog, machine: MachineDescription, userStore: UserStore?, loader: CatalogLoader) {
        self.catalog = catalog
        self.machine = machine
        self.userStore = userStore
        self.loader = loader
        let env = ProcessInfo.processInfo.environment
        memoPath =
            CatalogLoader.defaultCacheDirectory(environment: env)?.appendingPathComponent("compute-buffers.bin").path
        memo = ComputeBufferMemo(build: BuildIdentity.current)
        if let memoPath, let data = FileManager.default.contents(atPath: memoPath), data.count < 64 << 20 {
            memo.load([UInt8](data))
        }
        let key = machine.benchKey
        hostMeasurement = try? userStore?.hardware(machine: key)
        baseSpeed = SpeedContext(
            gpus: Self.knownGPUs(machine, catalog: catalog),
            firstGPUIndex: machine.gpus.first?.index,
            host: hostMeasurement?.hostSpeed ?? HostSpeed.assumed(physicalCores: machine.cpu.physicalCores.value),
            calibration: catalog.calibration,
            corrections: (try? userStore?.calibration(machine: key)) ?? [],
            measured: [])
    }

    /// Loads the catalog (with the user's imported models) and the machine.
    static func load(catalog catalogOptions: CatalogOptions, machine machineOptions: MachineOptions) async throws
        -> Session
    {
        let (loader, shipped) = try catalogOptions.loadShipped()
        let store = readUserStore()
        let catalog = CatalogOptions.merging(shipped, userModels: usableUserModels(store))
        let machine = try await machineOptions.load(catalog: catalog)
        return Session(catalog: catalog, machine: machine, userStore: store, loader: loader)
    }

    /// Keeps this run's new compute buffers for the next run (a temporary file renamed into
    /// place; a cache that cannot be written only makes the next run slower).
    func save() {
        guard let memoPath, let bytes = memo.stored() else { return }
        let dir = memoPath.parentFolder
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = memoPath + ".\(getpid()).tmp"
        StaleTemporaries.sweep(beside: memoPath)
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)) else { return }
        if rename(tmp, memoPath) != 0 { unlink(tmp) }
    }

    /// The catalog's evidence plus this machine's `fit bench agent` runs; read once, when asked.
    func evidence() throws -> Evidence {
        if let cachedEvidence { return cachedEvidence }
        let e = try loader.evidence(for: catalog).withMachineRuns(machine, store: userStore)
        cachedEvidence = e
        return e
    }

    /// The task tiers (without reading the rest of the evidence when it is not loaded yet).
    func tiers() throws -> TierBook? {
        if let cachedEvidence { return cachedEvidence.tiers }
        return try loader.tiers(for: catalog)
    }

    /// What the speed of any build here depends on. With a GPU the table knows, the catalog's
    /// measured rows come along (a measurement of the same model, quant and GPU beats the
    /// estimate); without one none can apply, and the evidence is not read.
    func speed() throws -> SpeedContext {
        if let cachedSpeed { return cachedSpeed }
        var s = baseSpeed
        if !s.gpus.isEmpty { s.measured = try evidence().throughput }
        cachedSpeed = s
        return s
    }
    private var cachedSpeed: SpeedContext?

    /// The host speed the estimator uses here (measured, or assumed and said).
    var hostSpeed: HostSpeed { baseSpeed.host }

    /// Each GPU the hardware table knows, with its speed figures: its bandwidth (probed or from the
    /// table) and the entry's FP16 throughput, dies and vendor. Matched once per run.
    static func knownGPUs(_ machine: MachineDescription, catalog: Catalog) -> [KnownGPU] {
        let resolver = catalog.hardwareResolver
        return machine.gpus.compactMap { g in
            guard let bandwidth = g.memoryBandwidthGBs?.value,
                let spec = g.tableEntry(resolver)?.0
            else { return nil }
            let device = ComputeDevice(
                bandwidthGBs: bandwidth, fp16TFLOPS: spec.fp16TFLOPS, backend: g.backend, dies: spec.dies ?? 1,
                vendor: spec.vendor)
            return KnownGPU(index: g.index, device: device, hardwareID: spec.id, name: spec.name, powerW: spec.powerW)
        }
    }
}

/// The user's database for reading, when there is one: read-only, no migration, no write lock.
/// The imported models fit can plan. One imported before the ranges were checked, or written by
/// hand, is left out with a line that says how to remove it: it never makes every command fail.
func usableUserModels(_ store: UserStore?) -> [CatalogModel] {
    guard let store else { return [] }
    let all: [CatalogModel]
    do { all = try store.models() } catch {
        reportStoreTrouble(error, store: store)
        return []
    }
    return all.filter { m in
        guard let p = m.architecture.problems.first else { return true }
        OncePerRun.printError(
            "imported model `\(m.id)` is left out: its \(p.description); remove it with `fit catalog remove \(m.id)`")
        return false
    }
}

/// A database that cannot be read is named, once per run: never taken for "no imported models".
func reportStoreTrouble(_ error: any Error, store: UserStore) {
    OncePerRun.printError(
        "fit's database \(store.path) \(UserStore.describe(error)); this run goes without your imported models and measurements"
    )
}

func readUserStore() -> UserStore? {
    guard let path = UserStore.defaultPath(environment: ProcessInfo.processInfo.environment) else { return nil }
    do { return try UserStore.openReadOnly(at: path) } catch {
        OncePerRun.printError(
            "fit's database \(path) \(UserStore.describe(error)); this run goes without your imported models and measurements"
        )
        return nil
    }
}

/// Where measurements are kept: the user's database, for the commands that write it.
func openUserStore() throws -> UserStore {
    guard let path = UserStore.defaultPath(environment: ProcessInfo.processInfo.environment) else {
        throw FitError.usage("no place for fit's database: set HOME, XDG_DATA_HOME or FIT_DATA_DIR")
    }
    do {
        let store = try UserStore.open(at: path)
        if let aside = store.setAside {
            FitCommand.printError(
                "fit's database \(path) was corrupt; it was moved to \(aside) (nothing in it was deleted) and a new one started"
            )
        }
        return store
    } catch {
        throw FitError(sentence: "fit's database \(path) \(UserStore.describe(error))", exitCode: 1)
    }
}

extension Evidence {
    /// The catalog's evidence plus this machine's `fit bench agent` runs, as tier runs (one set per model and endpoint).
    func withMachineRuns(_ machine: MachineDescription, store: UserStore?) -> Evidence {
        guard let runs = try? store?.agentRuns(machine: machine.benchKey), !runs.isEmpty else { return self }
        var e = self
        struct Key: Hashable, Comparable {
            var model: String, endpoint: String
            static func < (a: Key, b: Key) -> Bool { (a.model, a.endpoint) < (b.model, b.endpoint) }
        }
        for (key, group) in Dictionary(grouping: runs, by: { Key(model: $0.model, endpoint: $0.endpoint) }).sorted(by: {
            $0.key < $1.key
        }) {
            e.seeds += AgentRun.evidence(
                group.map(\.run), model: key.model, modelName: key.model, endpoint: key.endpoint)
        }
        return e
    }
}

extension Catalog {
    /// The catalog model a name means (id, alias, Hugging Face repo, Ollama tag), and the quant the name implies.
    func model(named name: String) throws -> (CatalogModel, QuantScheme?) {
        switch resolver.resolve(name) {
        case .found(let m, let q):
            let lower = name.lowercased()
            if let (ud, base) = ModelResolver.unslothDynamic.first(where: { lower.hasSuffix($0.key) }) {
                FileHandle.standardError.write(
                    Data(
                        "fit: note: \(ud.uppercased()), Unsloth's dynamic quant, is planned as \(base.rawValue), the K-quant it builds on (its file differs by a few percent)\n"
                            .utf8))
            }
            return (m, q)
        case .unknown(let suggestions):
            throw FitError.usage(
                "unknown model `\(name)`; closest catalog entries: \(suggestions.joined(separator: ", ")) (see `fit list`)"
            )
        }
    }
}

/// Lines said once per run, however many times a command loads the catalog or opens the database
/// (`fit bench runtime` reads the catalog for the model's name before the probe, then again).
enum OncePerRun {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var said: Set<String> = []

    static func printError(_ line: String) {
        lock.lock()
        let new = said.insert(line).inserted
        lock.unlock()
        if new { FitCommand.printError(line) }
    }
}
