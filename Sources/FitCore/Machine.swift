/// A machine as probed (or loaded from `fit probe --json`): every fact with its source and status,
/// so "no GPU" is never confused with "could not ask".

public enum FactSource: String, Codable, Sendable {
    case procfs, sysfs, cgroup, libpci, libnuma
    case nvidiaSmi = "nvidia-smi"
    case table, measured, estimate, user
    /// macOS: `sysctl`, `ioreg` (the GPU's IO registry entry), `vm_stat`, and Metal's device limits.
    case sysctl, ioreg
    case vmStat = "vm_stat"
    case metal
    /// SMBIOS memory devices (type 17) as `dmidecode -t 17` prints them: needs root.
    case dmidecode
}

public enum FactStatus: String, Codable, Sendable {
    case ok
    case notSupported = "not supported"
    case noPermission = "no permission"
    case toolMissing = "tool missing"
    case timedOut = "timed out"
    case absent
    case error
}

/// One probed fact: a value (or none), where it came from, and whether asking worked.
public struct Fact<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var value: Value?
    public var source: FactSource
    public var status: FactStatus
    public var detail: String?

    /// A fact: status `ok` when there is a value, `absent` when not, unless told otherwise.
    public init(_ value: Value?, source: FactSource, status: FactStatus? = nil, detail: String? = nil) {
        self.value = value
        self.source = source
        self.status = status ?? (value == nil ? .absent : .ok)
        self.detail = detail
    }
    /// No value, for the reason `status` gives (`ok` means there was nothing to find, e.g. no limit).
    public static func missing(_ source: FactSource, _ status: FactStatus, _ detail: String? = nil) -> Fact {
        Fact(nil, source: source, status: status, detail: detail)
    }
}

public struct CPUDescription: Codable, Sendable, Equatable {
    public var model: Fact<String>
    public var architecture: Fact<String>
    public var sockets: Fact<Int>
    public var physicalCores: Fact<Int>
    public var logicalCores: Fact<Int>
    /// Extensions inference runtimes use: avx2, avx512f, avx512_bf16, avx512_vnni, amx_tile; asimddp, i8mm, sve.
    public var vectorExtensions: Fact<[String]>
    /// Caches of the first CPU (L1d, L1i, L2, L3), as sysfs lists them.
    public var caches: Fact<[CPUCache]>?
    public init(
        model: Fact<String>, architecture: Fact<String>, sockets: Fact<Int>, physicalCores: Fact<Int>,
        logicalCores: Fact<Int>, vectorExtensions: Fact<[String]>
    ) {
        self.model = model
        self.architecture = architecture
        self.sockets = sockets
        self.physicalCores = physicalCores
        self.logicalCores = logicalCores
        self.vectorExtensions = vectorExtensions
    }
}

public struct CPUCache: Codable, Sendable, Equatable {
    public var level: Int
    public var type: String
    public var size: ByteCount
    /// CPUs sharing it ("0-1").
    public var sharedWith: String?
    public init(level: Int, type: String, size: ByteCount, sharedWith: String?) {
        self.level = level
        self.type = type
        self.size = size
        self.sharedWith = sharedWith
    }
}

public struct NUMANode: Codable, Sendable, Equatable {
    public var node: Int
    public var memoryTotal: ByteCount?
    public var memoryFree: ByteCount?
    public var cpus: String?
    public init(node: Int, memoryTotal: ByteCount?, memoryFree: ByteCount?, cpus: String?) {
        self.node = node
        self.memoryTotal = memoryTotal
        self.memoryFree = memoryFree
        self.cpus = cpus
    }
}

/// What SMBIOS says of the installed memory modules.
public struct DIMMSummary: Codable, Sendable, Equatable {
    /// Populated modules.
    public var modules: Int
    /// Memory channels they occupy (two modules on one channel share its bandwidth).
    public var channels: Int
    /// The configured speed all modules run at (the slowest, when they differ), in MT/s.
    public var speedMTs: Int
    /// DDR4, DDR5, LPDDR5...
    public var type: String?
    /// Data bits per channel (64; ECC bits are not data).
    public var dataWidthBits: Int
    public init(modules: Int, channels: Int, speedMTs: Int, type: String?, dataWidthBits: Int) {
        self.modules = modules
        self.channels = channels
        self.speedMTs = speedMTs
        self.type = type
        self.dataWidthBits = dataWidthBits
    }

    /// Peak bandwidth: channels x transfers per second x bytes per transfer, in GB/s (10^9).
    public var theoreticalGBs: Double { Double(channels) * Double(speedMTs) * 1e6 * Double(dataWidthBits / 8) / 1e9 }

