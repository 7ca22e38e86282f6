import ArgumentParser
import FitCatalog
import FitCore
import FitProbe
import Foundation

/// `fit probe`: the machine as detected, every fact with its source and status.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Show the machine as detected: every fact with its source and status.")

    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var machine: MachineDescription
        if machineOptions.hardware != nil {
            machine = try await machineOptions.load(catalog: try catalogOptions.load())
        } else {
            machine = try await machineOptions.load()
            // Table facts (bandwidth, VRAM the driver does not report) only matter when there is a GPU;
            // a probe still answers without a catalog.
            if !machine.gpus.isEmpty, let catalog = try? catalogOptions.load() {
                machine = machine.withTableFacts(catalog.hardwareResolver)
            }
        }
        if output.json {
            try printJSON(machine)
        } else {
            var text = Self.render(machine, style: output.style)
            if let hw = try? readUserStore()?.hardware(machine: machine.benchKey) {
                text += Self.measured(hw, theoretical: machine.theoreticalRAMBandwidth)
            } else {
                text +=
                    "Measured: nothing yet; `fit bench hardware` measures RAM bandwidth and CPU speed (fit assumes 60 GB/s until then).\n"
            }
            print(text, terminator: "")
        }
    }

    /// `fit bench hardware`'s figures beside what the probe read.
    static func measured(_ hw: HardwareMeasurement, theoretical: (gbs: Double, basis: String)?) -> String {
        "Measured by `fit bench hardware` (\(hw.measuredAt)): RAM bandwidth \(NumberText.format(hw.triadGBs, digits: 1)) GB/s (triad; copy \(NumberText.format(hw.copyGBs, digits: 1))), "
            + "CPU \(NumberText.format(hw.allCoresGFLOPS, digits: 0)) GFLOP/s FP32 on \(hw.threads) threads, synthetic Q8_0 decode \(NumberText.format(hw.decodeTokensPerSecond, digits: 1)) tokens/s over \(hw.decodeWeightBytes >> 20) MiB; "
            + (theoretical.map {
                "theoretical \(NumberText.format($0.gbs, digits: 0)) GB/s (\($0.basis)): \(Int((hw.triadGBs / $0.gbs * 100).rounded()))% of it reached.\n"
            }
                ?? "the theoretical RAM bandwidth of a CPU with its own DIMMs needs SMBIOS, which only root can read (sudo fit probe).\n")
    }

    static func fact<T>(_ f: Fact<T>, _ show: (T) -> String) -> String {
        let value = f.value.map(show) ?? "unknown"
        let why = f.status == .ok ? "" : ", \(f.status.rawValue)"
        return "\(value)  [\(f.source.rawValue)\(why)\(f.detail.map { ": \($0)" } ?? "")]"
    }

    static func render(_ m: MachineDescription, style: Style) -> String {
        var t = TextTable(headers: ["FACT", "VALUE  [SOURCE, STATUS]"])
        t.add(["cpu.model", fact(m.cpu.model) { $0 }])
        t.add(["cpu.architecture", fact(m.cpu.architecture) { $0 }])
        t.add(["cpu.sockets", fact(m.cpu.sockets) { "\($0)" }])
        t.add(["cpu.physicalCores", fact(m.cpu.physicalCores) { "\($0)" }])
        t.add(["cpu.logicalCores", fact(m.cpu.logicalCores) { "\($0)" }])
        t.add([
            "cpu.vectorExtensions", fact(m.cpu.vectorExtensions) { $0.isEmpty ? "none" : $0.joined(separator: " ") },
        ])
        if let caches = m.cpu.caches {
            t.add([
                "cpu.caches",
                fact(caches) { list in
                    list.map { "L\($0.level) \($0.type.lowercased()) \($0.size)" }.joined(separator: ", ")
                },
            ])
        }
        t.add(["memory.total", fact(m.memory.total) { "\($0)" }])
        t.add(["memory.available", fact(m.memory.available) { "\($0)" }])
        t.add(["memory.swapTotal", fact(m.memory.swapTotal) { "\($0)" }])
        t.add(["memory.containerLimit", fact(m.memory.containerLimit) { "\($0)" }])
        if let dimms = m.memory.dimms {
            t.add([
                "memory.dimms",
                fact(dimms) { d in
                    "\(d.modules) x \(d.type ?? "RAM")-\(d.speedMTs) in \(d.channels) channel\(d.channels == 1 ? "" : "s"): \(NumberText.format(d.theoreticalGBs, digits: 1)) GB/s theoretical"
                },
            ])
        }
        t.add([
            "memory.numaNodes",
            fact(m.memory.numaNodes) { nodes in
                nodes.map { "node\($0.node): \($0.memoryTotal.map { "\($0)" } ?? "?") (cpus \($0.cpus ?? "?"))" }
                    .joined(separator: "; ")
            },
        ])
        for g in m.gpus {
            let p = "gpu\(g.index)"
            t.add([
                "\(p).name",
                fact(g.name) { $0 }
                    + "  \(g.vendor.rawValue), \(g.pciAddress ?? "no PCI address"), backend \(g.backend.rawValue)",
            ])
            t.add(["\(p).driver", fact(g.driver) { $0 }])
            if g.vendor == .apple, g.unifiedMemory {
                t.add(["\(p).memoryTotal", "shared with the CPU (unified memory)"])
                if let ws = g.sharedMemoryLimit {
                    t.add(["\(p).workingSetLimit", fact(ws) { "\($0)" } + "  (the most Metal keeps resident)"])
                }
            } else if g.unifiedMemory, let gtt = g.sharedMemoryLimit {
                t.add(["\(p).memoryTotal", "VRAM carve-out " + fact(g.memoryTotal) { "\($0)" }])
                t.add(["\(p).sharedMemoryLimit", "GTT " + fact(gtt) { "\($0)" } + "  (maps system RAM)"])
            } else {
                t.add([
                    "\(p).memoryTotal",
                    g.unifiedMemory ? "shared with the CPU (planned against RAM)" : fact(g.memoryTotal) { "\($0)" },
                ])
            }
            t.add(["\(p).memoryFree", fact(g.memoryFree) { "\($0)" }])
            if let bw = g.memoryBandwidthGBs {
                t.add(["\(p).memoryBandwidth", fact(bw) { "\(NumberText.format($0, digits: 0)) GB/s" }])
            }
            if let cores = g.gpuCores { t.add(["\(p).cores", fact(cores) { "\($0)" }]) }
            if let cc = g.computeCapability { t.add(["\(p).computeCapability", fact(cc) { $0 }]) }
            if let clock = g.memoryClockMHz { t.add(["\(p).memoryClockMax", fact(clock) { "\($0) MHz" }]) }
            for mig in g.migInstances ?? [] {
                t.add(["\(p).mig\(mig.device)", "\(mig.profile): " + fact(mig.memory) { "\($0)" }])
            }
        }
        if m.gpus.isEmpty { t.add(["gpus", "none found"]) }
        for p in m.probes { t.add(["probe.\(p.probe)", "\(p.status.rawValue): \(p.detail)"]) }
        var out = t.render(style: style)
        for w in m.warnings { out += "warning: \(w)\n" }
        out += "\n" + machineSummary(m, target: PlanTarget(machine: m)) + "\n"
        return out
    }
}
