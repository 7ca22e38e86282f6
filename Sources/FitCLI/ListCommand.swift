import ArgumentParser
import FitCatalog
import FitCore
import Foundation

/// `fit [--ctx N]`: every catalog model and quant, with its verdict on this machine.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every catalog model and quant with its verdict at a context (the default command).")

    @OptionGroup var plan: PlanFlags
    @OptionGroup var machineOptions: MachineOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Only the best quant of each model that fits: the best verdict, then the most bits.")
    var best = false

    func run() async throws {
        let options = try plan.options()
        let catalog = try catalogOptions.load()
        let machine = try await machineOptions.load(catalog: catalog)
        let runtime = try plan.runtimePreset()
        let target = runtime.map { $0.target(PlanTarget(machine: machine), machine: machine) } ?? PlanTarget(machine: machine)
        let perModel = runtime != nil && plan.ctx == nil
        let contextFor: ((CatalogModel) -> TokenCount)? = perModel ? { m in (try? plan.context(for: m.architecture, machine: machine)) ?? options.context } : nil
        let all = FitList.evaluate(models: catalog.models, target: target, options: options, contextFor: contextFor,
                                   speed: Self.speedBasis(machine: machine, catalog: catalog),
                                   hostSpeed: catalog.calibration.map { HostBasis(host: hostSpeed(machine: machine), calibration: $0) })
        let rows = best ? FitList.bestPerModel(all) : all
        if output.json {
            let report = ListReport(context: perModel ? nil : options.context, runtime: runtime, kvType: options.kvType, flashAttention: options.flashAttention,
                                     catalogVersion: catalog.fingerprint, machine: MachineSummary(machine, target), results: rows)
            FileHandle.standardOutput.write(Data(report.json.bytes()))
        } else {
            print(Self.render(rows: rows, machine: machine, target: target, options: options, runtime: runtime, perModelContext: perModel,
                              style: output.style), terminator: "")
        }
    }

    /// The first GPU's peak figures when the hardware table knows it (decode speed for rows on it).
    static func speedBasis(machine: MachineDescription, catalog: Catalog) -> SpeedBasis? {
        guard let calibration = catalog.calibration, let gpu = machine.gpus.first, !gpu.unifiedMemory || gpu.vendor == .apple,
              let (device, _) = computeDevice(gpu, catalog: catalog) else { return nil }
        return SpeedBasis(device: device, calibration: calibration)
    }

    /// A GPU's speed figures: its bandwidth (probed or from the table) and the table entry's FP16
    /// throughput; nil when the table does not know it.
    static func computeDevice(_ gpu: GPUDescription, catalog: Catalog) -> (device: ComputeDevice, spec: HardwareSpec)? {
        guard let bw = gpu.memoryBandwidthGBs?.value,
              let spec = gpu.name.value.flatMap({ catalog.hardwareResolver.match(name: $0, memory: gpu.memoryTotal.value) }) else { return nil }
        return (ComputeDevice(bandwidthGBs: bw, fp16TFLOPS: spec.fp16TFLOPS, backend: gpu.backend, dies: spec.dies ?? 1, vendor: spec.vendor), spec)
    }

    static func hostSpeedNote(_ m: MachineDescription) -> String {
        let h = hostSpeed(machine: m)
        return h.measured ? "the measured \(NumberText.format(h.bandwidthGBs, digits: 0)) GB/s" : "an assumed \(NumberText.format(h.bandwidthGBs, digits: 0)) GB/s (fit bench hardware measures it)"
    }

    static func render(rows: [FitRow], machine: MachineDescription, target: PlanTarget, options: PlanOptions, runtime: Runtime? = nil,
                       perModelContext: Bool = false, style: Style) -> String {
        let at = perModelContext ? "at \(runtime?.rawValue ?? "")'s default context for each model" : "at \(options.context.short) context (\(options.context) tokens"
        let rt = runtime.map { ", \($0.rawValue) defaults" } ?? ""
        var out = style.bold("What runs on this machine \(at)\(perModelContext ? " (" : ", ")KV \(options.kvType.rawValue)\(rt))") + "\n"
        out += machineSummary(machine, target: target) + "\n\n"
        let speeds = rows.contains { $0.decodeTokensPerSecond != nil }
        var table = TextTable(headers: ["MODEL", "PARAMS", "QUANT"] + (perModelContext ? ["CTX"] : []) + ["VERDICT", "MEMORY", "GPU LAYERS", "MAX CTX"]
                                + (speeds ? ["DECODE T/S"] : []))
        table.rightAligned = perModelContext ? [1, 3, 5, 6, 7, 8] : [1, 4, 5, 6, 7]
        for r in rows {
            let verdict = r.verdict.label + (r.beyondContextWindow ? " *" : "")
            let params = r.activeParameters * 10 < r.parameters * 7
                ? "\(Format.params(r.parameters))-A\(Format.params(r.activeParameters))" : Format.params(r.parameters)
            let decode = r.decodeTokensPerSecond.map { d in
                NumberText.format(d, digits: 0) + (r.decodeTokensPerSecondAtContext.map { " → " + NumberText.format($0, digits: 0) } ?? "")
            } ?? "-"
            table.add([r.model, params, r.quant.rawValue] + (perModelContext ? [r.context.short] : []) + [verdict, Format.bytes(r.memory.totalBytes),
                       "\(r.gpuLayers)/\(r.totalLayers)", Format.context(r.maxContext)] + (speeds ? [decode] : []),
                      paint: { style.verdict(r.verdict, $0) })
        }
        out += table.render(style: style)
        let counts = Verdict.allCases.map { v in (v, rows.filter { $0.verdict == v }.count) }.filter { $0.1 > 0 }
        out += "\n" + counts.map { "\($0.1) \($0.0.label)" }.joined(separator: ", ") + "."
        if rows.contains(where: \.beyondContextWindow) { out += " * beyond the model's trained context window." }
        if speeds { out += "\nDECODE T/S: estimated tokens/s on an empty context → at the planned context (fit validate throughput); rows in RAM use \(hostSpeedNote(machine))." }
        out += "\nMAX CTX: the largest context with the same verdict. Details: fit plan MODEL --quant Q\(perModelContext ? "" : " --ctx \(options.context.short)")\n"
        return out
    }
}