    /// Reads `dmidecode -t 17` (or `-t memory`): each populated "Memory Device". A channel is the
    /// bank locator when it names one ("P0 CHANNEL A"), else the slot locator without its trailing
    /// slot number ("DIMM_A1" and "DIMM_A2" share channel A), else each module its own.
    public static func parse(dmidecode text: String) -> DIMMSummary? {
        var devices: [[String: String]] = []
        var current: [String: String]?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmed
            if line == "Memory Device" {
                if let c = current { devices.append(c) }
                current = [:]
                continue
            }
            if line.hasPrefix("Handle ") {
                if let c = current { devices.append(c) }
                current = nil
                continue
            }
            guard current != nil, let colon = line.firstIndex(of: ":") else { continue }
            current?[String(line[..<colon])] = line[line.index(after: colon)...].trimmed
        }
        if let c = current { devices.append(c) }
        func number(_ s: String?) -> Int? { s.flatMap { Int($0.split(separator: " ").first ?? "") } }
        let populated = devices.filter { d in
            guard let size = d["Size"], let n = number(size), n > 0 else { return false }
            return !size.lowercased().contains("no module")
        }
        guard !populated.isEmpty else { return nil }
        let speeds = populated.compactMap {
            number($0["Configured Memory Speed"]) ?? number($0["Configured Clock Speed"]) ?? number($0["Speed"])
        }.filter { $0 > 0 }
        guard let speed = speeds.min() else { return nil }
        var channels: Set<String> = []
        for (i, d) in populated.enumerated() {
            let bank = d["Bank Locator"] ?? ""
            let slot = d["Locator"] ?? ""
            if bank.uppercased().contains("CHANNEL") {
                channels.insert(bank.uppercased())
                continue
            }
            let stem = String(slot.reversed().drop { $0.isNumber }.reversed())
            if let last = stem.last, last.isLetter, stem.count < slot.count {
                channels.insert(stem.uppercased())
            } else {
                channels.insert("module \(i)")
            }
        }
        let width = populated.compactMap { number($0["Data Width"]) }.filter { $0 > 0 }.min() ?? 64
        let type = populated.compactMap { $0["Type"] }.first { $0 != "Unknown" && $0 != "Other" }
        return DIMMSummary(
            modules: populated.count, channels: channels.count, speedMTs: speed, type: type, dataWidthBits: width)
    }
}

public struct MemoryDescription: Codable, Sendable, Equatable {
    public var total: Fact<ByteCount>
    public var available: Fact<ByteCount>
    public var swapTotal: Fact<ByteCount>
    /// The tightest cgroup memory limit up the tree (v2 `memory.max`, v1 `memory.limit_in_bytes`).
    public var containerLimit: Fact<ByteCount>
    public var containerUsage: Fact<ByteCount>
    public var numaNodes: Fact<[NUMANode]>
    /// The DIMMs: their speed and channels give the theoretical RAM bandwidth (SMBIOS, root only).
    public var dimms: Fact<DIMMSummary>?

    public init(
        total: Fact<ByteCount>, available: Fact<ByteCount>, swapTotal: Fact<ByteCount>,
        containerLimit: Fact<ByteCount>, containerUsage: Fact<ByteCount>, numaNodes: Fact<[NUMANode]>
    ) {
        self.total = total
        self.available = available
        self.swapTotal = swapTotal
        self.containerLimit = containerLimit
        self.containerUsage = containerUsage
        self.numaNodes = numaNodes
    }

    /// What a model may use: available RAM, capped by what the container still allows.
    public var usable: ByteCount? {
        var best = available.value ?? total.value
        if let limit = containerLimit.value {
            let room = limit - (containerUsage.value ?? .zero)
            best = best.map { min($0, room) } ?? room
        }
        return best.map { max($0, .zero) }
    }
}

public enum GPUVendor: String, Codable, Sendable {
    case nvidia, amd, intel, apple
    case mooreThreads = "moore-threads"
    case huawei, other

    public init(pciVendorID: Int) {
        switch pciVendorID {
        case 0x10de: self = .nvidia
        case 0x1002: self = .amd
        case 0x8086: self = .intel
        case 0x1ed5: self = .mooreThreads
        case 0x19e5: self = .huawei
        default: self = .other
        }
    }
}

/// The runtime backend a device would use; it decides the runtime overhead.
public enum Backend: String, Codable, Sendable, CaseIterable {
    case cuda, rocm, metal, vulkan, sycl, cpu

    /// Memory the runtime takes that llama.cpp's own accounting does not count: driver context,
    /// libraries, cuBLAS workspace. Values and sources in DECISIONS.md.
    public var overhead: ByteCount {
        switch self {
        case .cuda, .rocm: .mib(457)  // Ollama's reservation for CUDA/ROCm
        case .metal: .mib(512)  // Ollama's reservation for Metal
        case .vulkan, .sycl: .mib(457)  // assumed like CUDA; not yet measured
        case .cpu: .mib(100)  // process, libraries and thread-pool buffers (estimate)
        }
    }
}

/// A MIG instance (`nvidia-smi -L`: `MIG 3g.40gb Device 0: (UUID: MIG-...)`).
public struct MIGInstance: Codable, Sendable, Equatable {
    public var profile: String
    public var device: Int
    public var uuid: String?
    /// Memory from the profile name ("3g.40gb" -> 40 GB): an estimate, the instance gets a little less.
    public var memory: Fact<ByteCount>
    public init(profile: String, device: Int, uuid: String?, memory: Fact<ByteCount>) {
        self.profile = profile
        self.device = device
        self.uuid = uuid
        self.memory = memory
    }
}

