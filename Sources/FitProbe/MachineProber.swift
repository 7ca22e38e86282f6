import CFitShim
import CNuma
import FitCore
import Foundation

/// Names and kinds that the system's pci.ids may not know (Debian's is from 2023).
/// Device ids from the kernel's amdgpu/nouveau/xe tables and the PCI ID repository (pci-ids.ucw.cz).
enum PCINames {
    static func key(_ vendor: Int, _ device: Int) -> String { String(format: "%04x:%04x", vendor, device) }

    static let newer: [String: String] = [
        "10de:2b85": "NVIDIA GeForce RTX 5090",
        "10de:2c02": "NVIDIA GeForce RTX 5080",
        "10de:2c05": "NVIDIA GeForce RTX 5070 Ti",
        "10de:2f04": "NVIDIA GeForce RTX 5070",
        "1002:7550": "AMD Radeon RX 9070 XT",
        "1002:1586": "AMD Radeon 8060S (Strix Halo)",
        "1002:150e": "AMD Radeon 890M (Strix Point)",
        "8086:e20b": "Intel Arc B580",
        "8086:e20c": "Intel Arc B570",
    ]

    /// AMD APUs: their VRAM is a BIOS carve-out and the GPU maps system RAM through GTT.
    static let amdAPUs: Set<Int> = [
        0x1586,  // Strix Halo (Radeon 8050S/8060S)
        0x150e,  // Strix Point (Radeon 880M/890M)
        0x15bf, 0x15c8,  // Phoenix (Radeon 780M/760M)
        0x1900,  // Hawk Point
        0x1681,  // Rembrandt (Radeon 680M)
        0x164e,  // Raphael iGPU
        0x13c0,  // Granite Ridge iGPU
        0x1636, 0x1638, 0x164c,  // Renoir, Cezanne, Lucienne
        0x163f,  // Van Gogh (Steam Deck)
    ]
}

/// A PCI display or compute device, as sysfs or libpci lists it.
public struct PCIDevice: Sendable, Equatable {
    public var address: String  // "0000:01:00.0"
    public var vendorID: Int
    public var deviceID: Int
    public var classCode: Int  // 0x0300
    public var vendorName: String?
    public var deviceName: String?
    public var driver: String?

    /// VGA, 3D, display, and processing accelerators (AMD Instinct reports 0x1200).
    public var isGPU: Bool { [0x0300, 0x0302, 0x0380, 0x1200].contains(classCode) }
}

/// Probes the machine through a root directory and a command runner (both seams, so tests replay
/// recorded machines). Never throws: what it cannot learn is a fact with a status.
public struct MachineProber: Sendable {
    public let root: SystemRoot
    public let runner: any CommandRunner
    /// Whether to ask libpci and libnuma (they read the live /sys; off for fixtures unless their
    /// sysfs path can be redirected, which libpci's can).
    public let useLibraries: Bool
    public var nvidiaTimeout: Duration = .seconds(8)

    public init(
        root: SystemRoot = SystemRoot(), runner: any CommandRunner = SubprocessRunner(), useLibraries: Bool = true
    ) {
        self.root = root
        self.runner = runner
        self.useLibraries = useLibraries
    }

    public func probe() async -> MachineDescription {
        if await isDarwin() { return await probeDarwin() }
        var probes: [ProbeOutcome] = []
        var warnings: [String] = []
        let cpu = probeCPU()
        let memory = probeMemory(&warnings)
        let pci = probePCI(&probes)
        async let dimms = probeDIMMs()
        let gpus = await probeGPUs(pci: pci, probes: &probes, warnings: &warnings)
        var m = MachineDescription(cpu: cpu, memory: memory, gpus: gpus, probes: probes, warnings: warnings)
        m.memory.dimms = await dimms
        return m
    }

