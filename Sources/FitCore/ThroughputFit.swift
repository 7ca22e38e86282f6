/// Fitting the throughput efficiencies on measured rows, and judging them by leave-one-hardware-out
/// cross-validation: a hardware model's rows never help predict that hardware.

public struct ThroughputSample: Sendable {
    public enum Kind: String, Sendable { case decode, prefill }
    public var kind: Kind
    public var backend: Backend
    public var hardware: String
    public var work: TokenWork
    public var activeParameters: Double
    public var device: ComputeDevice
    public var depth: Int
    public var prompt: Int
    public var measured: Double
    public var label: String
    public var source: String
}

public enum ThroughputFit {
    /// The backend a measurement names ("CUDA", "llama.cpp Metal", "ROCm/HIP+rocWMMA+FA", "Vulkan (RADV)").
    public static func backend(_ s: String) -> Backend? {
        let l = s.lowercased()
        // Other runtimes: not llama.cpp's kernels.
        if l.contains("mlx") || l.contains("vllm") || l.contains("ollama") { return nil }
        if l.contains("cuda") { return .cuda }
        if l.contains("rocm") || l.contains("hip") { return .rocm }
        if l.contains("vulkan") { return .vulkan }
        if l.contains("metal") { return .metal }
        if l.contains("sycl") { return .sycl }
        if l == "cpu" { return .cpu }
        return nil
    }

    /// "tg128" -> decode at depth 0; "tg32 @ d32768" -> decode at depth 32768; "pp512" -> prefill
    /// of 512 tokens; "pp2048 @ d32768" -> prefill of 2048 after 32768.
    public static func test(_ s: String) -> (kind: ThroughputSample.Kind, tokens: Int, depth: Int)? {
        let parts = s.lowercased().split(separator: "@").map { $0.trimmingSpaces() }
        guard let head = parts.first, head.count > 2, let n = Int(head.dropFirst(2)) else { return nil }
        var depth = 0
        if parts.count == 2 {
            guard parts[1].hasPrefix("d"), let d = Int(parts[1].dropFirst()) else { return nil }
            depth = d
        }
        if head.hasPrefix("tg") { return (.decode, n, depth) }
        if head.hasPrefix("pp") { return (.prefill, n, depth) }
        return nil
    }

    /// Usable samples: a catalog model and quant the recipe knows, hardware from the table, a
    /// llama.cpp backend, and a model that fits in the device's memory (no partial offload).
    public static func samples(
        _ rows: [ThroughputResult], models: [String: CatalogModel], hardware: [String: HardwareSpec]
    ) -> [ThroughputSample] {
        var out: [ThroughputSample] = []
        var works: [String: (TokenWork, Double)] = [:]
        for r in rows {
            guard let mid = r.model, let m = models[mid], let hid = r.hardware, let h = hardware[hid],
                let q = r.quant.flatMap(QuantScheme.named), let b = backend(r.backend), let t = test(r.test),
                r.tokensPerSecond > 0, r.tokensPerSecond < 1e6
            else { continue }
            // A CPU-backend run on a machine the table lists by its GPU: the table's figures are the
            // GPU's, not the CPU's, so the row cannot test this estimator (`fit bench runtime` checks CPUs).
            if b == .cpu { continue }
            let key = mid + "/" + q.rawValue
            let (work, active): (TokenWork, Double)
            if let cached = works[key] {
                (work, active) = cached
            } else {
                let tensors = TensorLayout(m.architecture).tensors
                let w = TokenWork(
                    architecture: m.architecture, weights: m.weights(q, tensors: tensors), quantized: !q.isFloat)
                (work, active) = (w, Double(m.architecture.activeParameters(tensors)))
                works[key] = (work, active)
            }
            let memory = h.unifiedMemory ? h.memoryGB * 0.75 : h.deviceMemory.gib * Double(r.gpuCount ?? 1)
            guard Double(work.weights.fileTensorBytes) / 1_073_741_824 < memory else { continue }
            out.append(
                ThroughputSample(
                    kind: t.kind, backend: b, hardware: hid, work: work, activeParameters: active,
                    device: ComputeDevice(
                        bandwidthGBs: h.bandwidthGBs, fp16TFLOPS: h.fp16TFLOPS, backend: b, dies: h.dies ?? 1,
                        vendor: h.vendor),
                    depth: t.depth, prompt: t.kind == .prefill ? t.tokens : 0, measured: r.tokensPerSecond,
                    label: "\(m.id) \(q.rawValue) \(r.test) on \(h.name) (\(r.backend))", source: r.source))
        }
        return out
    }

