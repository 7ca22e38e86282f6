/// `fit`'s main answer: every catalog model and quant with its verdict at one context.
public struct FitRow: Sendable, Equatable, Codable {
    public var model: String
    public var name: String
    public var family: String
    public var quant: QuantScheme
    /// The context planned for (the same for every row, unless a runtime's default was used).
    public var context: TokenCount
    public var parameters: Int64
    public var activeParameters: Int64
    public var verdict: Verdict
    public var fits: Bool
    public var memory: MemoryBreakdown
    public var gpuLayers: Int
    public var totalLayers: Int
    /// Largest context at which this build keeps at least the same verdict (or, when it does not
    /// fit at the requested context, at which it fits at all). Nil when it never fits.
    public var maxContext: TokenCount?
    /// The model's own trained context window.
    public var contextWindow: TokenCount
    public var beyondContextWindow: Bool
    /// Estimated decode tokens/s on an empty context and at the planned context (GPU rows on a known GPU only).
    public var decodeTokensPerSecond: Double?
    public var decodeTokensPerSecondAtContext: Double?
}

/// What the list needs to estimate speed: the GPU's peak figures and the fitted efficiencies.
public struct SpeedBasis: Sendable {
    public var device: ComputeDevice
    public var calibration: ThroughputCalibration
    public init(device: ComputeDevice, calibration: ThroughputCalibration) { self.device = device; self.calibration = calibration }
}

/// The host's RAM speed and the fitted efficiencies: decode speed for rows in RAM.
public struct HostBasis: Sendable {
    public var host: HostSpeed
    public var calibration: ThroughputCalibration
    public init(host: HostSpeed, calibration: ThroughputCalibration) { self.host = host; self.calibration = calibration }
}

public enum FitList {
    /// Evaluates every model and quant, best answers first: verdict, then larger models (more
    /// capable), then more bits (better quality) within a model.
    public static func evaluate(models: [CatalogModel], target: PlanTarget, options given: PlanOptions,
                                contextFor: ((CatalogModel) -> TokenCount)? = nil, speed: SpeedBasis? = nil,
                                hostSpeed: HostBasis? = nil) -> [FitRow] {
        var rows: [FitRow] = []
        for m in models {
            let options = contextFor.map { given.with(context: $0(m)) } ?? given
            let tensors = TensorLayout(m.architecture).tensors  // once per model, shared by its quants
            let params = ModelArchitecture.parameters(tensors)
            let active = m.architecture.activeParameters(tensors)
            for q in m.quants {
                let weights = m.weights(q.scheme, tensors: tensors)
                let planner = MemoryPlanner(architecture: m.architecture, weights: weights)
                let plan = planner.plan(options, on: target)
                var decode: (Double?, Double?) = (nil, nil)
                // GPU rows at the GPU's bandwidth; layers in RAM at the host's.
                if let calibration = speed?.calibration ?? hostSpeed?.calibration, plan.verdict == .gpu ? speed != nil : hostSpeed != nil {
                    let work = TokenWork(architecture: m.architecture, weights: weights, quantized: !q.scheme.isFloat)
                    let share = work.gpuShareOfReads(gpuLayers: plan.gpuLayers, totalLayers: plan.totalLayers, cpuMoELayers: options.cpuMoELayers)
                    let host = hostSpeed?.host ?? HostSpeed.assumed(physicalCores: nil)
                    decode = (ThroughputEstimator.decode(work, verdict: plan.verdict, gpuShare: share, kvGPUShare: work.kvShareOnGPU(gpuLayers: plan.gpuLayers), gpu: speed?.device, host: host, depth: 0,
                                                         calibration: calibration),
                              ThroughputEstimator.decode(work, verdict: plan.verdict, gpuShare: share, kvGPUShare: work.kvShareOnGPU(gpuLayers: plan.gpuLayers), gpu: speed?.device, host: host,
                                                         depth: options.context.count, calibration: calibration))
                }
                let maxCtx = planner.maxContext(options, on: target, atLeast: plan.verdict == .none ? .ram : plan.verdict)
                rows.append(FitRow(model: m.id, name: m.name, family: m.family, quant: q.scheme, context: options.context, parameters: params,
                                   activeParameters: active, verdict: plan.verdict, fits: plan.fits, memory: plan.memory,
                                   gpuLayers: plan.gpuLayers, totalLayers: plan.totalLayers, maxContext: maxCtx,
                                   contextWindow: TokenCount(m.architecture.contextLength),
                                   beyondContextWindow: options.context.count > m.architecture.contextLength,
                                   decodeTokensPerSecond: decode.0, decodeTokensPerSecondAtContext: decode.1))
            }
        }
        return sorted(rows)
    }

    /// One row per model: the best verdict it reaches, and at that verdict the quant with the most bits.
    public static func bestPerModel(_ rows: [FitRow]) -> [FitRow] {
        var best: [String: FitRow] = [:]
        for r in rows where r.fits {
            if let b = best[r.model], (b.verdict, -b.quant.nominalBits) <= (r.verdict, -r.quant.nominalBits) { continue }
            best[r.model] = r
        }
        return sorted(Array(best.values))
    }

    public static func sorted(_ rows: [FitRow]) -> [FitRow] {
        rows.sorted { a, b in
            if a.verdict != b.verdict { return a.verdict < b.verdict }
            if a.beyondContextWindow != b.beyondContextWindow { return !a.beyondContextWindow }
            if a.parameters != b.parameters { return a.parameters > b.parameters }
            if a.model != b.model { return a.model < b.model }
            return a.quant.nominalBits > b.quant.nominalBits
        }
    }
}

/// The llama-server command line for a plan (what `fit plan` prints to launch it).
public enum LaunchFlags {
    public static func llamaServer(modelFile: String, plan: MemoryPlan, devices gpuCount: Int) -> [String] {
        let o = plan.options
        // llama-server's -c is the total over its slots: each of -np sequences gets c / np.
        let total = o.unifiedKV ? o.context.count : o.context.count * o.slots
        var f = ["llama-server", "-m", modelFile, "-c", String(total), "-np", String(o.slots),
                 "-ngl", String(plan.gpuLayers), "-fa", o.flashAttention ? "on" : "off"]
        if o.kvType != .f16 { f += ["-ctk", o.kvType.rawValue, "-ctv", o.kvType.rawValue] }
        if o.ubatch != 512 { f += ["-ub", String(o.ubatch)] }
        if o.swaFull { f.append("--swa-full") }
        if o.cpuMoELayers > 0 { f += ["--n-cpu-moe", String(o.cpuMoELayers)] }
        if o.slots > 1 { f.append(o.unifiedKV ? "--kv-unified" : "--no-kv-unified") }
        let gpus = plan.devices.filter { $0.id != "cpu" && $0.layerCount > 0 }
        if gpuCount > 1, gpus.count > 1 { f += ["-ts", gpus.map { String($0.layerCount) }.joined(separator: ",")] }
        return f
    }
}
