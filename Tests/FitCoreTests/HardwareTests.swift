import FitCore
import FitTestSupport
import Testing

@Suite("Planning for hardware you do not have", .onWorkerThreads)
struct HardwareTests {
    static let rtx3090 = HardwareSpec(
        id: "rtx-3090", name: "NVIDIA GeForce RTX 3090", vendor: .nvidia, memoryGB: 24, nvidiaSmiMiB: 24576,
        memoryType: "GDDR6X", unifiedMemory: false, bandwidthGBs: 936, fp16TFLOPS: 142,
        aliases: ["RTX 3090"], source: "test", notes: nil)
    static let m4max = HardwareSpec(
        id: "apple-m4-max-40-core-gpu", name: "Apple M4 Max (40-core GPU)", vendor: .apple, memoryGB: 128,
        nvidiaSmiMiB: nil, memoryType: "LPDDR5X (unified)", unifiedMemory: true, bandwidthGBs: 546,
        fp16TFLOPS: 17.2, aliases: ["M4 Max 40-core", "M4 Max"], source: "test", notes: nil)
    static let m4max32 = HardwareSpec(
        id: "apple-m4-max-32-core-gpu", name: "Apple M4 Max (32-core GPU)", vendor: .apple, memoryGB: 36,
        nvidiaSmiMiB: nil, memoryType: "LPDDR5X (unified)", unifiedMemory: true, bandwidthGBs: 410,
        fp16TFLOPS: 13.8, aliases: ["M4 Max 32-core"], source: "test", notes: nil)
    let resolver = HardwareResolver(specs: [rtx3090, m4max, m4max32])

    @Test(
        "requests people type",
        arguments: [
            ("RTX 5090", 1, "RTX 5090", nil as Double?), ("2x RTX 3090", 2, "RTX 3090", nil),
            ("2 x RTX 3090", 2, "RTX 3090", nil),
            ("Apple M4 Max 40-core 128GB", 1, "Apple M4 Max 40-core", 128.0), ("8x H100", 8, "H100", nil),
        ])
    func requests(_ text: String, _ count: Int, _ name: String, _ gib: Double?) {
        let r = HardwareRequest.parse(text)
        let expectedMemory: ByteCount? = gib.map { ByteCount.gib($0) }
        #expect(r?.count == count)
        #expect(r?.name == name)
        #expect(r?.memory == expectedMemory)
    }

    @Test("names resolve by id, name or alias, whatever the spelling")
    func resolves() {
        for name in ["RTX 3090", "rtx-3090", "NVIDIA GeForce RTX 3090", "geforce rtx3090", "3090"] {
            #expect(resolver.resolve(name) == .found(Self.rtx3090), "\(name)")
        }
        #expect(resolver.resolve("Apple M4 Max 40-core") == .found(Self.m4max))
        #expect(resolver.resolve("M4 Max") == .found(Self.m4max))  // an alias picks the common bin
    }

