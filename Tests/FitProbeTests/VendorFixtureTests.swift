import FitCore
import Testing

@testable import FitProbe

/// AMD, Intel, multi-GPU and MIG machines built from publicly posted sysfs and nvidia-smi values
/// (each fixture's README names its sources).
@Suite("AMD, Intel, 8x H100 and A100 MIG machines")
struct VendorFixtureTests {
    func probe(_ name: String, libpci: Bool = false) async -> MachineDescription {
        await recorded(name, libpci: libpci)
    }

    static let specs = [
        HardwareSpec(
            id: "radeon-rx-7900-xtx", name: "AMD Radeon RX 7900 XTX", vendor: .amd, memoryGB: 24, nvidiaSmiMiB: nil,
            memoryType: "GDDR6",
            unifiedMemory: false, bandwidthGBs: 960, fp16TFLOPS: 122.8, aliases: ["RX 7900 XTX"], source: "t",
            notes: nil),
        HardwareSpec(
            id: "radeon-rx-7900-xt", name: "AMD Radeon RX 7900 XT", vendor: .amd, memoryGB: 20, nvidiaSmiMiB: nil,
            memoryType: "GDDR6",
            unifiedMemory: false, bandwidthGBs: 800, fp16TFLOPS: 103, aliases: ["RX 7900 XT"], source: "t", notes: nil),
        HardwareSpec(
            id: "arc-b580", name: "Intel Arc B580", vendor: .intel, memoryGB: 12, nvidiaSmiMiB: nil,
            memoryType: "GDDR6",
            unifiedMemory: false, bandwidthGBs: 456, fp16TFLOPS: 116.7, aliases: ["Arc B580"], source: "t", notes: nil),
    ]

    @Test("RX 7900 XTX: VRAM from mem_info_vram_total; the table entry is the one whose memory agrees")
    func rx7900xtx() async {
        // libpci reads the recorded sysfs and names it from pci.ids: "Navi 31 [Radeon RX 7900 XT/7900 XTX]"
        let m = await probe("rx-7900-xtx", libpci: true).withTableFacts(HardwareResolver(specs: Self.specs))
        #expect(m.gpus.count == 1)
        #expect(m.gpus[0].memoryTotal.value == ByteCount(25_753_026_560))
        #expect(m.gpus[0].memoryTotal.source == .sysfs)
        #expect(m.gpus[0].backend == .rocm && !m.gpus[0].unifiedMemory)
        #expect(m.gpus[0].memoryBandwidthGBs?.value == 960)
    }

    @Test("Strix Halo: an APU is its VRAM carve-out plus the RAM that GTT lets it map")
    func strixHalo() async {
        var m = await probe("strix-halo")
        let g = m.gpus[0]
        #expect(g.unifiedMemory)
        #expect(g.memoryTotal.value == .gib(4))
        #expect(g.sharedMemoryLimit?.value == .gib(96))
        #expect(g.name.source == .table)  // 1002:1586 is newer than Debian's pci.ids
        m.memory.available = Fact(.gib(120), source: .user)
        let t = PlanTarget(machine: m)
        #expect(t.gpus[0].capacity == .gib(4 + 96))
        #expect(t.gpus[0].privateCapacity == .gib(4))
        #expect(t.gpus[0].sharesHostMemory)
    }

    @Test("Arc B580 on xe without a VRAM file: the table's size, flagged as from the table")
    func arcB580() async {
        let bare = await probe("arc-b580")
        #expect(bare.gpus[0].memoryTotal.value == nil)
        #expect(PlanTarget(machine: bare).gpus.isEmpty)
        let m = bare.withTableFacts(HardwareResolver(specs: Self.specs))
        #expect(m.gpus[0].memoryTotal.value == .gib(12))
        #expect(m.gpus[0].memoryTotal.source == .table)
        #expect(PlanTarget(machine: m).gpus.count == 1)
    }

    @Test("8x H100: eight devices, never one 640 GB GPU")
    func eightH100() async {
        let m = await probe("8x-h100")
        #expect(m.gpus.count == 8)
        #expect(m.gpus.allSatisfy { $0.memoryTotal.value == .mib(81559) })
        #expect(Set(m.gpus.compactMap(\.pciAddress)).count == 8)
    }

    @Test(
        "hybrid laptop: the iGPU shares RAM; the NVIDIA GPU without nvidia-smi is listed, not planned, and warned about"
    )
    func hybridLaptop() async {
        let m = await probe("hybrid-laptop")
        let intel = m.gpus.first { $0.vendor == .intel }
        let nvidia = m.gpus.first { $0.vendor == .nvidia }
        #expect(intel?.unifiedMemory == true)
        #expect(nvidia != nil && nvidia?.memoryTotal.value == nil)
        #expect(m.warnings.contains { $0.contains("NVIDIA GPU is on the PCI bus") })
    }
}
