import FitCore
import Foundation

#if canImport(Metal)
    import Metal
#endif

/// Apple Silicon on macOS: what `sysctl`, `ioreg` and `vm_stat` print, read by pure parsers so
/// recorded Mac output can be replayed on Linux. Only the Metal query (the working-set limit that
/// llama.cpp plans against) needs macOS to compile; it is behind `canImport(Metal)`.
public enum DarwinParsers {
    /// `sysctl hw machdep.cpu.brand_string` prints `name: value` lines.
    public static func sysctl(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !key.isEmpty, !key.contains(" ") { out[key] = value }
        }
        return out
    }

    /// sysctl feature keys, in the Linux kernel's flag names so both platforms read alike.
    static let armFeatures: [(key: String, flag: String)] = [
        ("hw.optional.AdvSIMD", "asimd"), ("hw.optional.neon", "asimd"),
        ("hw.optional.arm.FEAT_DotProd", "asimddp"), ("hw.optional.arm.FEAT_FP16", "asimdhp"),
        ("hw.optional.arm.FEAT_I8MM", "i8mm"), ("hw.optional.arm.FEAT_BF16", "bf16"),
        ("hw.optional.arm.FEAT_SME", "sme"), ("hw.optional.arm.FEAT_SME2", "sme2"),
    ]
    /// Intel Macs list features as words in `machdep.cpu.features` and `machdep.cpu.leaf7_features`.
    static let intelFeatures: [String: String] = [
        "SSE4.2": "sse4_2", "AVX1.0": "avx", "F16C": "f16c", "FMA": "fma", "AVX2": "avx2",
        "AVX512F": "avx512f", "AVX512BW": "avx512bw", "AVX512VL": "avx512vl", "AVX512VNNI": "avx512_vnni",
    ]

    public static func cpu(_ s: [String: String]) -> CPUDescription {
        let int = { (k: String) in s[k].flatMap { Int($0) } }
        let isARM = s["hw.optional.arm64"] == "1" || s.keys.contains { $0.hasPrefix("hw.optional.arm.") }
        let isIntel = s["machdep.cpu.features"] != nil
        let arch: String? = isARM ? "aarch64" : (isIntel ? "x86_64" : nil)
        var flags: [String] = []
        for (key, flag) in armFeatures where s[key] == "1" && !flags.contains(flag) { flags.append(flag) }
        let words = ((s["machdep.cpu.features"] ?? "") + " " + (s["machdep.cpu.leaf7_features"] ?? "")).split(
            separator: " "
        ).map(String.init)
        for w in words { if let f = intelFeatures[w], !flags.contains(f) { flags.append(f) } }
        flags = ProcParsers.interestingFlags.filter(flags.contains)

        let model: Fact<String> =
            s["machdep.cpu.brand_string"].map { Fact($0, source: .sysctl) }
            ?? .missing(.sysctl, .absent, "machdep.cpu.brand_string not printed")
        var cpu = CPUDescription(
            model: model,
            architecture: arch.map { Fact($0, source: .sysctl) }
                ?? .missing(.sysctl, .absent, "neither hw.optional.arm64 nor machdep.cpu.features"),
            sockets: int("hw.packages").map { Fact($0, source: .sysctl) }
                ?? .missing(.sysctl, .absent, "hw.packages not printed"),
            physicalCores: int("hw.physicalcpu").map { Fact($0, source: .sysctl) }
                ?? .missing(.sysctl, .absent, "hw.physicalcpu not printed"),
            logicalCores: int("hw.logicalcpu").map { Fact($0, source: .sysctl) }
                ?? .missing(.sysctl, .absent, "hw.logicalcpu not printed"),
            vectorExtensions: arch == nil
                ? .missing(.sysctl, .absent, "no hw.optional keys printed") : Fact(flags, source: .sysctl))
        // The performance cores' caches (perflevel0): the ones inference threads run on.
        var caches: [CPUCache] = []
        let level = s["hw.perflevel0.l1dcachesize"] != nil ? "hw.perflevel0." : "hw."
        let shared = int(level + "cpusperl2").map { "\($0) cores" }
        for (key, lvl, type, sharing) in [
            ("l1dcachesize", 1, "Data", nil), ("l1icachesize", 1, "Instruction", nil),
            ("l2cachesize", 2, "Unified", shared), ("l3cachesize", 3, "Unified", nil),
        ] {
            if let bytes = int(level + key), bytes > 0 {
                caches.append(CPUCache(level: lvl, type: type, size: ByteCount(Int64(bytes)), sharedWith: sharing))
            }
        }
        cpu.caches =
            caches.isEmpty ? .missing(.sysctl, .absent, "no cache sizes printed") : Fact(caches, source: .sysctl)
        return cpu
    }

    /// The GPU's IO registry entry (`ioreg -rc AGXAccelerator -d1`): `"model" = "Apple M2"`,
    /// `"gpu-core-count" = 10`. The core count is not a sysctl, and Metal does not expose it.
    public static func ioregGPU(_ text: String) -> (model: String?, cores: Int?) {
        var model: String?
        var cores: Int?
        for raw in text.split(separator: "\n") {
            let line = raw.drop { $0 == " " || $0 == "|" }
            if line.hasPrefix("\"model\" = \""), model == nil {
                let rest = line.dropFirst("\"model\" = \"".count)
                model = rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
            } else if line.hasPrefix("\"gpu-core-count\" = "), cores == nil {
                cores = Int(line.dropFirst("\"gpu-core-count\" = ".count).trimmingCharacters(in: .whitespaces))
            }
        }
        return (model, cores)
    }

    /// What `vm_stat` says can be had without swapping: free, inactive, speculative and purgeable
    /// pages (Activity Monitor's "available"), at the page size its header names.
    public static func vmStatAvailable(_ text: String) -> ByteCount? {
        guard let header = text.range(of: "page size of "),
            let pageSize = Int64(text[header.upperBound...].prefix { $0.isNumber }), pageSize > 0
        else { return nil }
        var pages: Int64 = 0
        var found = 0
        for line in text.split(separator: "\n") {
            for label in ["Pages free:", "Pages inactive:", "Pages speculative:", "Pages purgeable:"]
            where line.hasPrefix(label) {
                let digits = line.dropFirst(label.count).trimmingCharacters(in: .whitespaces).prefix { $0.isNumber }
                if let n = Int64(digits) {
                    pages += n
                    found += 1
                }
            }
        }
        return found == 0 ? nil : ByteCount(pages * pageSize)
    }
}

