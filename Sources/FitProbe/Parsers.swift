import FitCore
import Foundation

/// Pure parsers for what the kernel and tools print. Each takes text and returns facts.
public enum ProcParsers {
    /// Vector extensions that inference runtimes use, in the kernel's flag names.
    static let interestingFlags: [String] = [
        "sse4_2", "avx", "f16c", "fma", "avx2", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
        "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16",
        "asimd", "asimddp", "asimdhp", "i8mm", "bf16", "sve", "sve2", "sme", "sme2",
    ]

    /// /proc/cpuinfo on x86 and ARM.
    public static func cpu(cpuinfo text: String) -> CPUDescription {
        var model: String?
        var flags: Set<String> = []
        var processors = 0
        var physicalIDs: Set<String> = []
        var cores: Set<String> = []
        var currentPhysical = "0"
        var armPart: String?
        var armImplementer: String?
        var sawX86 = false
        var sawARM = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "processor": processors += 1
            case "model name": if model == nil { model = value }
            case "flags":
                sawX86 = true
                flags.formUnion(value.split(separator: " ").map(String.init))
            case "Features":
                sawARM = true
                flags.formUnion(value.split(separator: " ").map(String.init))
            case "physical id":
                currentPhysical = value
                physicalIDs.insert(value)
            case "core id": cores.insert(currentPhysical + ":" + value)
            case "CPU part": armPart = armPart ?? value
            case "CPU implementer": armImplementer = armImplementer ?? value
            case "Hardware", "Model": if model == nil, !value.isEmpty { model = value }
            default: break
            }
        }
        if model == nil, let part = armPart {
            model = "ARM CPU (implementer \(armImplementer ?? "?"), part \(part))"
        }
        let arch: String? = sawX86 ? "x86_64" : (sawARM ? "aarch64" : nil)
        let ext = interestingFlags.filter { flags.contains($0) }
        return CPUDescription(
            model: Fact(model, source: .procfs),
            architecture: Fact(arch, source: .procfs),
            sockets: Fact(physicalIDs.isEmpty ? (processors > 0 ? 1 : nil) : physicalIDs.count, source: .procfs),
            physicalCores: Fact(
                cores.isEmpty ? (processors > 0 ? processors : nil) : cores.count, source: .procfs,
                detail: cores.isEmpty ? "no core ids in /proc/cpuinfo; counted logical CPUs" : nil),
            logicalCores: Fact(processors > 0 ? processors : nil, source: .procfs),
            vectorExtensions: Fact(processors > 0 ? ext : nil, source: .procfs))
    }

    /// /proc/meminfo: values in kB.
    public static func meminfo(_ text: String) -> [String: ByteCount] {
        var out: [String: ByteCount] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            // 0 to 2^40 kB (1 PiB); anything else is not a memory size, and is left out
            guard parts.count >= 2, let v = Int64(parts[1]), v >= 0, v <= 1 << 40 else { continue }
            let unit = parts.count >= 3 ? parts[2] : ""
            out[String(parts[0])] = ByteCount(unit == "kB" ? v * 1024 : v)
        }
        return out
    }

    /// A cgroup limit file: "max" (v2) or a near-2^63 number (v1) means no limit.
    public static func cgroupLimit(_ text: String) -> ByteCount?? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t == "max" { return .some(nil) }
        guard let v = Int64(t) else { return nil }
        if v >= 1 << 62 { return .some(nil) }
        return .some(ByteCount(v))
    }

    /// /proc/self/cgroup: the v2 path ("0::/path") and the v1 memory controller path.
    public static func cgroupPaths(_ text: String) -> (v2: String?, v1Memory: String?) {
        var v2: String?
        var v1: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { v2 = String(parts[2]) }
            if parts[1].split(separator: ",").contains("memory") { v1 = String(parts[2]) }
        }
        return (v2, v1)
    }

    /// /sys/devices/system/node/nodeN/meminfo: "Node 0 MemTotal:  24636776 kB".
    public static func nodeMeminfo(_ text: String) -> (total: ByteCount?, free: ByteCount?) {
        var total: ByteCount?
        var free: ByteCount?
        for line in text.split(separator: "\n") {
            let p = line.split(separator: " ", omittingEmptySubsequences: true)
            guard p.count >= 4, let v = Int64(p[3]), v >= 0, v <= 1 << 40 else { continue }
            if p[2] == "MemTotal:" { total = ByteCount(v * 1024) }
            if p[2] == "MemFree:" { free = ByteCount(v * 1024) }
        }
        return (total, free)
    }
}

/// nvidia-smi's CSV (`--format=csv,noheader,nounits`).
public enum NvidiaSmi {
    public static let coreFields = [
        "index", "name", "uuid", "pci.bus_id", "memory.total", "memory.used", "memory.free", "driver_version",
    ]
    /// Newer fields, asked apart: one unknown field fails a whole query (exit 2) on older drivers.
    public static let extendedFields = ["index", "compute_cap", "clocks.max.memory", "mig.mode.current"]

