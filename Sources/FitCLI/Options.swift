import ArgumentParser
import FitCatalog
import FitCore
import FitProbe
import Foundation

/// Parses `--ctx`: `65536`, `64k`, `128K`, `1M`.
func parseContext(_ text: String) throws -> TokenCount {
    guard let t = TokenCount.parse(text) else {
        throw FitError.usage("--ctx \(text) is not a token count; use a number like 65536, 64k or 128K")
    }
    guard t.count >= 1 else { throw FitError.usage("--ctx \(text) must be at least 1 token; try 4096 or 64k") }
    guard t <= TokenCount.absurd else {
        throw FitError.usage("--ctx \(text) is larger than any model's context (at most 16M tokens); try 65536 or 128k")
    }
    return t
}

/// Parses a size: `24GiB`, `24GB` (10^9), `512MiB`.
func parseSize(_ text: String, flag: String) throws -> ByteCount {
    guard let b = ByteCount.parse(text), b.bytes > 0 else {
        throw FitError.usage("\(flag) \(text) is not a size; use e.g. 24GiB, 24GB (10^9 bytes) or 512MiB")
    }
    return b
}

/// Where the machine comes from: a live probe, or a file saved by `fit probe --json`.
struct MachineOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("Use a machine saved by `fit probe --json` instead of probing.", valueName: "file"))
    var machine: String?

    @Option(name: .long, help: ArgumentHelp("Plan as if this much RAM were usable (e.g. 64GiB).", valueName: "size"))
    var ram: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Plan as if every GPU (or one added GPU, if none) had this much free memory (e.g. 24GiB).",
            valueName: "size"))
    var vram: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Plan for hardware you do not have, from the catalog: \"RTX 5090\", \"2x RTX 3090\", \"M4 Max 40-core 128GB\".",
            valueName: "name"))
    var hardware: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Probe a recorded machine: a folder with proc/, sys/ and commands/ (see Probes/).", valueName: "dir",
            visibility: .hidden))
    var sysroot: String?

    func load(catalog: Catalog) async throws -> MachineDescription {
        var m = try await load().withTableFacts(catalog.hardwareResolver)
        if let hardware {
            guard let request = HardwareRequest.parse(hardware) else {
                throw FitError.usage(
                    "--hardware \(hardware) is not a hardware name; use e.g. \"RTX 5090\", \"2x RTX 3090\" or \"M4 Max 40-core 128GB\""
                )
            }
            switch catalog.hardwareResolver.resolve(request) {
            case .found(let spec):
                let ramSize = try ram.map { try parseSize($0, flag: "--ram") }
                let vramSize = try vram.map { try parseSize($0, flag: "--vram") }
                if spec.unifiedMemory, let flag = ram != nil ? "--ram" : vram != nil ? "--vram" : nil {
                    throw FitError.usage(
                        "\(flag) does not apply to --hardware \(hardware): its memory is unified; put the size in the name instead (e.g. \"\(spec.name) 64GB\")"
                    )
                }
                // --vram applies to every GPU of the named hardware, as it does to probed ones.
                m = MachineDescription.hypothetical(spec, count: request.count, memory: request.memory, host: m)
                    .overriding(ram: ramSize, vram: vramSize)
                    .withTableFacts(catalog.hardwareResolver)
            case .ambiguous(let names):
                throw FitError.usage(
                    "--hardware \(hardware) matches several: \(names.joined(separator: "; ")); name one")
            case .noVariant(let name, let asked, let variants):
                throw FitError.usage(
                    "--hardware \(hardware): the table has no \(name) with \(Int(asked.gib.rounded())) GB; its variants: \(variants.joined(separator: "; ")); name one of them or leave the size out"
                )
            case .unknown(let suggestions):
                throw FitError.usage(
                    "--hardware \(hardware) is not in the catalog's hardware table; closest: \(suggestions.joined(separator: "; "))"
                )
            }
        }
        return m
    }

    func load() async throws -> MachineDescription {
        // With --hardware, --ram and --vram apply to the named hardware (load(catalog:)), not to this machine.
        let ramSize = hardware == nil ? try ram.map { try parseSize($0, flag: "--ram") } : nil
        let vramSize = hardware == nil ? try vram.map { try parseSize($0, flag: "--vram") } : nil
        var m: MachineDescription
        if let path = machine {
            m = try Self.read(path)
        } else if let sysroot {
            guard
                ["/proc", "/sys", "/commands"].contains(where: { FileManager.default.fileExists(atPath: sysroot + $0) })
            else {
                throw FitError.usage(
                    "--sysroot \(sysroot) has no proc/, sys/ or commands/ folder; point it at a recorded machine under Probes/fixtures"
                )
            }
            m = await MachineProber(root: SystemRoot(sysroot), runner: RecordedRunner(directory: sysroot + "/commands"))
                .probe()
        } else {
            m = await MachineProber().probe()
        }
        return m.overriding(ram: ramSize, vram: vramSize)
    }

    static func read(_ path: String) throws -> MachineDescription {
        // A machine description is a few KB; 16 MiB is a thousand times that.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 16 << 20 {
            throw FitError.usage(
                "--machine \(path) is \(ByteCount(Int64(size))); a machine from `fit probe --json` is a few KB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FitError.usage(
                "--machine \(path) cannot be read (missing or not permitted); save one with `fit probe --json > box.json`"
            )
        }
        do {
            let m = try JSONDecoder().decode(MachineDescription.self, from: data)
            guard m.schema == MachineDescription.currentSchema else {
                throw FitError.usage(
                    "--machine \(path) has schema \(m.schema); this fit reads schema \(MachineDescription.currentSchema): probe again with `fit probe --json`"
                )
            }
            if let problem = m.problems.first {
                throw FitError.usage("--machine \(path): \(problem); probe again with `fit probe --json`")
            }
            return m
        } catch let e as FitError {
            throw e
        } catch let e as DecodingError {
            throw FitError.usage(
                "--machine \(path) is not a machine description from `fit probe --json` (\(describe(e)))")
        } catch {
            throw FitError.usage("--machine \(path) is not valid JSON; save one with `fit probe --json > box.json`")
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String {
            p.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch e {
        case .keyNotFound(let k, let c): return "missing `\(path(c.codingPath + [k]))`"
        case .typeMismatch(let t, let c):
            return c.codingPath.isEmpty
                ? "the top level is not a JSON object" : "`\(path(c.codingPath))` is not \(typeName(t))"
        case .valueNotFound(_, let c):
            return c.codingPath.isEmpty ? "it is null" : "`\(path(c.codingPath))` is null"
        case .dataCorrupted(let c):
            // "Parsed JSON number <1.5> does not fit in Int64." names the value
            let why = c.debugDescription.prefix(120)
            return c.codingPath.isEmpty
                ? (why.contains("does not fit") ? String(why) : "not valid JSON")
                : "`\(path(c.codingPath))` is malformed: \(why)"
        @unknown default: return "unreadable"
        }
    }

    static func typeName(_ t: Any.Type) -> String {
        switch t {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is [Any].Type: "a list"
        default: "what fit expects there"
        }
    }
}

