import FitCore
import Testing

@testable import FitProbe

/// A Mac, replayed on Linux: the macOS probe reads `sysctl`, `ioreg` and `vm_stat` through the same
/// command seam as nvidia-smi, so recorded Mac output runs through the real parsing code.
/// Only Metal's working-set query needs macOS to compile (Probes/fixtures/m2-macbook-air/README.md).
@Suite("Apple Silicon from recorded sysctl and ioreg output")
struct AppleFixtureTests {
    static let specs = [
        HardwareSpec(
            id: "apple-m4-max-32", name: "Apple M4 Max (32-core GPU)", vendor: .apple, memoryGB: 128, nvidiaSmiMiB: nil,
            memoryType: "LPDDR5X",
            unifiedMemory: true, bandwidthGBs: 410, fp16TFLOPS: 28, aliases: ["M4 Max 32-core"], source: "t", notes: nil
        ),
        HardwareSpec(
            id: "apple-m4-max-40", name: "Apple M4 Max (40-core GPU)", vendor: .apple, memoryGB: 128, nvidiaSmiMiB: nil,
            memoryType: "LPDDR5X",
            unifiedMemory: true, bandwidthGBs: 546, fp16TFLOPS: 34, aliases: ["M4 Max 40-core", "M4 Max"], source: "t",
            notes: nil),
    ]

    @Test("an M2 MacBook Air: chip, cores, caches and ARM extensions from sysctl, all marked sysctl")
    func cpu() async {
        let m = await recorded("m2-macbook-air")
        #expect(m.cpu.model.value == "Apple M2")
        #expect(m.cpu.architecture.value == "aarch64")
        #expect(m.cpu.physicalCores.value == 8 && m.cpu.logicalCores.value == 8 && m.cpu.sockets.value == 1)
        // M2 added BF16 and I8MM over M1; it has no SVE or SME
        #expect(m.cpu.vectorExtensions.value == ["asimd", "asimddp", "asimdhp", "i8mm", "bf16"])
        #expect(m.cpu.model.source == .sysctl)
        // the performance cores' caches: 128 KiB L1d, 16 MiB L2 shared by 4
        let l2 = m.cpu.caches?.value?.first { $0.level == 2 }
        #expect(l2?.size == .mib(16) && l2?.sharedWith == "4 cores")
    }

    @Test("unified memory: the GPU plans against Metal's working set, not a VRAM figure")
    func gpu() async {
        let m = await recorded("m2-macbook-air")
        #expect(m.memory.total.value == .gib(24))
        #expect(m.gpus.count == 1)
        let g = m.gpus[0]
        #expect(g.name.value == "Apple M2" && g.vendor == .apple && g.backend == .metal && g.unifiedMemory)
        #expect(g.gpuCores?.value == 10)
        // no Metal in a recording and no iogpu.wired_limit_mb on that macOS: 2/3 of 24 GiB, flagged
        #expect(g.sharedMemoryLimit?.value == .gib(16) && g.sharedMemoryLimit?.source == .estimate)
        let target = PlanTarget(machine: m)
        #expect(target.gpus.first?.capacity == .gib(16))
        #expect(target.gpus.first?.sharesHostMemory == true)
    }

    @Test("what it could not ask is said, and the rest still stands")
    func unrecorded() async {
        let m = await recorded("m2-macbook-air")
        #expect(m.memory.available.status == .toolMissing && m.memory.available.source == .vmStat)
        #expect(m.memory.usable == .gib(24))
        #expect(m.probes.contains { $0.probe == "sysctl" && $0.status == .ok })
    }

    @Test("a user's iogpu.wired_limit_mb replaces the default rule when Metal cannot be asked")
    func wiredLimit() {
        let prober = MachineProber(root: SystemRoot("/nonexistent"), runner: RecordedRunner(directory: "/nonexistent"))
        let set = CommandResult(ending: .exited(0), stdout: "iogpu.wired_limit_mb: 57344\n")
        #expect(prober.workingSetLimit(ram: .gib(64), wired: set).value == .gib(56))
        let unset = CommandResult(ending: .exited(0), stdout: "iogpu.wired_limit_mb: 0\n")
        #expect(prober.workingSetLimit(ram: .gib(64), wired: unset).value == .gib(48))
        #expect(prober.workingSetLimit(ram: .gib(64), wired: unset).source == .estimate)
    }

