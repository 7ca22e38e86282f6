import FitCore
import FitTestSupport
import Foundation
import Testing

@testable import FitProbe

@Suite("Containers and tools that fail")
struct FailureModeTests {
    func probe(_ name: String) async -> MachineDescription { await recorded(name) }

    @Test("a cgroup v2 limit bounds the plan, not the host's RAM, and says so")
    func container() async {
        let m = await probe("container-cgroup2-8gib")
        #expect(m.memory.containerLimit.value == .gib(8))
        #expect(m.memory.containerUsage.value == .gib(1))
        #expect(m.memory.usable == .gib(7))
        #expect(m.warnings.contains { $0.contains("container memory limit of 8.0 GiB") })
        #expect(PlanTarget(machine: m).host.capacity == .gib(7))
    }

    @Test("a recorded hang is 'timed out', not 'no GPU'")
    func recordedHang() async {
        let m = await probe("nvidia-smi-hangs")
        #expect(m.probes.first { $0.probe == "nvidia-smi" }?.status == .timedOut)
    }

    @Test("a real nvidia-smi that hangs is killed at the timeout and the probe still answers")
    func realHang() async throws {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("fit-hang-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bin) }
        let tool = bin.appendingPathComponent("nvidia-smi")
        try "#!/bin/sh\nsleep 900 &\nsleep 900\n".write(to: tool, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool.path)
        var prober = MachineProber(
            root: SystemRoot(fixtures + "/cpu-only-vm"),
            runner: SubprocessRunner(environment: ["PATH": bin.path + ":/usr/bin:/bin"]), useLibraries: false)
        prober.nvidiaTimeout = .milliseconds(500)
        let start = ContinuousClock.now
        let m = await prober.probe()
        // Killed long before the 900 s the tool would take (a loose bound: busy parallel suites can
        // hold the 2-thread pool that resumes this task for a minute or more).
        #expect(ContinuousClock.now - start < .seconds(400))
        let outcome = m.probes.first { $0.probe == "nvidia-smi" }
        #expect(outcome?.status == .timedOut)
        #expect(outcome?.detail.contains("did not answer in time") == true)
        #expect(m.cpu.model.value == "AMD EPYC")  // the rest of the answer is still there
        // ...with its child: no `sleep 900` is left behind.
        let left = try await runChild("/usr/bin/pgrep", ["-f", "^sleep 900$"])
        #expect(left.status == 1, "a sleep 900 was left running")
    }
}