    @Test("several matches are listed; none gets the closest")
    func ambiguousAndUnknown() {
        #expect(
            resolver.resolve("Apple M4") == .ambiguous(["Apple M4 Max (40-core GPU)", "Apple M4 Max (32-core GPU)"]))
        guard case .unknown(let s) = resolver.resolve("RTX 3099") else {
            Issue.record("resolved")
            return
        }
        #expect(s.first == "NVIDIA GeForce RTX 3090")
    }

    static func card(_ id: String, _ name: String, _ gb: Double, _ gbs: Double, aliases: [String] = []) -> HardwareSpec
    {
        HardwareSpec(
            id: id, name: name, vendor: .nvidia, memoryGB: gb, nvidiaSmiMiB: nil, memoryType: "GDDR6",
            unifiedMemory: false, bandwidthGBs: gbs, fp16TFLOPS: 100, aliases: aliases, source: "test", notes: nil)
    }
    static let siblings = HardwareResolver(specs: [
        card("rtx-a4000", "NVIDIA RTX A4000", 16, 448, aliases: ["RTX A4000"]),
        card("a40", "NVIDIA A40", 48, 696),
        card("rtx-4090", "NVIDIA GeForce RTX 4090", 24, 1008, aliases: ["RTX 4090"]),
        card("rtx-4090-laptop", "NVIDIA GeForce RTX 4090 Laptop GPU", 16, 576, aliases: ["RTX 4090 Laptop"]),
        card("rtx-3060-12gb", "NVIDIA GeForce RTX 3060 12GB", 12, 360, aliases: ["RTX 3060"]),
        card("rtx-3060-8gb", "NVIDIA GeForce RTX 3060 8GB", 8, 240),
        card("rtx-3060-ti", "NVIDIA GeForce RTX 3060 Ti", 8, 448),
        card("a100-40gb-pcie", "NVIDIA A100 40GB PCIe", 40, 1555),
        card("a100-80gb-sxm", "NVIDIA A100 80GB SXM4", 80, 2039, aliases: ["A100"]),
        card("h100-pcie", "NVIDIA H100 PCIe", 80, 2000), card("h100-sxm", "NVIDIA H100 SXM", 80, 3350),
    ])

    @Test(
        "a name means the card with exactly those words, never a sibling that contains them",
        arguments: [
            ("A40", "a40"), ("RTX A4000", "rtx-a4000"), ("RTX 4090", "rtx-4090"), ("4090", "rtx-4090"),
            ("RTX 4090 Laptop", "rtx-4090-laptop"), ("RTX 4090 Mobile", "rtx-4090-laptop"),
            ("RTX 4090 Laptop GPU", "rtx-4090-laptop"), ("RTX 3060", "rtx-3060-12gb"), ("RTX 3060 Ti", "rtx-3060-ti"),
            ("rtx 3060ti", "rtx-3060-ti"), ("A100", "a100-80gb-sxm"),
        ])
    func exactWords(_ name: String, _ id: String) {
        guard case .found(let s) = Self.siblings.resolve(name) else {
            Issue.record("\(name): \(Self.siblings.resolve(name))")
            return
        }
        #expect(s.id == id, "\(name)")
    }

    @Test(
        "a memory size in the name picks the variant; a size the card does not come in is refused",
        arguments: [
            ("A100 40GB", "a100-40gb-pcie"), ("A100 80GB", "a100-80gb-sxm"), ("RTX 3060 8GB", "rtx-3060-8gb"),
            ("RTX 3060 12GB", "rtx-3060-12gb"), ("RTX 3060 Ti 8GB", "rtx-3060-ti"),
        ])
    func memoryVariants(_ text: String, _ id: String) throws {
        let request = try #require(HardwareRequest.parse(text))
        guard case .found(let s) = Self.siblings.resolve(request) else {
            Issue.record("\(text): \(Self.siblings.resolve(request))")
            return
        }
        #expect(s.id == id, "\(text)")
    }

    @Test("a size no variant has, a name only siblings contain: candidates, never a guess")
    func refused() throws {
        let r = Self.siblings.resolve(try #require(HardwareRequest.parse("RTX 4090 16GB")))
        guard case .noVariant(let name, let asked, let variants) = r else {
            Issue.record("\(r)")
            return
        }
        #expect(name == "NVIDIA GeForce RTX 4090" && asked == .gib(16))
        #expect(variants.contains("NVIDIA GeForce RTX 4090 Laptop GPU (16 GB)"))
        #expect(
            Self.siblings.resolve("H100") == .ambiguous(["NVIDIA H100 PCIe", "NVIDIA H100 SXM"]),
            "no H100 entry of its own: the two are named")
        guard case .unknown = Self.siblings.resolve("A4") else {
            Issue.record("A4 resolved to \(Self.siblings.resolve("A4"))")
            return
        }
    }

    @Test("a driver's long name finds its card: the laptop part stays a laptop part, the desktop card a desktop card")
    func driverNames() {
        #expect(Self.siblings.match(name: "AD103M [GeForce RTX 4090 Laptop GPU]", memory: nil)?.id == "rtx-4090-laptop")
        #expect(
            Self.siblings.match(name: "AD103M [GeForce RTX 4090 Mobile]", memory: .gib(16))?.id == "rtx-4090-laptop")
        #expect(Self.siblings.match(name: "AD102 [GeForce RTX 4090]", memory: nil)?.id == "rtx-4090")
        #expect(Self.siblings.match(name: "GA104 [GeForce RTX 3060 Ti]", memory: nil)?.id == "rtx-3060-ti")
        #expect(Self.siblings.match(name: "TU116M [GeForce GTX 1660 Ti Mobile]", memory: nil) == nil)
    }

    @Test("two discrete GPUs stay two devices with the recorded nvidia-smi memory")
    func discrete() {
        let host = MachineDescription(
            cpu: CPUDescription(
                model: Fact("x", source: .procfs), architecture: Fact("x86_64", source: .procfs),
                sockets: Fact(1, source: .procfs), physicalCores: Fact(8, source: .procfs),
                logicalCores: Fact(16, source: .procfs), vectorExtensions: Fact(["avx2"], source: .procfs)),
            memory: MemoryDescription(
                total: Fact(.gib(64), source: .procfs), available: Fact(.gib(60), source: .procfs),
                swapTotal: Fact(.zero, source: .procfs), containerLimit: .missing(.cgroup, .ok),
                containerUsage: .missing(.cgroup, .absent), numaNodes: .missing(.sysfs, .absent)),
            gpus: [], probes: [], warnings: [])
        let m = MachineDescription.hypothetical(Self.rtx3090, count: 2, memory: nil, host: host)
        #expect(m.gpus.count == 2)
        for g in m.gpus {
            #expect(g.memoryTotal.value == ByteCount.mib(24576))
            #expect(g.backend == .cuda)
            #expect(g.name.source == .table)
        }
        #expect(m.memory.usable == .gib(60))
        let t = PlanTarget(machine: m)
        let capacities: [ByteCount] = t.gpus.map(\.capacity)
        #expect(capacities == [ByteCount.mib(24576 - 1024), ByteCount.mib(24576 - 1024)])

        let mac = MachineDescription.hypothetical(Self.m4max, count: 1, memory: .gib(64), host: host)
        #expect(mac.memory.total.value == .gib(64))
        #expect(mac.memory.usable == .gib(48))  // Metal's working set: 3/4 above 32 GiB
        #expect(PlanTarget(machine: mac).gpus.first?.sharesHostMemory == true)
        #expect(
            MachineDescription.hypothetical(Self.m4max32, count: 1, memory: .gib(24), host: host).memory.usable
                == .gib(16))
    }
}

