import FitCore
import Testing

@testable import FitProbe

/// Real nvidia-smi output recorded from public captures (sources in each fixture's README).
@Suite("NVIDIA GPUs from recorded nvidia-smi output")
struct NvidiaFixtureTests {
    func probe(_ name: String) async -> MachineDescription { await recorded(name) }

    @Test("H100 80GB HBM3: per-device memory in MiB, sysfs bus address, CUDA backend")
    func h100() async {
        let m = await probe("h100-80gb-hbm3")
        #expect(m.gpus.count == 1)
        let g = m.gpus[0]
        #expect(g.name.value == "NVIDIA H100 80GB HBM3")
        #expect(g.memoryTotal.value == .mib(81559))
        #expect(g.memoryFree.value == .mib(81081))
        #expect(g.pciAddress == "0000:00:09.0")
        #expect(g.driver.value == "590.48.01")
        #expect(g.backend == .cuda && !g.unifiedMemory)
        #expect(PlanTarget(machine: m).gpus.first?.capacity == .mib(81081 - 1024))
    }

    @Test("one RTX 4090 driving a desktop: 24564 MiB, the desktop's 40 MiB in use, 1008 GB/s from the table")
    func rtx4090Desktop() async {
        let spec = HardwareSpec(
            id: "rtx-4090", name: "NVIDIA GeForce RTX 4090", vendor: .nvidia, memoryGB: 24, nvidiaSmiMiB: 24564,
            memoryType: "GDDR6X",
            unifiedMemory: false, bandwidthGBs: 1008, fp16TFLOPS: 165.2, aliases: ["RTX 4090"], source: "t", notes: nil)
        let m = await probe("rtx-4090-desktop").withTableFacts(HardwareResolver(specs: [spec]))
        #expect(m.gpus.count == 1)
        let g = m.gpus[0]
        #expect(g.name.value == "NVIDIA GeForce RTX 4090")
        #expect(g.memoryTotal.value == .mib(24564))
        #expect(g.memoryFree.value == .mib(24564 - 40))
        #expect(g.pciAddress == "0000:01:00.0")
        #expect(g.computeCapability?.value == "8.9")
        #expect(g.memoryBandwidthGBs?.value == 1008 && g.memoryBandwidthGBs?.source == .table)
        #expect(g.backend == .cuda && !g.unifiedMemory)
        // the plan gets what is free, less llama.cpp's 1 GiB margin
        #expect(PlanTarget(machine: m).gpus.first?.capacity == .mib(24564 - 40 - 1024))
    }

    @Test(
        "a GPU whose driver name the table does not know is found by its PCI id's name (pci.ids), and says so; an unknown one names its PCI id"
    )
    func byPCIName() async throws {
        let spec = HardwareSpec(
            id: "rtx-4090", name: "NVIDIA GeForce RTX 4090", vendor: .nvidia, memoryGB: 24, nvidiaSmiMiB: 24564,
            memoryType: "GDDR6X",
            unifiedMemory: false, bandwidthGBs: 1008, fp16TFLOPS: 165.2, aliases: ["RTX 4090"], source: "t", notes: nil)
        // libpci names the device from pci.ids, as on a live machine.
        var m = await recorded("rtx-4090-desktop", libpci: true)
        let g = try #require(m.gpus.first)
        #expect(g.pciID == "10de:2684")
        #expect(g.pciName?.contains("GeForce RTX 4090") == true, "\(g.pciName ?? "-")")
        // What a driver older than the card prints.
        m.gpus[0].name = Fact("NVIDIA Graphics Device", source: .nvidiaSmi)
        let known = m.withTableFacts(HardwareResolver(specs: [spec])).gpus[0]
        #expect(known.memoryBandwidthGBs?.value == 1008)
        #expect(known.memoryBandwidthGBs?.detail?.contains("matched by its PCI name") == true)
        m.gpus[0].pciName = "Device 2bff"
        let unknown = m.withTableFacts(HardwareResolver(specs: [spec])).gpus[0]
        #expect(unknown.memoryBandwidthGBs?.value == nil)
        #expect(
            unknown.memoryBandwidthGBs?.detail
                == "NVIDIA Graphics Device (PCI 10de:2684) is not in the catalog hardware table")
    }

    @Test("two RTX 3090s stay two devices, never one 48 GiB GPU")
    func dual3090() async {
        let m = await probe("dual-3090")
        #expect(m.gpus.count == 2)
        #expect(m.gpus.allSatisfy { $0.memoryTotal.value == .mib(24576) })
        // memory.free was not reported: derived from total - used, and says so
        #expect(m.gpus[0].memoryFree.value == .mib(24576 - 23648))
        #expect(m.gpus[0].memoryFree.detail?.contains("total minus used") == true)
        #expect(PlanTarget(machine: m).gpus.count == 2)
    }

    @Test("DGX Spark GB10 reports [N/A] memory: unified, planned against system RAM")
    func dgxSpark() async {
        let m = await probe("dgx-spark")
        #expect(m.gpus.count == 1)
        #expect(m.gpus[0].unifiedMemory)
        #expect(m.gpus[0].memoryTotal.status == .notSupported)
        #expect(m.gpus[0].pciAddress == "000f:01:00.0")
        #expect(PlanTarget(machine: m).gpus.first?.sharesHostMemory == true)
    }

    @Test("a driver that does not answer is 'could not ask', not 'no GPU'")
    func driverDown() async {
        let m = await probe("nvidia-driver-down")
        #expect(m.gpus.isEmpty)
        let outcome = m.probes.first { $0.probe == "nvidia-smi" }
        #expect(outcome?.status == .error)
        #expect(outcome?.detail.contains("couldn't communicate with the NVIDIA driver") == true)
    }
}