/// Where the catalog comes from.
struct CatalogOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The Catalog folder (default: $FIT_CATALOG, else next to the fit binary).", valueName: "dir")
    )
    var catalog: String?

    /// How errors name the catalog folder: the path the user gave (--catalog, FIT_CATALOG), else
    /// `Catalog`, the one shipped next to fit.
    static func displayName(_ dir: URL, explicit: String?, environment env: [String: String]) -> String {
        explicit != nil || !(env["FIT_CATALOG"] ?? "").isEmpty ? dir.path : "Catalog"
    }

    /// The shipped catalog and the loader that read it (for the evidence, later, without a second read).
    func loadShipped() throws -> (CatalogLoader, Catalog) {
        let env = ProcessInfo.processInfo.environment
        let dir = try CatalogLoader.locate(explicit: catalog, environment: env, executablePath: Self.executablePath)
        let loader = CatalogLoader(
            directory: dir, cacheDirectory: CatalogLoader.defaultCacheDirectory(environment: env),
            name: Self.displayName(dir, explicit: catalog, environment: env))
        return (loader, try loader.load())
    }

    /// The catalog with the user's imported models, for the commands that need no machine.
    func load() throws -> Catalog {
        Self.merging(try loadShipped().1, userModels: usableUserModels(readUserStore()))
    }

    func evidence() throws -> FitCore.Evidence {
        let (loader, catalog) = try loadShipped()
        return try loader.evidence(for: catalog)
    }

    /// The user's imported models join the shipped ones.
    static func merging(_ shipped: Catalog, userModels user: [CatalogModel]) -> Catalog {
        guard !user.isEmpty else { return shipped }
        return Catalog(
            models: shipped.models + user, hardware: shipped.hardware, cloud: shipped.cloud,
            calibration: shipped.calibration, fingerprint: shipped.fingerprint)
    }

    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Options that shape the memory plan.