extension MachineProber {
    /// Whether to probe as macOS: always on a live Mac; for a recorded root, when its `uname -s`
    /// recording says Darwin (Linux recordings have none, and the Linux path costs no extra call).
    func isDarwin() async -> Bool {
        #if os(macOS)
            if root.isLive { return true }
        #endif
        if root.isLive { return false }
        let r = await runner.run("uname", ["-s"], timeout: .seconds(2))
        return r.ending == .exited(0) && r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "Darwin"
    }

    /// A Mac: CPU, RAM and caches from sysctl, available memory from vm_stat, the GPU from the IO
    /// registry, and the GPU's share of RAM from Metal (or `iogpu.wired_limit_mb`, or the default rule).
    func probeDarwin() async -> MachineDescription {
        var probes: [ProbeOutcome] = []
        var warnings: [String] = []
        async let hwRun = runner.run("sysctl", ["hw", "machdep.cpu"], timeout: .seconds(5))
        async let wiredRun = runner.run("sysctl", ["iogpu.wired_limit_mb"], timeout: .seconds(5))
        async let ioregRun = runner.run("ioreg", ["-rc", "AGXAccelerator", "-d1"], timeout: .seconds(5))
        async let vmRun = runner.run("vm_stat", [], timeout: .seconds(5))
        let (hw, wired, ioreg, vm) = await (hwRun, wiredRun, ioregRun, vmRun)

        // sysctl exits 1 when one name is unknown and still prints the others: keep what it printed.
        let s = DarwinParsers.sysctl(hw.stdout)
        let cpu: CPUDescription
        if s.isEmpty {
            let (status, why) = hw.failure("sysctl") ?? (.error, "sysctl printed nothing")
            let f = Fact<String>.missing(.sysctl, status, why)
            cpu = CPUDescription(
                model: f, architecture: f, sockets: .missing(.sysctl, status), physicalCores: .missing(.sysctl, status),
                logicalCores: .missing(.sysctl, status), vectorExtensions: .missing(.sysctl, status))
            probes.append(ProbeOutcome(probe: "sysctl", status: status, detail: why))
        } else {
            cpu = DarwinParsers.cpu(s)
            probes.append(ProbeOutcome(probe: "sysctl", status: .ok, detail: "\(s.count) hw values"))
        }
        let ram = s["hw.memsize"].flatMap { Int64($0) }.map { ByteCount($0) }
        let available: Fact<ByteCount>
        if vm.ending == .exited(0), let a = DarwinParsers.vmStatAvailable(vm.stdout) {
            available = Fact(a, source: .vmStat, detail: "free + inactive + speculative + purgeable pages")
        } else {
            let (status, why) = vm.failure("vm_stat") ?? (.error, "vm_stat printed no page counts")
            available = .missing(.vmStat, status, why)
        }
        let swap: Fact<ByteCount> = .missing(.sysctl, .notSupported, "macOS grows swap on demand (vm.swapusage)")
        let memory = MemoryDescription(
            total: ram.map { Fact($0, source: .sysctl) } ?? .missing(.sysctl, .absent, "hw.memsize not printed"),
            available: available, swapTotal: swap,
            containerLimit: .missing(.sysctl, .ok, "no cgroups on macOS"), containerUsage: .missing(.sysctl, .absent),
            numaNodes: .missing(.sysctl, .notSupported, "one memory pool on Apple Silicon"))

        var gpus: [GPUDescription] = []
        let (model, cores) = ioreg.ending == .exited(0) ? DarwinParsers.ioregGPU(ioreg.stdout) : (nil, nil)
        if let model {
            let unified = "unified: the GPU shares the system's \(ram.map { "\($0)" } ?? "RAM")"
            var g = GPUDescription(
                index: 0, vendor: .apple, name: Fact(model, source: .ioreg), pciAddress: nil,
                driver: .missing(.ioreg, .notSupported, "part of macOS"),
                memoryTotal: .missing(.ioreg, .ok, unified), memoryFree: .missing(.ioreg, .ok, unified),
                unifiedMemory: true, backend: .metal)
            g.gpuCores =
                cores.map { Fact($0, source: .ioreg) }
                ?? .missing(.ioreg, .absent, "no gpu-core-count in the IO registry")
            g.sharedMemoryLimit = workingSetLimit(ram: ram, wired: wired)
            gpus.append(g)
            probes.append(ProbeOutcome(probe: "ioreg", status: .ok, detail: "1 GPU"))
        } else {
            let (status, why) =
                ioreg.failure("ioreg") ?? (FactStatus.ok, "no AGXAccelerator: not Apple Silicon, or a VM")
            probes.append(ProbeOutcome(probe: "ioreg", status: status, detail: why))
            if status != .ok {
                warnings.append("could not ask the IO registry for the GPU (\(why)); planning for the CPU only")
            }
        }
        return MachineDescription(cpu: cpu, memory: memory, gpus: gpus, probes: probes, warnings: warnings)
    }