    /// The DIMMs' speed and channels from SMBIOS, through `dmidecode -t 17`. SMBIOS is readable by
    /// root only: an ordinary user's live probe says so without spawning a process that must fail.
    func probeDIMMs() async -> Fact<DIMMSummary> {
        if root.isLive, geteuid() != 0 {
            return .missing(
                .dmidecode, .noPermission,
                "DIMM speed and channels need root (sudo fit probe); `fit bench hardware` measures the bandwidth instead"
            )
        }
        let r = await runner.run("dmidecode", ["-t", "17"], timeout: .seconds(5))
        if (r.stdout + r.stderr).contains("No SMBIOS nor DMI entry point found") {
            return .missing(.dmidecode, .absent, "no SMBIOS tables (a VM or a board without them)")
        }
        if let f = r.failure("dmidecode") {
            return .missing(
                .dmidecode, f.status,
                f.status == .toolMissing ? "dmidecode not installed (Debian package dmidecode)" : f.detail)
        }
        guard let s = DIMMSummary.parse(dmidecode: r.stdout) else {
            return .missing(.dmidecode, .absent, "no populated memory device in SMBIOS (a VM?)")
        }
        return Fact(s, source: .dmidecode)
    }

    // MARK: CPU and memory

    func probeCPU() -> CPUDescription {
        var cpu = probeCPUInfo()
        cpu.caches = probeCaches()
        return cpu
    }

    /// /sys/devices/system/cpu/cpu0/cache/index*: level, type and size ("32K", "32768K").
    func probeCaches() -> Fact<[CPUCache]> {
        let base = "/sys/devices/system/cpu/cpu0/cache"
        guard let entries = root.list(base) else { return .missing(.sysfs, .absent, "no \(base)") }
        let caches: [CPUCache] = entries.filter { $0.hasPrefix("index") }.compactMap { e in
            let dir = base + "/" + e
            guard let level = root.trimmed(dir + "/level").flatMap({ Int($0) }), let type = root.trimmed(dir + "/type"),
                let sizeText = root.trimmed(dir + "/size"), let size = ByteCount.parse(sizeText)
            else { return nil }
            return CPUCache(level: level, type: type, size: size, sharedWith: root.trimmed(dir + "/shared_cpu_list"))
        }
        return caches.isEmpty ? .missing(.sysfs, .error, "\(base) unreadable") : Fact(caches, source: .sysfs)
    }

    func probeCPUInfo() -> CPUDescription {
        switch root.read("/proc/cpuinfo") {
        case .text(let t): return ProcParsers.cpu(cpuinfo: t)
        case let other:
            let f = Fact<String>.missing(.procfs, other.status, "/proc/cpuinfo unreadable")
            return CPUDescription(
                model: f, architecture: f, sockets: .missing(.procfs, other.status),
                physicalCores: .missing(.procfs, other.status),
                logicalCores: .missing(.procfs, other.status), vectorExtensions: .missing(.procfs, other.status))
        }
    }

    func probeMemory(_ warnings: inout [String]) -> MemoryDescription {
        let read = root.read("/proc/meminfo")
        let info = read.text.map(ProcParsers.meminfo) ?? [:]
        func fact(_ key: String) -> Fact<ByteCount> {
            guard read.text != nil else { return .missing(.procfs, read.status, "/proc/meminfo unreadable") }
            return info[key].map { Fact($0, source: .procfs) }
                ?? .missing(.procfs, .absent, "\(key) not in /proc/meminfo")
        }
        let (limit, usage) = probeCgroup()
        if let l = limit.value, let total = info["MemTotal"], l < total {
            warnings.append("a container memory limit of \(l) applies (the host has \(total)); plans use the limit")
        }
        return MemoryDescription(
            total: fact("MemTotal"), available: fact("MemAvailable"), swapTotal: fact("SwapTotal"),
            containerLimit: limit, containerUsage: usage, numaNodes: probeNUMA())
    }

