import FitCore
import Foundation
import Testing

@testable import FitProbe

@Suite("Garbage in, partial answers out: never a crash")
struct BadInputTests {
    /// A machine tree with broken files, written for the test.
    func brokenMachine() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fit-broken-\(UUID().uuidString)").path
        func write(_ path: String, _ bytes: [UInt8]) throws {
            let url = URL(fileURLWithPath: root + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }
        // a CPU name with bytes that are not UTF-8, and a meminfo with nonsense lines
        try write(
            "/proc/cpuinfo",
            Array("processor\t: 0\nmodel name\t: Bad ".utf8) + [0xff, 0xfe] + Array(" CPU\nflags\t\t: avx2\n".utf8))
        try write("/proc/meminfo", "MemTotal: lots kB\nMemAvailable:\nSwapTotal: 0 kB\n")
        // an AMD GPU whose VRAM file holds garbage
        let dev = "/sys/bus/pci/devices/0000:03:00.0"
        try write(dev + "/vendor", "0x1002\n")
        try write(dev + "/device", "0x744c\n")
        try write(dev + "/class", "0x030000\n")
        try write(dev + "/mem_info_vram_total", [0x7a, 0x00, 0xff, 0x0a])
        // a device whose class is not hex at all
        try write("/sys/bus/pci/devices/0000:04:00.0/class", "VGA\n")
        try write("/sys/bus/pci/devices/0000:04:00.0/vendor", "0x10de\n")
        try write("/sys/bus/pci/devices/0000:04:00.0/device", "0x2684\n")
        // nvidia-smi output cut off mid-line, and a second, complete row
        try write(
            "/commands/nvidia-smi/core.stdout",
            "0, NVIDIA GeForce RTX 40\n1, NVIDIA GeForce RTX 4090, GPU-x, 00000000:01:00.0, 24564, 0, [Unknown Error], 560.35\n"
        )
        try write("/commands/nvidia-smi/core.exit", "0\n")
        try write("/commands/nvidia-smi/extended.stdout", "0, 8.9\n")
        try write("/commands/nvidia-smi/extended.exit", "0\n")
        return root
    }

    @Test("each broken fact gets a status; the rest of the machine is still described")
    func partialAnswers() async throws {
        let root = try brokenMachine()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let m = await MachineProber(
            root: SystemRoot(root), runner: RecordedRunner(directory: root + "/commands"), useLibraries: false
        ).probe()
        #expect(m.cpu.model.value?.hasPrefix("Bad ") == true)  // decoded with replacement characters
        #expect(m.cpu.vectorExtensions.value == ["avx2"])
        #expect(m.memory.total.value == nil && m.memory.total.status == .absent)
        #expect(m.memory.swapTotal.value == .zero)
        let amd = m.gpus.first { $0.vendor == .amd }
        #expect(amd?.memoryTotal.value == nil && amd?.memoryTotal.status == .error)
        // the truncated row is dropped, the complete one kept; [Unknown Error] is an error, not zero
        let nvidia = m.gpus.filter { $0.vendor == .nvidia && $0.pciAddress == "0000:01:00.0" }
        #expect(nvidia.count == 1)
        #expect(nvidia.first?.memoryTotal.value == .mib(24564))
        #expect(nvidia.first?.memoryFree.status == .error)
        // a device with an unreadable class is skipped, not guessed
        #expect(!m.gpus.contains { $0.pciAddress == "0000:04:00.0" })
        // and a plan still comes out
        _ = PlanTarget(machine: m)
    }
}
