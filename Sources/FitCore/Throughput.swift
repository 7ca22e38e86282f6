/// Decode and prefill speed (tokens/s). Decode is bound by memory traffic: every generated token
/// reads the active weights and the KV cache filled so far. Prefill is bound by compute: about
/// 2 FLOPs per active parameter per token, plus attention over the context. The efficiencies are
/// fitted on measured rows (`ThroughputCalibration`), never assumed.

/// What a device offers: peak memory bandwidth and dense FP16 throughput.
public struct ComputeDevice: Sendable, Equatable {
    public var bandwidthGBs: Double
    public var fp16TFLOPS: Double
    public var backend: Backend
    /// Dies sharing the memory: a multi-die part reaches a smaller share of its nominal bandwidth.
    public var dies: Int
    /// Whose GPU: a backend that runs on several vendors' parts (Vulkan) reaches a different share
    /// of each one's peak (Intel's Arc drivers, AMD's and NVIDIA's differ by 2-4x in prefill).
    public var vendor: GPUVendor?
    public init(bandwidthGBs: Double, fp16TFLOPS: Double, backend: Backend, dies: Int = 1, vendor: GPUVendor? = nil) {
        self.bandwidthGBs = bandwidthGBs
        self.fp16TFLOPS = fp16TFLOPS
        self.backend = backend
        self.dies = dies
        self.vendor = vendor
    }
}

/// Per-backend efficiencies fitted on measurements.
public struct ThroughputCalibration: Sendable, Equatable, Codable {
    public struct Terms: Sendable, Equatable, Codable {
        /// Achieved share of peak bandwidth when decoding.
        public var decodeEfficiency: Double
        /// Fixed time per layer per token (kernel launches, synchronisation), microseconds.
        public var decodeLatencyPerLayerUs: Double
        /// Achieved share of peak FP16 throughput when prefilling.
        public var prefillEfficiency: Double
        /// The same for quantized weights where measured apart (llama.cpp's int8 MMQ kernels, not
        /// the FP16 tensor cores cuBLAS uses for F16 weights).
        public var prefillEfficiencyQuantized: Double?
        /// Mixture-of-experts models where measured apart: a prompt batch splits among the experts,
        /// so each expert multiplies a fraction of the batch, far from the dense kernels' peak.
        public var prefillEfficiencyMoE: Double?
        public var rows: Int
        public init(
            decodeEfficiency: Double, decodeLatencyPerLayerUs: Double, prefillEfficiency: Double,
            prefillEfficiencyQuantized: Double? = nil, prefillEfficiencyMoE: Double? = nil, rows: Int
        ) {
            self.decodeEfficiency = decodeEfficiency
            self.decodeLatencyPerLayerUs = decodeLatencyPerLayerUs
            self.prefillEfficiency = prefillEfficiency
            self.prefillEfficiencyQuantized = prefillEfficiencyQuantized
            self.prefillEfficiencyMoE = prefillEfficiencyMoE
            self.rows = rows
        }
    }
    public var byBackend: [String: Terms]
    /// Used for a backend without measurements of its own.
    public var pooled: Terms

    public init(byBackend: [String: Terms], pooled: Terms) {
        self.byBackend = byBackend
        self.pooled = pooled
    }
    public func terms(_ b: Backend) -> Terms { byBackend[b.rawValue] ?? pooled }
    /// Multi-die parts have terms of their own where measured ("metal/multi-die").
    public func terms(_ d: ComputeDevice) -> Terms {
        if d.dies > 1, let t = byBackend[Self.multiDieKey(d.backend)] { return t }
        if let v = d.vendor, let t = byBackend[Self.vendorKey(d.backend, v)] { return t }
        return terms(d.backend)
    }
    public static func multiDieKey(_ b: Backend) -> String { b.rawValue + "/multi-die" }
    public static func vendorKey(_ b: Backend, _ v: GPUVendor) -> String { b.rawValue + "/" + v.rawValue }
}

/// Work per token for one model build.
public struct TokenWork: Sendable, Equatable {
    public let architecture: ModelArchitecture
    public let weights: WeightLayout
    /// Quantized weights (prefill runs different kernels than for F16/BF16).
    public let quantized: Bool