struct PlanFlags: ParsableArguments {
    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "Context length in tokens: 65536, 64k, 128K (default 8k, or the runtime's default with --runtime).",
            valueName: "n"))
    var ctx: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Apply a runtime's defaults: llama.cpp (training context, 4 slots sharing the KV), ollama (context by VRAM), vllm (90% of each GPU, no CPU offload), mlx.",
            valueName: "runtime"))
    var runtime: String?

    func runtimePreset() throws -> Runtime? {
        guard let runtime else { return nil }
        guard let r = Runtime(rawValue: runtime.lowercased()) ?? (runtime.lowercased() == "llamacpp" ? .llamaCpp : nil)
        else {
            throw FitError.usage("--runtime \(runtime) is not a runtime fit knows; use llama.cpp, ollama, vllm or mlx")
        }
        return r
    }

    /// The context for one model: --ctx, else the runtime's default for it, else 8k.
    func context(for model: ModelArchitecture, machine: MachineDescription) throws -> TokenCount {
        if let ctx { return try parseContext(ctx) }
        guard let r = try runtimePreset() else { return TokenCount(8192) }
        let vram = machine.gpus.reduce(ByteCount.zero) { $0 + ($1.memoryTotal.value ?? .zero) }
        return r.defaultContext(model: model, totalVRAM: vram)
    }

    @Option(
        name: .customLong("kv-type"),
        help: ArgumentHelp("KV cache type: f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl.", valueName: "type"))
    var kvType: String = "f16"

    @Option(name: .customLong("flash-attn"), help: ArgumentHelp("Flash attention: on or off.", valueName: "on|off"))
    var flashAttn: String = "on"

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Parallel sequences (llama-server -np), each with the full context.", valueName: "n"))
    var parallel: Int = 1

    @Option(
        name: .customLong("n-cpu-moe"), parsing: .unconditional,
        help: ArgumentHelp("Keep the routed experts of the first N layers in RAM (MoE models).", valueName: "n"))
    var nCpuMoe: Int?

    @Flag(name: .customLong("cpu-moe"), help: "Keep every routed expert in RAM (MoE models).")
    var cpuMoe = false

    @Flag(name: .customLong("swa-full"), help: "Sliding-window layers keep the whole context (llama.cpp --swa-full).")
    var swaFull = false

    func options() throws -> PlanOptions {
        let context = try ctx.map(parseContext) ?? TokenCount(8192)
        guard let kv = KVCacheType(rawValue: kvType.lowercased()) else {
            throw FitError.usage(
                "--kv-type \(kvType) is not a KV cache type; use one of \(KVCacheType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let fa: Bool
        switch flashAttn.lowercased() {
        case "on", "true", "1", "yes": fa = true
        case "off", "false", "0", "no": fa = false
        default: throw FitError.usage("--flash-attn \(flashAttn) must be on or off")
        }
        if kv.isQuantized && !fa {
            throw FitError.usage(
                "--kv-type \(kv.rawValue) needs --flash-attn on (llama.cpp cannot quantize the V cache without flash attention)"
            )
        }
        guard (1...256).contains(parallel) else {
            throw FitError.usage("--parallel \(parallel) must be between 1 and 256 sequences")
        }
        var o = PlanOptions(context: context, kvType: kv, flashAttention: fa, slots: parallel, swaFull: swaFull)
        if let n = nCpuMoe {
            guard n >= 0 else { throw FitError.usage("--n-cpu-moe \(n) must be zero or a positive layer count") }
            o.experts = .firstLayersInRAM(n)
        }
        if cpuMoe {
            guard nCpuMoe == nil else {
                throw FitError.usage("--cpu-moe and --n-cpu-moe \(nCpuMoe ?? 0) ask for two placements; give one")
            }
            o.experts = .allInRAM
        }
        if let r = try runtimePreset() {
            o = r.apply(to: o)
            if parallel != 1 { o.slots = parallel }
        }
        return o
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false

    /// Colour only on a terminal, and never when NO_COLOR is set.
    var style: Style {
        let env = ProcessInfo.processInfo.environment
        let tty = isatty(STDOUT_FILENO) == 1
        return Style(colour: !json && tty && env["NO_COLOR"] == nil && env["TERM"] != "dumb")
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let e = JSONEncoder()
    // Sorted keys: swift-foundation's encoder otherwise orders keys by a per-process hash seed.
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try e.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

extension MachineDescription {
    /// "What if": `--ram` replaces usable RAM, `--vram` sets every GPU's free memory (or adds one GPU).
    func overriding(ram: ByteCount?, vram: ByteCount?) -> MachineDescription {
        var m = self
        if let ram {
            m.memory.available = Fact(ram, source: .user, detail: "--ram")
            m.memory.containerLimit = .missing(.user, .ok, "ignored: --ram given")
            m.memory.containerUsage = .missing(.user, .ok)
        }
        if let vram {
            if m.gpus.isEmpty {
                m.gpus.append(
                    GPUDescription(
                        index: 0, vendor: .nvidia, name: Fact("hypothetical GPU (--vram)", source: .user),
                        pciAddress: nil, driver: .missing(.user, .absent),
                        memoryTotal: Fact(vram, source: .user), memoryFree: Fact(vram, source: .user),
                        unifiedMemory: false, backend: .cuda))
            } else {
                for i in m.gpus.indices {
                    m.gpus[i].memoryTotal = Fact(vram, source: .user, detail: "--vram")
                    m.gpus[i].memoryFree = Fact(vram, source: .user, detail: "--vram")
                    m.gpus[i].unifiedMemory = false
                }
            }
        }
        return m
    }
}