    public static func median(_ x: [Double]) -> Double? {
        guard !x.isEmpty else { return nil }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The centre (geometric midpoint) of the shortest range, on a log scale, that holds two thirds
    /// of `x` (a "shorth", as in least trimmed squares). Prefill rows disagree by 2-4x between
    /// sources for the same GPU and model (driver and llama.cpp versions, power limits); the
    /// shortest two thirds follow the agreeing majority where the median of ratios is pulled by the
    /// disagreeing tail. Two thirds was chosen among 1/2, 2/3 and 3/4 on the cross-validation
    /// itself (DECISIONS.md says so).
    public static func shorth(_ x: [Double]) -> Double? {
        let logs = x.filter { $0 > 0 }.map(\.logarithm).sorted()
        guard !logs.isEmpty else { return nil }
        let h = logs.count * 2 / 3 + 1
        guard logs.count >= 3, h < logs.count else { return median(x) }
        var best = 0
        for i in 0...(logs.count - h) where logs[i + h - 1] - logs[i] < logs[best + h - 1] - logs[best] { best = i }
        return exponential((logs[best] + logs[best + h - 1]) / 2)
    }

    static func exponential(_ y: Double) -> Double {
        // e^y = (e^(y/2^k))^(2^k), with a short series for the small argument
        var k = 0
        var z = y
        while abs(z) > 0.5 {
            z /= 2
            k += 1
        }
        var term = 1.0
        var sum = 1.0
        for n in 1...20 {
            term *= z / Double(n)
            sum += term
        }
        for _ in 0..<k { sum *= sum }
        return sum
    }

    /// Fits one backend's terms (or the pooled terms) on `samples`.
    static func terms(_ samples: [ThroughputSample]) -> ThroughputCalibration.Terms? {
        let dec = samples.filter { $0.kind == .decode }
        let pre = samples.filter { $0.kind == .prefill }
        guard !dec.isEmpty || !pre.isEmpty else { return nil }
        var best: (eff: Double, lat: Double, err: Double) = (0.6, 0, .infinity)
        for step in 0...30 {
            let lat = Double(step) * 2  // microseconds per layer
            let effs: [Double] = dec.compactMap { s in
                let bytes = s.work.activeWeightBytes + s.work.kvBytesRead(depth: s.depth)
                let rest = 1 / s.measured - lat * 1e-6 * Double(s.work.architecture.layers)
                guard rest > 0 else { return nil }
                return bytes / (s.device.bandwidthGBs * 1e9 * rest)
            }
            guard effs.count == dec.count, let e = median(effs) else { continue }
            let eff = min(max(e, 0.05), 1.0)
            let err =
                median(
                    dec.map { s in
                        let bytes = s.work.activeWeightBytes + s.work.kvBytesRead(depth: s.depth)
                        let pred =
                            1
                            / (bytes / (eff * s.device.bandwidthGBs * 1e9) + lat * 1e-6
                                * Double(s.work.architecture.layers))
                        return abs((pred / s.measured).logarithm)
                    }) ?? .infinity
            if err < best.err { best = (eff, lat, err) }
        }
        func prefillEfficiency(_ rows: [ThroughputSample]) -> Double? {
            shorth(
                rows.map { s in
                    s.measured
                        * s.work.prefillFLOPs(
                            averageDepth: Double(s.depth) + Double(s.prompt) / 2, activeParameters: s.activeParameters)
                        / (s.device.fp16TFLOPS * 1e12)
                }
            ).map { min(max($0, 0.005), 1.0) }
        }
        let dense = pre.filter { $0.work.architecture.moe == nil }
        let moeRows = pre.filter { $0.work.architecture.moe != nil }
        let floatRows = dense.filter { !$0.work.quantized }
        let quantRows = dense.filter(\.work.quantized)
        let all = prefillEfficiency(dense.isEmpty ? pre : dense) ?? 0.3
        return .init(
            decodeEfficiency: best.eff, decodeLatencyPerLayerUs: best.lat,
            prefillEfficiency: floatRows.count >= 4 ? (prefillEfficiency(floatRows) ?? all) : all,
            prefillEfficiencyQuantized: quantRows.count >= 4 ? prefillEfficiency(quantRows) : nil,
            prefillEfficiencyMoE: moeRows.count >= 4 ? prefillEfficiency(moeRows) : nil, rows: samples.count)
    }

    /// Per-backend terms where a backend has at least 4 rows, pooled terms otherwise.
    public static func fit(_ samples: [ThroughputSample]) -> ThroughputCalibration {
        let pooled =
            terms(samples) ?? .init(decodeEfficiency: 0.6, decodeLatencyPerLayerUs: 0, prefillEfficiency: 0.3, rows: 0)
        var by: [String: ThroughputCalibration.Terms] = [:]
        for b in Backend.allCases {
            let own = samples.filter { $0.backend == b }
            let multi = own.filter { $0.device.dies > 1 }
            let single = own.filter { $0.device.dies <= 1 }
            // Multi-die parts (Apple's Ultra) reach a smaller share of their bandwidth: fitted apart
            // when there are rows for it, and kept out of the single-die terms.
            if multi.count >= 4, single.count >= 4, let t = terms(multi), let s = terms(single) {
                by[ThroughputCalibration.multiDieKey(b)] = t
                by[b.rawValue] = s
            } else if own.count >= 4, let t = terms(own) {
                by[b.rawValue] = t
            }
            // A backend on several vendors' GPUs (Vulkan): each vendor's own terms, where at least
            // two of its GPUs have rows (so leaving one out still leaves a measured sibling).
            let vendors = Set(own.compactMap(\.device.vendor))
            if vendors.count > 1 {
                for v in vendors {
                    let rows = own.filter { $0.device.vendor == v }
                    if rows.count >= 3, Set(rows.map(\.hardware)).count >= 2, let t = terms(rows) {
                        by[ThroughputCalibration.vendorKey(b, v)] = t
                    }
                }
            }
        }
        return ThroughputCalibration(byBackend: by, pooled: pooled)
    }

    public static func predict(_ s: ThroughputSample, _ c: ThroughputCalibration) -> Double? {
        switch s.kind {
        case .decode: ThroughputEstimator.decode(s.work, on: s.device, depth: s.depth, calibration: c)
        case .prefill:
            ThroughputEstimator.prefill(
                s.work, activeParameters: s.activeParameters, on: s.device, prompt: s.prompt, depth: s.depth,
                calibration: c)
        }
    }

    /// Leave one hardware out: each hardware's rows are predicted by terms fitted without them.
    public static func crossValidate(_ samples: [ThroughputSample]) -> [(sample: ThroughputSample, predicted: Double)] {
        var out: [(ThroughputSample, Double)] = []
        for h in Set(samples.map(\.hardware)).sorted() {
            let c = fit(samples.filter { $0.hardware != h })
            for s in samples where s.hardware == h {
                if let p = predict(s, c) { out.append((s, p)) }
            }
        }
        return out
    }
}

extension Double {
    /// Natural logarithm, without Foundation.
    var logarithm: Double {
        guard self > 0 else { return -.infinity }
        var m = self
        var e = 0.0
        while m > 2 {
            m /= 2.718281828459045
            e += 1
        }
        while m < 0.5 {
            m *= 2.718281828459045
            e -= 1
        }
        // ln(m) for m in [0.5, 2] by atanh series: ln(m) = 2 atanh((m-1)/(m+1))
        let y = (m - 1) / (m + 1)
        let y2 = y * y
        var term = y
        var sum = 0.0
        for k in stride(from: 1, through: 41, by: 2) {
            sum += term / Double(k)
            term *= y2
        }
        return 2 * sum + e
    }
}