    public struct Extended: Sendable, Equatable {
        public var index: Int
        public var computeCapability: Fact<String>
        public var memoryClockMHz: Fact<Int>
        public var migEnabled: Bool
    }

    public static func parseExtended(_ csv: String) -> [Extended] {
        csv.split(whereSeparator: \.isNewline).compactMap { line in
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= 4, let index = Int(cols[0].trimmingCharacters(in: .whitespaces)) else { return nil }
            let cc = field(cols[1])
            let clock = field(cols[2])
            let mig = field(cols[3])
            return Extended(
                index: index,
                computeCapability: cc.value.map { Fact($0, source: .nvidiaSmi) }
                    ?? .missing(.nvidiaSmi, cc.status, cc.detail),
                // 1 MHz to 100 GHz; anything else is not a memory clock
                memoryClockMHz: clock.value.flatMap(Double.init).flatMap { ($0 >= 1 && $0 <= 100_000) ? Int($0) : nil }
                    .map { Fact($0, source: .nvidiaSmi) }
                    ?? .missing(.nvidiaSmi, clock.value == nil ? clock.status : .error, clock.detail),
                migEnabled: mig.value?.lowercased() == "enabled")
        }
    }

    /// `nvidia-smi -L`: MIG instances per GPU index.
    public static func parseMIG(_ text: String) -> [Int: [MIGInstance]] {
        var out: [Int: [MIGInstance]] = [:]
        var gpu: Int?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("GPU "), let colon = line.firstIndex(of: ":") {
                gpu = Int(line[line.index(line.startIndex, offsetBy: 4)..<colon])
            } else if line.hasPrefix("MIG "), let g = gpu {
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                guard words.count >= 4 else { continue }
                let profile = String(words[1])
                let device =
                    Int(words[3].trimmingCharacters(in: CharacterSet(charactersIn: ":"))) ?? out[g, default: []].count
                let uuid = line.range(of: "UUID: ").map { String(line[$0.upperBound...].prefix { $0 != ")" }) }
                // "3g.40gb": 40 GB; a size that is not a number from 0 to 2 TB is no size
                let gb = profile.split(separator: ".").last.flatMap {
                    Double($0.lowercased().replacingOccurrences(of: "gb", with: ""))
                }.flatMap { $0 > 0 && $0 <= 2048 ? $0 : nil }
                let memory: Fact<ByteCount> =
                    gb.map { Fact(.gb($0), source: .nvidiaSmi, status: .ok, detail: "from the profile name") }
                    ?? .missing(.nvidiaSmi, .error, "profile \(profile) names no memory size")
                out[g, default: []].append(MIGInstance(profile: profile, device: device, uuid: uuid, memory: memory))
            }
        }
        return out
    }

    public static func arguments(_ fields: [String]) -> [String] {
        ["--query-gpu=" + fields.joined(separator: ","), "--format=csv,noheader,nounits"]
    }

    /// A field value: nil with a status for `[N/A]`, `[Not Supported]` and the other bracketed errors.
    public static func field(_ raw: String) -> (value: String?, status: FactStatus, detail: String?) {
        let v = raw.trimmingCharacters(in: .whitespaces)
        guard v.hasPrefix("[") else { return (v.isEmpty ? nil : v, v.isEmpty ? .absent : .ok, nil) }
        switch v.lowercased() {
        case "[n/a]", "[not supported]": return (nil, .notSupported, v)
        case "[insufficient permissions]": return (nil, .noPermission, v)
        default: return (nil, .error, v)
        }
    }

    public struct Row: Sendable, Equatable {
        public var index: Int
        public var name: Fact<String>
        public var uuid: String?
        public var busID: String?
        public var memoryTotal: Fact<ByteCount>
        public var memoryFree: Fact<ByteCount>
        public var driver: Fact<String>
    }

    /// The most GPUs one machine's nvidia-smi is read for (an HGX board has 8, the largest NVLink
    /// domains 72); rows beyond are left out with a warning.
    public static let maxRows = 256
    /// 2 TiB in MiB: eight times the largest GPU memory of 2026 (B300, 288 GB).
    static let plausibleMiB = 0.0...2_097_152.0

    /// Rows of the core query. Memory is in MiB; a value outside 0 to 2 TiB, a row without a
    /// name and an index seen before are not taken as a GPU.
    public static func parseCore(_ csv: String) -> [Row] {
        var rows: [Row] = []
        var seen: Set<Int> = []
        for line in csv.split(whereSeparator: \.isNewline) {
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= coreFields.count, let index = Int(cols[0].trimmingCharacters(in: .whitespaces)),
                index >= 0, field(cols[1]).value != nil, !seen.contains(index)
            else {
                continue
            }
            seen.insert(index)
            func mib(_ s: String, least: Double = 0) -> Fact<ByteCount> {
                let f = field(s)
                guard let v = f.value else { return .missing(.nvidiaSmi, f.status, f.detail) }
                guard let n = Double(v), n.isFinite else {
                    return .missing(.nvidiaSmi, .error, "unreadable value \(v.prefix(40))")
                }
                guard n >= least, plausibleMiB.contains(n) else {
                    return .missing(.nvidiaSmi, .error, "\(v.prefix(40)) MiB is outside \(Int(least)) MiB to 2 TiB")
                }
                return Fact(.mib(n), source: .nvidiaSmi)
            }
            func text(_ s: String) -> Fact<String> {
                let f = field(s)
                return f.value.map { Fact($0, source: .nvidiaSmi) } ?? .missing(.nvidiaSmi, f.status, f.detail)
            }
            let total = mib(cols[4], least: 1)
            let used = mib(cols[5])
            var free = mib(cols[6])
            // [N/A] free memory: total minus used. An error stays an error (the GPU may be unwell).
            if free.value == nil, free.status == .notSupported, let t = total.value, let u = used.value {
                free =
                    u <= t
                    ? Fact(t - u, source: .nvidiaSmi, detail: "memory.free unreported; total minus used")
                    : .missing(.nvidiaSmi, .error, "memory.free unreported and memory.used exceeds memory.total")
            }
            if let f = free.value, let t = total.value, f > t {
                free = .missing(.nvidiaSmi, .error, "memory.free \(f) exceeds memory.total \(t)")
            }
            rows.append(
                Row(
                    index: index, name: text(cols[1]), uuid: field(cols[2]).value, busID: field(cols[3]).value,
                    memoryTotal: total, memoryFree: free, driver: text(cols[7])))
        }
        return rows
    }

    /// "00000000:01:00.0" -> "0000:01:00.0" (sysfs spelling).
    public static func sysfsAddress(_ busID: String) -> String {
        let lower = busID.lowercased()
        let parts = lower.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return lower }
        let domain = String(parts[0].suffix(4))
        return domain + ":" + parts[1]
    }

    /// A sentence for each way nvidia-smi fails (its documented exit codes).
    public static func diagnose(_ r: CommandResult) -> ProbeOutcome? {
        let text = (r.stdout + " " + r.stderr).lowercased()
        switch r.ending {
        case .notFound:
            return ProbeOutcome(
                probe: "nvidia-smi", status: .toolMissing, detail: "not installed (no NVIDIA driver utilities on PATH)")
        case .timedOut:
            return ProbeOutcome(
                probe: "nvidia-smi", status: .timedOut,
                detail: "did not answer in time and was killed; the driver may be hung")
        case .failedToStart(let why):
            return ProbeOutcome(probe: "nvidia-smi", status: .error, detail: "could not be started: \(why)")
        case .signaled(let s):
            return ProbeOutcome(probe: "nvidia-smi", status: .error, detail: "was killed by signal \(s)")
        case .exited(0):
            return nil
        case .exited(let code):
            if text.contains("couldn't communicate with the nvidia driver") {
                return ProbeOutcome(
                    probe: "nvidia-smi", status: .error,
                    detail:
                        "couldn't communicate with the NVIDIA driver: is it installed and loaded (nvidia kernel module)?"
                )
            }
            switch code {
            case 6: return ProbeOutcome(probe: "nvidia-smi", status: .ok, detail: "no NVIDIA GPU found")
            case 9:
                return ProbeOutcome(
                    probe: "nvidia-smi", status: .error,
                    detail: "the NVIDIA driver is not loaded (exit 9): load the nvidia kernel module")
            case 12:
                return ProbeOutcome(
                    probe: "nvidia-smi", status: .toolMissing,
                    detail: "the NVML library was not found (exit 12): reinstall the NVIDIA driver")
            case 15:
                return ProbeOutcome(
                    probe: "nvidia-smi", status: .error,
                    detail: "a GPU has fallen off the bus (exit 15): check power and the PCIe slot, then reboot")
            default:
                return ProbeOutcome(
                    probe: "nvidia-smi", status: .error,
                    // nvidia-smi writes most of its reasons ("Failed to initialize NVML: …") on stdout
                    detail: "failed with exit \(code): "
                        + String(
                            ([r.stderr, r.stdout].lazy.compactMap {
                                $0.split(whereSeparator: \.isNewline).first.map(String.init)
                            }.first ?? "no reason given").prefix(200)))
            }
        }
    }
}

/// The one-minute load average (`/proc/loadavg`, `getloadavg` elsewhere): how busy the machine
/// was before a measurement.
public enum LoadAverage {
    public static func oneMinute() -> Double? {
        var loads = [0.0, 0.0, 0.0]
        guard getloadavg(&loads, 3) >= 1, loads[0].isFinite, loads[0] >= 0 else { return nil }
        return loads[0]
    }
}