    public init(architecture: ModelArchitecture, weights: WeightLayout, quantized: Bool = true) {
        self.architecture = architecture
        self.weights = weights
        self.quantized = quantized
    }

    /// Weight bytes read per generated token: every layer, the routed experts only in the share
    /// the router activates, and the output matrix (token embeddings are a row lookup).
    public var activeWeightBytes: Double {
        let a = architecture
        let activeShare = a.moe.map { Double($0.activeExperts) / Double($0.experts) } ?? 1
        var bytes = 0.0
        for (i, w) in weights.perLayer.enumerated() {
            let experts = Double(weights.perLayerExperts[i])
            bytes += Double(w) - experts + experts * activeShare
        }
        return bytes + Double(weights.outputLayer)
    }

    /// The share of the weight bytes read per token that sit on GPUs under a plan: llama.cpp's
    /// `-ngl k` puts the last k repeating layers on the GPUs (k = layers + 1 adds the output layer),
    /// and `--n-cpu-moe N` keeps the routed experts of the first N layers in RAM. Weighted by bytes
    /// read (routed experts at the router's share), not by layer count: a 150k-vocabulary output
    /// layer or a layer's experts weigh what they weigh.
    public func gpuShareOfReads(gpuLayers k: Int, totalLayers: Int, cpuMoELayers: Int = 0) -> Double {
        let n = weights.perLayer.count
        guard n > 0, k > 0 else { return 0 }
        let activeShare = architecture.moe.map { Double($0.activeExperts) / Double($0.experts) } ?? 1
        let firstOnGPU = n - min(k, n)
        var gpu = 0.0
        var all = 0.0
        for i in 0..<n {
            let experts = Double(weights.perLayerExperts[i]) * activeShare
            let rest = Double(weights.perLayer[i]) - Double(weights.perLayerExperts[i])
            all += rest + experts
            if i >= firstOnGPU { gpu += rest + (i < cpuMoELayers ? 0 : experts) }
        }
        let output = Double(weights.outputLayer)
        all += output
        if k >= totalLayers { gpu += output }
        return all > 0 ? gpu / all : 0
    }

    /// The share of the KV cache on GPUs: that of the repeating layers there (`-ngl k`).
    public func kvShareOnGPU(gpuLayers k: Int) -> Double {
        let n = architecture.layers
        return n > 0 ? Double(min(max(k, 0), n)) / Double(n) : 0
    }

    /// Weight bytes of the repeating layers and the output layer that stay in RAM under a plan
    /// (all routed experts of those layers, not the router's share): what prefill streams to the GPU.
    public func bytesInRAM(gpuLayers k: Int, totalLayers: Int, cpuMoELayers: Int) -> Int64 {
        let n = weights.perLayer.count
        let firstOnGPU = n - min(max(k, 0), n)
        var bytes: Int64 = 0
        for i in 0..<n {
            if i < firstOnGPU {
                bytes += weights.perLayer[i]
            } else if i < cpuMoELayers {
                bytes += weights.perLayerExperts[i]
            }
        }
        if k < totalLayers { bytes += weights.outputLayer }
        return bytes
    }

    /// KV cache bytes read per token at `depth` tokens of context (sliding-window layers read at most their window).
    public func kvBytesRead(depth: Int) -> Double {
        let a = architecture
        var bytes = 0.0
        for i in 0..<a.layers {
            let cells: Int
            switch a.kind(ofLayer: i) {
            case .linear: cells = 0
            case .local: cells = min(depth, a.slidingWindow?.window ?? depth)
            case .global: cells = depth
            }
            guard cells > 0 else { continue }
            let perCell: Int64
            if let m = a.mla {
                perCell = Int64(m.kvLoraRank + m.qkRopeHeadDim) * 2
            } else {
                perCell = Int64(a.kvHeads(layer: i) * (a.headDim(layer: i) + a.vHeadDim(layer: i))) * 2
            }
            bytes += Double(cells) * Double(perCell)
        }
        return bytes
    }

    /// Active parameters in matrix multiplies (no embedding lookup).
    public var activeMatmulParameters: Double {
        let tensors = TensorLayout(architecture).tensors
        return Double(architecture.activeParameters(tensors))
    }