public struct GPUDescription: Codable, Sendable, Equatable {
    public var index: Int
    public var vendor: GPUVendor
    public var name: Fact<String>
    public var pciAddress: String?
    public var driver: Fact<String>
    public var memoryTotal: Fact<ByteCount>
    public var memoryFree: Fact<ByteCount>
    /// Shared with the CPU (APUs, DGX Spark, Jetson, Apple): planned against system RAM.
    public var unifiedMemory: Bool
    public var backend: Backend
    /// CUDA compute capability ("9.0"), where the driver tells.
    public var computeCapability: Fact<String>?
    /// Peak memory bandwidth in GB/s (10^9 bytes/s): from the catalog's hardware table, flagged as such.
    public var memoryBandwidthGBs: Fact<Double>?
    /// Max memory clock in MHz, as the driver reports it.
    public var memoryClockMHz: Fact<Int>?
    /// MIG instances, when MIG is enabled: a process sees one of them, not the whole GPU.
    public var migInstances: [MIGInstance]?
    /// For an APU: how much system RAM the GPU may map (amdgpu GTT), on top of its VRAM carve-out.
    /// On Apple Silicon: Metal's working-set limit (the most a process may keep resident on the GPU).
    public var sharedMemoryLimit: Fact<ByteCount>?
    /// GPU cores, where the platform tells (Apple: the IO registry's `gpu-core-count`): Apple's
    /// bandwidth differs by bin (M4 Max: 32 cores 410 GB/s, 40 cores 546 GB/s).
    public var gpuCores: Fact<Int>?
    /// The PCI vendor and device id (`10de:2684`) and the name pci.ids (or fit's table of newer
    /// GPUs) gives it (`AD102 [GeForce RTX 4090]`): a second way to find the GPU in the hardware
    /// table when the driver's name is generic or unknown to it.
    public var pciID: String?
    public var pciName: String?

    public init(
        index: Int, vendor: GPUVendor, name: Fact<String>, pciAddress: String?, driver: Fact<String>,
        memoryTotal: Fact<ByteCount>, memoryFree: Fact<ByteCount>, unifiedMemory: Bool, backend: Backend
    ) {
        self.index = index
        self.vendor = vendor
        self.name = name
        self.pciAddress = pciAddress
        self.driver = driver
        self.memoryTotal = memoryTotal
        self.memoryFree = memoryFree
        self.unifiedMemory = unifiedMemory
        self.backend = backend
    }
}

/// How one probe went, whatever it found: the difference between "none" and "could not ask".
public struct ProbeOutcome: Codable, Sendable, Equatable {
    public var probe: String
    public var status: FactStatus
    public var detail: String
    public init(probe: String, status: FactStatus, detail: String) {
        self.probe = probe
        self.status = status
        self.detail = detail
    }
}

public struct MachineDescription: Codable, Sendable, Equatable {
    public static let currentSchema = 1
    public var schema: Int
    public var cpu: CPUDescription
    public var memory: MemoryDescription
    public var gpus: [GPUDescription]
    public var probes: [ProbeOutcome]
    public var warnings: [String]

    public init(
        cpu: CPUDescription, memory: MemoryDescription, gpus: [GPUDescription],
        probes: [ProbeOutcome], warnings: [String]
    ) {
        self.schema = Self.currentSchema
        self.cpu = cpu
        self.memory = memory
        self.gpus = gpus
        self.probes = probes
        self.warnings = warnings
    }

    /// One line for people: "no GPU found (nvidia-smi: tool missing; PCI: no display controllers)".
    public var gpuSummary: String {
        if gpus.isEmpty {
            let asked = probes.map { "\($0.probe): \($0.detail)" }.joined(separator: "; ")
            return "no GPU found" + (asked.isEmpty ? "" : " (\(asked))")
        }
        return gpus.map { g in
            let mem = g.unifiedMemory ? "unified memory" : (g.memoryTotal.value.map { "\($0)" } ?? "memory unknown")
            return "\(g.name.value ?? "GPU \(g.index)") (\(mem))"
        }.joined(separator: ", ")
    }
}

extension MachineDescription {
    /// The RAM's theoretical bandwidth: on unified-memory machines the GPU's table bandwidth (it is
    /// the RAM's); elsewhere the DIMMs' channels x speed, when SMBIOS could be read.
    public var theoreticalRAMBandwidth: (gbs: Double, basis: String)? {
        if let bw = gpus.first(where: { $0.unifiedMemory })?.memoryBandwidthGBs?.value {
            return (bw, "hardware table, unified memory")
        }
        if let d = memory.dimms?.value {
            return (
                d.theoreticalGBs,
                "\(d.channels) channel\(d.channels == 1 ? "" : "s") of \(d.type ?? "RAM")-\(d.speedMTs), from SMBIOS"
            )
        }
        return nil
    }
}
