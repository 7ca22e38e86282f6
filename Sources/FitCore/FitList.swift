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
    /// Estimated prefill tokens/s of a 512-token prompt on an empty context.
    public var prefillTokensPerSecond: Double?
    /// The decode figures come from a measured row of this model, quant and GPU.
    public var speedMeasured: Bool
}

public enum FitList {
    /// Evaluates every model and quant, best answers first: verdict, then larger models (more
    /// capable), then more bits (better quality) within a model. Speeds come from the one
    /// estimator (`SpeedEstimator`) at an empty context and at the planned one; `largestContext`
    /// runs the largest-context search per row (the list shows it; `fit choose` does not need it).
    public static func evaluate(
        models: [CatalogModel], target: PlanTarget, options given: PlanOptions,
        contextFor: ((CatalogModel) -> TokenCount)?, speed: SpeedContext, largestContext: Bool,
        memo: ComputeBufferMemo?
    ) -> [FitRow] {
        var rows: [FitRow] = []
        for m in models {
            let options = contextFor.map { given.with(context: $0(m)) } ?? given
            let tensors = TensorLayout(m.architecture).tensors  // once per model, shared by its quants
            let params = ModelArchitecture.parameters(tensors)
            let active = m.architecture.activeParameters(tensors)
            for q in m.quants {
                let build = BuildWork(model: m, scheme: q.scheme, tensors: tensors)
                let planner = MemoryPlanner(architecture: m.architecture, weights: build.work.weights, memo: memo)
                let plan = planner.plan(options, on: target)
                let estimate = try? SpeedEstimator.estimate(
                    build, plan: plan, context: speed, decodeDepths: [0, options.context.count],
                    prompt: 512, promptDepth: 0
                ).get()
                let maxCtx =
                    largestContext ? planner.maxContext(options, on: target, atLeast: plan.verdict.searchFloor) : nil
                rows.append(
                    FitRow(
                        model: m.id, name: m.name, family: m.family, quant: q.scheme, context: options.context,
                        parameters: params,
                        activeParameters: active, verdict: plan.verdict, fits: plan.fits, memory: plan.memory,
                        gpuLayers: plan.gpuLayers, totalLayers: plan.totalLayers, maxContext: maxCtx,
                        contextWindow: TokenCount(m.architecture.contextLength),
                        beyondContextWindow: options.context.count > m.architecture.contextLength,
                        decodeTokensPerSecond: estimate?.decode[0], decodeTokensPerSecondAtContext: estimate?.decode[1],
                        prefillTokensPerSecond: estimate?.prefill, speedMeasured: estimate?.measuredDecode ?? false))
            }
        }
        return sorted(rows)
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
        llamaServer(model: ["-m", modelFile], plan: plan, devices: gpuCount)
    }

    /// `model`: how llama-server finds the weights (`-m FILE`, or `-hf REPO:QUANT` from the Hub).
    public static func llamaServer(model: [String], plan: MemoryPlan, devices gpuCount: Int) -> [String] {
        let o = plan.options
        // llama-server's -c is the total over its slots: each of -np sequences gets c / np.
        let total = o.unifiedKV ? o.context.count : o.context.count * o.slots
        var f =
            [
                "llama-server"
            ] + model + [
                "-c", String(total), "-np", String(o.slots),
                "-ngl", String(plan.gpuLayers), "-fa", o.flashAttention ? "on" : "off",
            ]
        if o.kvType != .f16 { f += ["-ctk", o.kvType.rawValue, "-ctv", o.kvType.rawValue] }
        if o.ubatch != 512 { f += ["-ub", String(o.ubatch)] }
        if o.swaFull { f.append("--swa-full") }
        f += o.experts.launchFlags
        if o.slots > 1 { f.append(o.unifiedKV ? "--kv-unified" : "--no-kv-unified") }
        let gpus = plan.devices.filter { !$0.isHost && $0.layerCount > 0 }
        if gpuCount > 1, gpus.count > 1 { f += ["-ts", gpus.map { String($0.layerCount) }.joined(separator: ",")] }
        return f
    }
}