    /// How much of RAM the GPU may keep resident. Metal's `recommendedMaxWorkingSetSize` is what
    /// llama.cpp reads; it already reflects `iogpu.wired_limit_mb` when a user raised it. Without
    /// Metal (a recording), a non-zero `iogpu.wired_limit_mb` wins, else the default rule.
    func workingSetLimit(ram: ByteCount?, wired: CommandResult) -> Fact<ByteCount> {
        #if canImport(Metal)
            if root.isLive, let device = MTLCreateSystemDefaultDevice() {
                return Fact(
                    ByteCount(Int64(device.recommendedMaxWorkingSetSize)), source: .metal,
                    detail: "recommendedMaxWorkingSetSize")
            }
        #endif
        if wired.ending == .exited(0),
            let mb = DarwinParsers.sysctl(wired.stdout)["iogpu.wired_limit_mb"].flatMap({ Int64($0) }), mb > 0
        {
            return Fact(ByteCount(mb * 1_048_576), source: .sysctl, detail: "iogpu.wired_limit_mb, set by the user")
        }
        guard let ram else { return .missing(.estimate, .absent, "no hw.memsize to take a share of") }
        return Fact(
            MachineDescription.appleWorkingSet(ram: ram), source: .estimate,
            detail: "Metal's default working-set limit (2/3 of RAM up to 32 GiB, 3/4 above); Metal was not asked")
    }
}