    /// FLOPs per prompt token at an average attended depth: 2 per active parameter, plus
    /// 4 x heads x head_dim per attended position per attention layer (QK^T and AV).
    public func prefillFLOPs(averageDepth: Double, activeParameters: Double) -> Double {
        let a = architecture
        var attention = 0.0
        for i in 0..<a.layers {
            let width = Double(a.heads * a.headDim(layer: i))
            switch a.kind(ofLayer: i) {
            case .linear: continue
            case .local: attention += width * min(averageDepth, Double(a.slidingWindow?.window ?? 0))
            case .global: attention += width * averageDepth
            }
        }
        return 2 * activeParameters + 4 * attention
    }
}

public enum ThroughputEstimator {
    /// Decode tokens/s with `depth` tokens already in the context, on one device (or a layer split
    /// over identical devices, which runs its parts one after another).
    public static func decode(_ work: TokenWork, on d: ComputeDevice, depth: Int, calibration: ThroughputCalibration)
        -> Double?
    {
        guard d.bandwidthGBs > 0 else { return nil }
        let t = calibration.terms(d)
        let bytes = work.activeWeightBytes + work.kvBytesRead(depth: depth)
        let seconds =
            bytes / (t.decodeEfficiency * d.bandwidthGBs * 1e9) + t.decodeLatencyPerLayerUs * 1e-6
            * Double(work.architecture.layers)
        return seconds > 0 ? 1 / seconds : nil
    }

    /// Prefill tokens/s for a prompt of `prompt` tokens after `depth` tokens of context.
    public static func prefill(
        _ work: TokenWork, activeParameters: Double, on d: ComputeDevice, prompt: Int, depth: Int,
        calibration: ThroughputCalibration
    ) -> Double? {
        guard d.fp16TFLOPS > 0 else { return nil }
        let t = calibration.terms(d)
        let flops = work.prefillFLOPs(
            averageDepth: Double(depth) + Double(prompt) / 2, activeParameters: activeParameters)
        let dense = work.quantized ? (t.prefillEfficiencyQuantized ?? t.prefillEfficiency) : t.prefillEfficiency
        let eff = work.architecture.moe != nil ? (t.prefillEfficiencyMoE ?? dense) : dense
        return eff * d.fp16TFLOPS * 1e12 / flops
    }

    /// Several GPUs splitting the layers (llama.cpp's default `-sm layer`): a token passes through
    /// them one after the other, so each one's share of the bytes goes at its own bandwidth and
    /// the times add up; prefill likewise with each one's FLOPs. `parts` are (device, share of the
    /// layers' bytes); shares sum to 1. Identical cards give the one-device answer.
    public static func split(
        _ work: TokenWork, activeParameters: Double, parts: [(device: ComputeDevice, share: Double)], decodeDepth: Int,
        prefillPrompt: Int, prefillDepth: Int, calibration: ThroughputCalibration
    ) -> (decode: Double?, prefill: Double?) {
        guard !parts.isEmpty, parts.allSatisfy({ $0.device.bandwidthGBs > 0 && $0.device.fp16TFLOPS > 0 }) else {
            return (nil, nil)
        }
        let bytes = work.activeWeightBytes + work.kvBytesRead(depth: decodeDepth)
        var decodeSeconds = 0.0
        var prefillSeconds = 0.0
        for (d, share) in parts {
            let t = calibration.terms(d)
            decodeSeconds +=
                bytes * share / (t.decodeEfficiency * d.bandwidthGBs * 1e9)
                + t.decodeLatencyPerLayerUs * 1e-6 * Double(work.architecture.layers) * share
            guard
                let p = prefill(
                    work, activeParameters: activeParameters, on: d, prompt: prefillPrompt, depth: prefillDepth,
                    calibration: calibration)
            else { return (nil, nil) }
            prefillSeconds += share / p
        }
        return (decodeSeconds > 0 ? 1 / decodeSeconds : nil, prefillSeconds > 0 ? 1 / prefillSeconds : nil)
    }

    /// The physical ceilings: no decode faster than peak bandwidth allows, no prefill beyond peak FLOPs.
    public static func decodeCeiling(_ work: TokenWork, on d: ComputeDevice, depth: Int) -> Double {
        d.bandwidthGBs * 1e9 / (work.activeWeightBytes + work.kvBytesRead(depth: depth))
    }