@Suite("A GPU found by its PCI name when the driver's name is generic")
struct PCINameTests {
    static func spec(_ id: String, _ name: String, gb: Double, bw: Double) -> HardwareSpec {
        HardwareSpec(
            id: id, name: name, vendor: .amd, memoryGB: gb, nvidiaSmiMiB: nil, memoryType: "GDDR6",
            unifiedMemory: false, bandwidthGBs: bw, fp16TFLOPS: 100, aliases: [], source: "t", notes: nil)
    }
    let resolver = HardwareResolver(specs: [
        spec("rx-7900-xt", "AMD Radeon RX 7900 XT", gb: 20, bw: 800),
        spec("rx-7900-xtx", "AMD Radeon RX 7900 XTX", gb: 24, bw: 960),
    ])

    func gpu(_ name: String, pci: String?, memory: ByteCount) -> GPUDescription {
        var g = GPUDescription(
            index: 0, vendor: .amd, name: Fact(name, source: .sysfs), pciAddress: "0000:03:00.0",
            driver: Fact("amdgpu", source: .sysfs), memoryTotal: Fact(memory, source: .sysfs),
            memoryFree: Fact(memory, source: .sysfs), unifiedMemory: false, backend: .rocm)
        g.pciID = "1002:744c"
        g.pciName = pci
        return g
    }

    @Test("pci.ids alternatives after a slash are each a card; the memory size picks the one")
    func alternatives() throws {
        #expect(
            GPUDescription.alternatives("Radeon RX 7900 XT/7900 XTX") == ["Radeon RX 7900 XT", "Radeon RX 7900 XTX"])
        let name = "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]"
        let xtx = try #require(gpu(name, pci: nil, memory: .gib(24)).tableEntry(resolver))
        #expect(xtx.0.id == "rx-7900-xtx")
        let xt = try #require(gpu(name, pci: nil, memory: .gib(20)).tableEntry(resolver))
        #expect(xt.0.id == "rx-7900-xt")
        #expect(gpu(name, pci: nil, memory: .gib(16)).tableEntry(resolver) == nil, "no card of 16 GB: none")
    }

    @Test("a generic driver name falls back to the PCI name, and the match says so")
    func generic() throws {
        let g = gpu("AMD Radeon Graphics", pci: "Navi 31 [Radeon RX 7900 XT/7900 XTX]", memory: .gib(24))
        let (spec, how) = try #require(g.tableEntry(resolver))
        #expect(spec.id == "rx-7900-xtx")
        #expect(how == ", matched by its PCI name Navi 31 [Radeon RX 7900 XT/7900 XTX] (1002:744c)")
        #expect(gpu("AMD Radeon Graphics", pci: "Device 7550", memory: .gib(16)).tableEntry(resolver) == nil)
    }
}