    @Test("the GPU's bin picks the bandwidth: a 32-core M4 Max is 410 GB/s, a 40-core one 546")
    func binnedBandwidth() {
        func machine(cores: Int) -> MachineDescription {
            var g = GPUDescription(
                index: 0, vendor: .apple, name: Fact("Apple M4 Max", source: .ioreg), pciAddress: nil,
                driver: .missing(.ioreg, .notSupported), memoryTotal: .missing(.ioreg, .ok),
                memoryFree: .missing(.ioreg, .ok),
                unifiedMemory: true, backend: .metal)
            g.gpuCores = Fact(cores, source: .ioreg)
            let none = Fact<String>.missing(.sysctl, .absent)
            let cpu = CPUDescription(
                model: none, architecture: none, sockets: .missing(.sysctl, .absent),
                physicalCores: .missing(.sysctl, .absent),
                logicalCores: .missing(.sysctl, .absent), vectorExtensions: .missing(.sysctl, .absent))
            let mem = MemoryDescription(
                total: Fact(.gib(128), source: .sysctl), available: .missing(.vmStat, .absent),
                swapTotal: .missing(.sysctl, .absent),
                containerLimit: .missing(.sysctl, .ok), containerUsage: .missing(.sysctl, .absent),
                numaNodes: .missing(.sysctl, .absent))
            return MachineDescription(cpu: cpu, memory: mem, gpus: [g], probes: [], warnings: []).withTableFacts(
                HardwareResolver(specs: Self.specs))
        }
        #expect(machine(cores: 32).gpus[0].memoryBandwidthGBs?.value == 410)
        #expect(machine(cores: 40).gpus[0].memoryBandwidthGBs?.value == 546)
    }
}

@Suite("macOS tool output, parsed")
struct DarwinParserTests {
    @Test("ioreg: model and core count, with or without the tree's | prefixes")
    func ioreg() {
        let tree =
            "+-o AGXAcceleratorG16G  <class AGXAcceleratorG16G>\n  | {\n  |   \"model\" = \"Apple M4\"\n  |   \"gpu-core-count\" = 10\n  | }\n"
        let parsed = DarwinParsers.ioregGPU(tree)
        #expect(parsed.model == "Apple M4" && parsed.cores == 10)
        let none = DarwinParsers.ioregGPU("")
        #expect(none.model == nil && none.cores == nil)
    }

    @Test("vm_stat: free + inactive + speculative + purgeable pages at the header's page size")
    func vmStat() {
        let text = """
            Mach Virtual Memory Statistics: (page size of 16384 bytes)
            Pages free:                               1000.
            Pages active:                             9000.
            Pages inactive:                           2000.
            Pages speculative:                         300.
            Pages wired down:                         4000.
            Pages purgeable:                            50.
            """
        #expect(DarwinParsers.vmStatAvailable(text) == ByteCount(3350 * 16384))
        #expect(DarwinParsers.vmStatAvailable("vm_stat: command not found") == nil)
    }

    @Test("an Intel Mac's features read as the Linux flag names")
    func intelMac() {
        let s = DarwinParsers.sysctl(
            "machdep.cpu.brand_string: Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz\nmachdep.cpu.features: FPU SSE4.2 AVX1.0 F16C FMA\nmachdep.cpu.leaf7_features: AVX2 BMI2\nhw.physicalcpu: 8\n"
        )
        let cpu = DarwinParsers.cpu(s)
        #expect(cpu.architecture.value == "x86_64")
        #expect(cpu.vectorExtensions.value == ["sse4_2", "avx", "f16c", "fma", "avx2"])
    }

    @Test("garbage from sysctl: unknown facts with reasons, no crash")
    func garbage() {
        let cpu = DarwinParsers.cpu(
            DarwinParsers.sysctl("\u{FFFD}\u{0}::::\nnot a sysctl line\nhw.physicalcpu: eight\n"))
        #expect(cpu.model.value == nil && cpu.model.status == .absent)
        #expect(cpu.physicalCores.value == nil)
        #expect(cpu.vectorExtensions.status == .absent)
    }
}