/// The JSON of `fit --json` (documented in the README).
struct ListReport: Encodable {
    var schema = 1
    /// Null when each model was planned at its runtime's default context (see results[].context).
    var context: TokenCount?
    var runtime: Runtime?
    var kvType: KVCacheType
    var flashAttention: Bool
    var catalogVersion: String
    var machine: MachineSummary
    var results: [FitRow]
}

extension ListReport {
    var json: JSONValue {
        .object(["schema": .int(schema), "context": .optional(context?.count), "runtime": .optional(runtime?.rawValue),
                 "kvType": .string(kvType.rawValue), "flashAttention": .bool(flashAttention), "catalogVersion": .string(catalogVersion),
                 "machine": .object(["cpu": .optional(machine.cpu), "usableRAMBytes": .int(machine.usableRAMBytes),
                                     "gpus": .array(machine.gpus.map { .object(["name": .string($0.name), "usableBytes": .int($0.usableBytes),
                                                                              "sharesHostMemory": .bool($0.sharesHostMemory)]) })]),
                 "results": .array(results.map(\.json))])
    }
}

struct MachineSummary: Encodable {
    var cpu: String?
    var usableRAMBytes: Int64
    var gpus: [GPU]
    struct GPU: Encodable { var name: String; var usableBytes: Int64; var sharesHostMemory: Bool }
    init(_ m: MachineDescription, _ t: PlanTarget) {
        cpu = m.cpu.model.value
        usableRAMBytes = t.host.capacity.bytes
        gpus = t.gpus.map { GPU(name: $0.name, usableBytes: $0.capacity.bytes, sharesHostMemory: $0.sharesHostMemory) }
    }
}