    /// The tightest memory limit from this process's cgroup up to the root (v2), or the v1 limit.
    func probeCgroup() -> (limit: Fact<ByteCount>, usage: Fact<ByteCount>) {
        guard let text = root.text("/proc/self/cgroup") else {
            return (.missing(.cgroup, .absent, "/proc/self/cgroup unreadable"), .missing(.cgroup, .absent))
        }
        let paths = ProcParsers.cgroupPaths(text)
        if let v2 = paths.v2, root.read("/sys/fs/cgroup/cgroup.controllers") != .absent {
            var best: ByteCount?
            var components = v2.split(separator: "/").map(String.init)
            var usage: ByteCount?
            while true {
                let dir = "/sys/fs/cgroup" + (components.isEmpty ? "" : "/" + components.joined(separator: "/"))
                if let t = root.text(dir + "/memory.max"), let parsed = ProcParsers.cgroupLimit(t), let limit = parsed {
                    best = best.map { min($0, limit) } ?? limit
                }
                if usage == nil, let u = root.trimmed(dir + "/memory.current").flatMap({ Int64($0) }) {
                    usage = ByteCount(u)
                }
                if components.isEmpty { break }
                components.removeLast()
            }
            return (
                best.map { Fact($0, source: .cgroup, detail: "cgroup v2 memory.max") }
                    ?? .missing(.cgroup, .ok, "cgroup v2: no memory limit"),
                usage.map { Fact($0, source: .cgroup) } ?? .missing(.cgroup, .absent)
            )
        }
        if let v1 = paths.v1Memory {
            for dir in ["/sys/fs/cgroup/memory" + v1, "/sys/fs/cgroup/memory"] {
                if let t = root.text(dir + "/memory.limit_in_bytes"), let parsed = ProcParsers.cgroupLimit(t) {
                    let usage: Fact<ByteCount>? = root.trimmed(dir + "/memory.usage_in_bytes").flatMap { Int64($0) }.map
                    { Fact(ByteCount($0), source: .cgroup) }
                    return (
                        parsed.map { Fact($0, source: .cgroup, detail: "cgroup v1 memory.limit_in_bytes") }
                            ?? .missing(.cgroup, .ok, "cgroup v1: no memory limit"),
                        usage ?? .missing(.cgroup, .absent)
                    )
                }
            }
        }
        return (.missing(.cgroup, .absent, "no cgroup memory controller found"), .missing(.cgroup, .absent))
    }

    /// NUMA nodes through libnuma on a live machine, else sysfs. Node sizes need not add up to
    /// MemTotal (VMs): they are reported as found, never normalised.
    func probeNUMA() -> Fact<[NUMANode]> {
        if useLibraries, root.isLive, numa_available() >= 0 {
            let maxNode = numa_max_node()
            var nodes: [NUMANode] = []
            if maxNode >= 0 {
                for n in 0...maxNode {
                    var free: Int64 = 0
                    let total = numa_node_size64(n, &free)
                    guard total > 0 else { continue }
                    nodes.append(
                        NUMANode(
                            node: Int(n), memoryTotal: ByteCount(total), memoryFree: ByteCount(free),
                            cpus: root.trimmed("/sys/devices/system/node/node\(n)/cpulist")))
                }
            }
            if !nodes.isEmpty { return Fact(nodes, source: .libnuma) }
        }
        guard let entries = root.list("/sys/devices/system/node") else {
            return .missing(.sysfs, .absent, "no /sys/devices/system/node (kernel without NUMA)")
        }
        let nodes: [NUMANode] = entries.compactMap { name in
            guard name.hasPrefix("node"), let n = Int(name.dropFirst(4)) else { return nil }
            let dir = "/sys/devices/system/node/" + name
            let mem = root.text(dir + "/meminfo").map(ProcParsers.nodeMeminfo)
            return NUMANode(
                node: n, memoryTotal: mem?.total, memoryFree: mem?.free, cpus: root.trimmed(dir + "/cpulist"))
        }.sorted { $0.node < $1.node }
        return Fact(nodes, source: .sysfs)
    }

