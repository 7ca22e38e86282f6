import FitCore
import FitTestSupport
import Foundation
import Testing

@testable import FitProbe

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Probes/fixtures").path

/// Probes a recorded machine under Probes/fixtures with the real probe code.
func recorded(_ name: String, libpci: Bool = false) async -> MachineDescription {
    let root = fixtures + "/" + name
    return await MachineProber(
        root: SystemRoot(root), runner: RecordedRunner(directory: root + "/commands"), useLibraries: libpci
    ).probe()
}

@Suite("Probing a recorded CPU-only VM")
struct CPUOnlyVMTests {
    let root = fixtures + "/cpu-only-vm"

    func probe(libraries: Bool) async -> MachineDescription { await recorded("cpu-only-vm", libpci: libraries) }

    @Test("CPU model, cores and vector extensions from /proc/cpuinfo")
    func cpu() async {
        let m = await probe(libraries: false)
        #expect(m.cpu.model.value == "AMD EPYC")
        #expect(m.cpu.logicalCores.value == 2)
        #expect(m.cpu.architecture.value == "x86_64")
        #expect(m.cpu.vectorExtensions.value?.contains("avx2") == true)
        #expect(m.cpu.vectorExtensions.value?.contains("avx512f") == false)
        #expect(m.cpu.model.source == .procfs)
    }

    @Test("RAM from /proc/meminfo; no container limit under cgroup v1; NUMA as the VM reports it")
    func memory() async {
        let m = await probe(libraries: false)
        #expect(m.memory.total.value == ByteCount(24_636_776 * 1024) || (m.memory.total.value?.gib ?? 0) > 20)
        #expect(m.memory.containerLimit.value == nil && m.memory.containerLimit.status == .ok)
        #expect(m.memory.numaNodes.value?.count == 1)
        // node0 claims 4.6 GiB of 23.5: reported as found, never normalised
        #expect((m.memory.numaNodes.value?.first?.memoryTotal?.gib ?? 0) < 5)
        #expect(m.memory.usable == m.memory.available.value)
    }

    @Test("no GPU, and it says why: nvidia-smi is not installed, the PCI bus has none")
    func noGPU() async {
        let m = await probe(libraries: false)
        #expect(m.gpus.isEmpty)
        #expect(
            m.probes.contains(
                ProbeOutcome(
                    probe: "nvidia-smi", status: .toolMissing,
                    detail: "not installed (no NVIDIA driver utilities on PATH)")))
        #expect(m.probes.contains { $0.probe == "pci" && $0.status == .ok })
        #expect(m.gpuSummary.hasPrefix("no GPU found"))
    }

    @Test("libpci reads the recorded sysfs through the C shim and finds the six virtio devices")
    func libpci() {
        let prober = MachineProber(
            root: SystemRoot(root), runner: RecordedRunner(directory: root + "/commands"), useLibraries: true)
        guard case .success(let devices) = prober.pciFromLibpci() else {
            Issue.record("libpci failed")
            return
        }
        #expect(devices.count == 6)
        #expect(devices.filter(\.isGPU).isEmpty)
        #expect(devices.contains { $0.address == "0000:00:02.0" && $0.vendorID == 0x1af4 && $0.classCode == 0x0180 })
    }

    @Test("libpci's errors come back as values, never exit(1)")
    func libpciError() {
        let prober = MachineProber(
            root: SystemRoot("/nonexistent-root"), runner: RecordedRunner(directory: "/nonexistent"), useLibraries: true
        )
        if case .success(let d) = prober.pciFromLibpci() { #expect(d.isEmpty) }
    }
}

@Suite("Parsers for what the kernel prints")
struct ParserTests {
    @Test("cgroup limits: max and the v1 near-2^63 value mean none")
    func limits() {
        #expect(ProcParsers.cgroupLimit("max\n") == .some(nil))
        #expect(ProcParsers.cgroupLimit("9223372036854771712") == .some(nil))
        #expect(ProcParsers.cgroupLimit("8589934592") == .some(ByteCount(8_589_934_592)))
        #expect(ProcParsers.cgroupLimit("garbage") == nil)
    }

    @Test("cgroup paths for v2 and the v1 memory controller")
    func paths() {
        let p = ProcParsers.cgroupPaths("4:memory:/docker/abc\n0::/system.slice/x.scope\n")
        #expect(p.v2 == "/system.slice/x.scope" && p.v1Memory == "/docker/abc")
    }

    @Test("nvidia-smi fields: [N/A] and friends are statuses, not zeros")
    func nvidiaFields() {
        #expect(NvidiaSmi.field("[N/A]").status == .notSupported)
        #expect(NvidiaSmi.field(" [Insufficient Permissions]").status == .noPermission)
        #expect(NvidiaSmi.field("[Unknown Error]").status == .error)
        #expect(NvidiaSmi.field(" 24564").value == "24564")
        #expect(NvidiaSmi.sysfsAddress("00000000:01:00.0") == "0000:01:00.0")
    }

    @Test(
        "each nvidia-smi failure gets its own sentence",
        arguments: [
            (CommandResult.Ending.exited(6), FactStatus.ok), (.exited(9), .error), (.exited(12), .toolMissing),
            (.exited(15), .error), (.timedOut, .timedOut), (.notFound, .toolMissing),
        ])
    func diagnoses(_ ending: CommandResult.Ending, _ status: FactStatus) {
        #expect(NvidiaSmi.diagnose(CommandResult(ending: ending))?.status == status)
    }
}

@Suite("Running tools for real")
struct RunnerTests {
    let runner = SubprocessRunner()

    @Test("stdout, stderr and the exit code come back together")
    func output() async {
        // A long deadline: this checks capture, and parallel suites can hold both pool threads for seconds.
        let r = await runner.run("sh", ["-c", "echo out; echo err >&2; exit 3"], timeout: .seconds(120))
        #expect(r.ending == .exited(3))
        #expect(r.stdout == "out\n" && r.stderr == "err\n")
    }

    @Test("a tool that hangs is killed at the timeout, with its children")
    func timeout() async throws {
        let start = ContinuousClock.now
        let r = await runner.run("sh", ["-c", "sleep 600 & sleep 600"], timeout: .milliseconds(300))
        #expect(r.ending == .timedOut)
        // Killed, not waited for: long before the tool would end by itself (the bound is loose
        // because busy parallel suites can hold the 2-thread pool that resumes this task).
        #expect(ContinuousClock.now - start < .seconds(300))
        // ...and its child too: no `sleep 600` is left behind.
        let left = try await runChild("/usr/bin/pgrep", ["-f", "^sleep 600$"])
        #expect(left.status == 1, "pgrep found a sleep 600 left running")
    }

    @Test("a missing tool is reported without spawning anything")
    func missing() async {
        #expect(await runner.run("fit-no-such-tool", [], timeout: .seconds(1)).ending == .notFound)
    }
}
