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