    // MARK: PCI

    /// GPUs on the PCI bus: libpci (names from pci.ids) when it works, else sysfs alone.
    func probePCI(_ probes: inout [ProbeOutcome]) -> [PCIDevice] {
        let sysfsDevices = pciFromSysfs()
        guard useLibraries else {
            probes.append(
                ProbeOutcome(
                    probe: "pci", status: sysfsDevices == nil ? .absent : .ok,
                    detail: sysfsDevices.map { "sysfs: \(Self.count($0.filter(\.isGPU).count, "GPU"))" }
                        ?? "no /sys/bus/pci"))
            return sysfsDevices?.filter(\.isGPU) ?? []
        }
        switch pciFromLibpci() {
        case .success(var devices):
            let drivers = Dictionary(
                (sysfsDevices ?? []).map { ($0.address, $0.driver) }, uniquingKeysWith: { a, _ in a })
            for i in devices.indices { devices[i].driver = drivers[devices[i].address] ?? nil }
            let gpus = devices.filter(\.isGPU)
            probes.append(
                ProbeOutcome(
                    probe: "pci", status: .ok,
                    detail: "libpci: \(Self.count(gpus.count, "GPU")) among \(Self.count(devices.count, "device"))"))
            return gpus
        case .failure(let raw):
            // Paths inside a recorded root read as the machine's own paths.
            let message = root.isLive ? raw : raw.replacingOccurrences(of: root.resolve("/"), with: "/")
            let gpus = sysfsDevices?.filter(\.isGPU) ?? []
            probes.append(
                ProbeOutcome(
                    probe: "pci", status: sysfsDevices == nil ? .absent : .ok,
                    detail: sysfsDevices == nil
                        ? "no PCI bus in sysfs (libpci: \(message))"
                        : "libpci failed (\(message)); sysfs: \(Self.count(gpus.count, "GPU"))"))
            return gpus
        }
    }

    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    func pciFromSysfs() -> [PCIDevice]? {
        let base = "/sys/bus/pci/devices"
        guard let entries = root.list(base) else { return nil }
        return entries.compactMap { addr in
            let dir = base + "/" + addr
            func hex(_ f: String) -> Int? {
                root.trimmed(dir + "/" + f).flatMap { Int($0.replacingOccurrences(of: "0x", with: ""), radix: 16) }
            }
            guard let vendor = hex("vendor"), let device = hex("device"), let cls = hex("class") else { return nil }
            return PCIDevice(
                address: addr, vendorID: vendor, deviceID: device, classCode: cls >> 8,
                vendorName: nil, deviceName: nil, driver: root.linkTarget(dir + "/driver"))
        }
    }

    enum LibpciResult {
        case success([PCIDevice])
        case failure(String)
    }