@Suite("Newer nvidia-smi fields and MIG")
struct NvidiaExtendedTests {
    func probe(_ name: String) async -> MachineDescription { await recorded(name) }

    @Test("compute capability and max memory clock from the second, optional query")
    func extended() async {
        let g = await probe("h100-80gb-hbm3").gpus[0]
        #expect(g.computeCapability?.value == "9.0")
        #expect(g.memoryClockMHz?.value == 2619)
        #expect(g.migInstances == nil)
    }

    @Test("without the extended query (older driver) the core facts still stand, and it says why")
    func noExtended() async {
        let g = await probe("dual-3090").gpus[0]
        #expect(g.memoryTotal.value == .mib(24576))
        #expect(g.computeCapability?.status == .notSupported)
    }

    @Test("MIG enabled: instances from nvidia-smi -L, and plans use the largest one")
    func mig() async {
        let m = await probe("h100-mig")
        let migs = m.gpus[0].migInstances ?? []
        #expect(migs.map(\.profile) == ["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"])
        #expect(migs.first?.memory.value == .gb(40))
        #expect(migs.first?.uuid == "MIG-00000000-0000-0000-0000-000000000000")
        let t = PlanTarget(machine: m)
        #expect(t.gpus.count == 1)
        #expect(t.gpus.first?.capacity == .gb(40) - PlanTarget.gpuMargin)
        #expect(t.gpus.first?.name.hasSuffix("MIG 3g.40gb") == true)
    }

    @Test("MIG list lines parse from real -L output")
    func migParse() {
        let text = """
            GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1)
              MIG 3g.40gb     Device  0: (UUID: MIG-a)
            GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-2)
              MIG 7g.80gb     Device  0: (UUID: MIG-b)
            """
        let parsed = NvidiaSmi.parseMIG(text)
        #expect(parsed[0]?.map(\.profile) == ["3g.40gb"])
        #expect(parsed[1]?.first?.memory.value == .gb(80))
    }

    @Test("bandwidth the driver does not tell comes from the hardware table, flagged as such")
    func tableBandwidth() async {
        let spec = HardwareSpec(
            id: "h100-sxm5-80gb", name: "NVIDIA H100 SXM5 80GB", vendor: .nvidia, memoryGB: 80, nvidiaSmiMiB: 81559,
            memoryType: "HBM3", unifiedMemory: false, bandwidthGBs: 3350, fp16TFLOPS: 989.4,
            aliases: ["H100", "H100 80GB HBM3"], source: "test", notes: nil)
        let m = await probe("h100-80gb-hbm3").withTableFacts(HardwareResolver(specs: [spec]))
        #expect(m.gpus[0].memoryBandwidthGBs?.value == 3350)
        #expect(m.gpus[0].memoryBandwidthGBs?.source == .table)
        let unknown = await probe("dual-3090").withTableFacts(HardwareResolver(specs: [spec]))
        #expect(unknown.gpus[0].memoryBandwidthGBs?.value == nil)
        #expect(unknown.gpus[0].memoryBandwidthGBs?.status == .absent)
    }
}