    /// Decode tokens/s with part of the model in RAM: the share of bytes each side reads, at each
    /// side's bandwidth (llama.cpp runs a layer where its weights are).
    /// `kvGPUShare`: the share of the KV cache on GPUs (its layers' share), when it differs from the
    /// weights' share (`--n-cpu-moe` moves experts to RAM, never the KV cache). Nil: the same.
    public static func decodeOffloaded(
        _ work: TokenWork, gpuShare: Double, kvGPUShare: Double? = nil, gpu: ComputeDevice?, host: HostSpeed,
        depth: Int,
        calibration: ThroughputCalibration
    ) -> Double? {
        let weights = work.activeWeightBytes
        let kv = work.kvBytesRead(depth: depth)
        let kvShare = kvGPUShare ?? gpuShare
        let cpuTerms = calibration.terms(.cpu)
        var seconds =
            (weights * (1 - gpuShare) + kv * (1 - kvShare)) / (cpuTerms.decodeEfficiency * host.bandwidthGBs * 1e9)
        if gpuShare > 0 || kvShare > 0 {
            guard let gpu, gpu.bandwidthGBs > 0 else { return nil }
            let t = calibration.terms(gpu)
            seconds +=
                (weights * gpuShare + kv * kvShare) / (t.decodeEfficiency * gpu.bandwidthGBs * 1e9) + t
                .decodeLatencyPerLayerUs * 1e-6 * Double(work.architecture.layers)
        }
        return seconds > 0 ? 1 / seconds : nil
    }

    /// Prefill tokens/s with part of the model in RAM. With a GPU, llama.cpp computes every layer
    /// there: a batch of `batch` prompt tokens (the ubatch) offloads each matrix multiply of
    /// RAM-resident weights to the GPU, copying the whole tensor over PCIe, so `streamedBytes` (every
    /// byte in RAM that a layer multiplies by, all routed experts included: a 512-token batch
    /// touches nearly all of them) crosses once per batch. Without one, the CPU computes at its own FLOPs.
    public static func prefillOffloaded(
        _ work: TokenWork, activeParameters: Double, gpuShare: Double, streamedBytes: Double, batch: Int,
        gpu: ComputeDevice?, host: HostSpeed, prompt: Int, depth: Int,
        calibration: ThroughputCalibration
    ) -> Double? {
        let flops = work.prefillFLOPs(
            averageDepth: Double(depth) + Double(prompt) / 2, activeParameters: activeParameters)
        guard let gpu, gpu.fp16TFLOPS > 0, gpuShare > 0 else {
            return host.gflops > 0 ? host.gflops * 1e9 / flops : nil
        }
        guard
            let onGPU = prefill(
                work, activeParameters: activeParameters, on: gpu, prompt: prompt, depth: depth,
                calibration: calibration)
        else { return nil }
        let streamed = streamedBytes / (HostSpeed.pcieGBs * 1e9) / Double(max(1, batch))
        return 1 / (1 / onGPU + streamed)
    }
}

/// The host's memory bandwidth and achievable compute: measured by `fit bench hardware`, else assumed.
public struct HostSpeed: Sendable, Equatable, Codable {
    public var bandwidthGBs: Double
    /// Sustained GFLOP/s llama.cpp reaches on the CPU's cores (prefill).
    public var gflops: Double
    public var measured: Bool
    public init(bandwidthGBs: Double, gflops: Double, measured: Bool) {
        self.bandwidthGBs = bandwidthGBs
        self.gflops = gflops
        self.measured = measured
    }

    /// PCIe 4.0 x16, achieved.
    public static let pcieGBs = 25.0
    /// Unmeasured: dual-channel DDR5 (~60 GB/s of a 90 GB/s peak) and ~30 GFLOP/s per physical core
    /// (AVX2 FMA at ~25% of peak in llama.cpp's CPU matmuls). `fit bench hardware` replaces both.
    public static func assumed(physicalCores: Int?) -> HostSpeed {
        HostSpeed(bandwidthGBs: 60, gflops: 30 * Double(max(1, physicalCores ?? 4)), measured: false)
    }
}