    func pciFromLibpci() -> LibpciResult {
        let path: String? = root.isLive ? nil : root.resolve("/sys/bus/pci")
        var out = [fit_pci_device](repeating: fit_pci_device(), count: 256)
        var error = [CChar](repeating: 0, count: 256)
        let n: Int32 = out.withUnsafeMutableBufferPointer { buf in
            error.withUnsafeMutableBufferPointer { err in
                if let path {
                    return path.withCString {
                        fit_pci_list($0, nil, buf.baseAddress, Int32(buf.count), err.baseAddress, Int32(err.count))
                    }
                }
                return fit_pci_list(nil, nil, buf.baseAddress, Int32(buf.count), err.baseAddress, Int32(err.count))
            }
        }
        if n < 0 {
            return .failure(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return .success(
            out.prefix(Int(n)).map { d in
                var d = d
                let vendorName = withUnsafeBytes(of: &d.vendor_name) { Self.cString($0) }
                let deviceName = withUnsafeBytes(of: &d.device_name) { Self.cString($0) }
                let address = String(format: "%04x:%02x:%02x.%x", d.domain, d.bus, d.dev, d.func)
                return PCIDevice(
                    address: address, vendorID: Int(d.vendor_id), deviceID: Int(d.device_id),
                    classCode: Int(d.device_class), vendorName: vendorName.isEmpty ? nil : vendorName,
                    deviceName: deviceName.isEmpty ? nil : deviceName, driver: nil)
            })
    }

    /// A NUL-terminated C char array (a fixed-size struct field) as a String.
    static func cString(_ raw: UnsafeRawBufferPointer) -> String {
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: GPUs

    func probeGPUs(pci: [PCIDevice], probes: inout [ProbeOutcome], warnings: inout [String]) async -> [GPUDescription] {
        var gpus: [GPUDescription] = []
        var claimed: Set<String> = []

        // NVIDIA: VRAM only from nvidia-smi (or NVML).
        let hasNvidiaPCI = pci.contains { GPUVendor(pciVendorID: $0.vendorID) == .nvidia }
        // The core and the extended query run together: the probe costs one nvidia-smi call of time.
        async let extendedRun = runner.run(
            "nvidia-smi", NvidiaSmi.arguments(NvidiaSmi.extendedFields), timeout: nvidiaTimeout)
        let core = await runner.run("nvidia-smi", NvidiaSmi.arguments(NvidiaSmi.coreFields), timeout: nvidiaTimeout)
        let extendedResult = await extendedRun
        let extended = extendedResult.ending == .exited(0) ? NvidiaSmi.parseExtended(extendedResult.stdout) : []
        var migs: [Int: [MIGInstance]] = [:]
        if extended.contains(where: \.migEnabled) {
            let list = await runner.run("nvidia-smi", ["-L"], timeout: nvidiaTimeout)
            if list.ending == .exited(0) { migs = NvidiaSmi.parseMIG(list.stdout) }
        }
        if let outcome = NvidiaSmi.diagnose(core) {
            probes.append(outcome)
            if hasNvidiaPCI, outcome.status != .ok {
                warnings.append(
                    "an NVIDIA GPU is on the PCI bus but nvidia-smi \(outcome.detail); its memory is unknown and it is not planned for"
                )
            }
        } else {
            var rows = NvidiaSmi.parseCore(core.stdout)
            if rows.isEmpty, !core.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                probes.append(
                    ProbeOutcome(
                        probe: "nvidia-smi", status: .error,
                        detail:
                            "answered with output that holds no GPU row fit can read (\(core.stdout.utf8.count) bytes)"
                    ))
            } else {
                probes.append(ProbeOutcome(probe: "nvidia-smi", status: .ok, detail: Self.count(rows.count, "GPU")))
            }
            if rows.count > NvidiaSmi.maxRows {
                warnings.append(
                    "nvidia-smi listed \(rows.count) GPUs; fit reads the first \(NvidiaSmi.maxRows) (no machine has more)"
                )
                rows = Array(rows.prefix(NvidiaSmi.maxRows))
            }
            for row in rows {
                let address = row.busID.map(NvidiaSmi.sysfsAddress)
                if let address { claimed.insert(address) }
                let name = row.name.value ?? ""
                // Unified-memory parts (DGX Spark GB10, Jetson) report no memory of their own.
                let unified =
                    row.memoryTotal.value == nil
                    && (name.contains("GB10") || name.lowercased().contains("orin")
                        || name.lowercased().contains("thor"))
                var gpu = GPUDescription(
                    index: gpus.count, vendor: .nvidia, name: row.name, pciAddress: address, driver: row.driver,
                    memoryTotal: row.memoryTotal, memoryFree: row.memoryFree, unifiedMemory: unified, backend: .cuda)
                if let address, let dev = pci.first(where: { $0.address == address }) {
                    let key = PCINames.key(dev.vendorID, dev.deviceID)
                    gpu.pciID = key
                    gpu.pciName = PCINames.newer[key] ?? dev.deviceName
                }
                if let x = extended.first(where: { $0.index == row.index }) {
                    gpu.computeCapability = x.computeCapability
                    gpu.memoryClockMHz = x.memoryClockMHz
                    if x.migEnabled { gpu.migInstances = migs[row.index] ?? [] }
                } else {
                    let why =
                        extendedResult.ending == .exited(0)
                        ? "not reported" : "the extended query failed (older driver?)"
                    gpu.computeCapability = .missing(.nvidiaSmi, .notSupported, why)
                }
                gpus.append(gpu)
            }
        }

        // Every other GPU on the bus, with what sysfs knows of its memory.
        for dev in pci where !claimed.contains(dev.address) {
            let vendor = GPUVendor(pciVendorID: dev.vendorID)
            let dir = "/sys/bus/pci/devices/" + dev.address
            let name =
                PCINames.newer[PCINames.key(dev.vendorID, dev.deviceID)].map {
                    Fact($0, source: .table, detail: "fit's table of GPUs newer than pci.ids")
                }
                ?? dev.deviceName.map { Fact($0, source: .libpci) }
                ?? Fact(
                    "PCI device \(PCINames.key(dev.vendorID, dev.deviceID))", source: .sysfs,
                    detail: "not in this system's pci.ids")
            var total: Fact<ByteCount> = .missing(.sysfs, .absent)
            var used: ByteCount?
            var unified = false
            var backend: Backend = .vulkan
            switch vendor {
            case .nvidia:
                total = .missing(
                    .nvidiaSmi, probes.last { $0.probe == "nvidia-smi" }?.status ?? .error,
                    "VRAM is known only to nvidia-smi")
                backend = .cuda
            case .amd:
                backend = .rocm
                if PCINames.amdAPUs.contains(dev.deviceID) { unified = true }
                switch root.read(dir + "/mem_info_vram_total") {
                case .text(let t):
                    total =
                        Int64(t.trimmingCharacters(in: .whitespacesAndNewlines)).map {
                            Fact(ByteCount($0), source: .sysfs)
                        } ?? .missing(.sysfs, .error)
                case let r: total = .missing(.sysfs, r.status, "mem_info_vram_total")
                }
                used = root.trimmed(dir + "/mem_info_vram_used").flatMap { Int64($0) }.map(ByteCount.init)
            case .intel:
                backend = .sycl
                // xe reports each tile's VRAM; an integrated GPU (at 00:02.0, or with none) shares RAM.
                if let bytes = root.trimmed(dir + "/tile0/physical_vram_size_bytes").flatMap({ Int64($0) }) {
                    total = Fact(ByteCount(bytes), source: .sysfs, detail: "xe tile0/physical_vram_size_bytes")
                } else if dev.address.hasSuffix(":00:02.0") {
                    unified = true
                } else {
                    total = .missing(.sysfs, .absent, "the driver does not report VRAM (i915); see the hardware table")
                }
            default: break
            }
            let free: Fact<ByteCount> = {
                if let t = total.value, let u = used { return Fact(t - u, source: .sysfs) }
                return .missing(.sysfs, total.status == .ok ? .absent : total.status)
            }()
            var gpu = GPUDescription(
                index: gpus.count, vendor: vendor, name: name, pciAddress: dev.address,
                driver: Fact(dev.driver, source: .sysfs), memoryTotal: total, memoryFree: free,
                unifiedMemory: unified, backend: backend)
            gpu.pciID = PCINames.key(dev.vendorID, dev.deviceID)
            if vendor == .amd, unified {
                gpu.sharedMemoryLimit =
                    root.trimmed(dir + "/mem_info_gtt_total").flatMap { Int64($0) }
                    .map { Fact(ByteCount($0), source: .sysfs, detail: "mem_info_gtt_total: RAM the GPU may map") }
                    ?? .missing(.sysfs, .absent, "mem_info_gtt_total")
            }
            gpus.append(gpu)
        }
        return gpus
    }
}
