/// The memory model: what llama.cpp will allocate for a model at a context, per device, and the
/// verdict. Each formula cites the llama.cpp code it follows; DECISIONS.md has the choices.

public struct PlanOptions: Sendable, Equatable, Codable {
    public var context: TokenCount
    public var kvType: KVCacheType
    public var flashAttention: Bool
    /// Micro-batch (`-ub`), llama.cpp default 512.
    public var ubatch: Int
    /// Parallel sequences (`-np`); each gets the full context here.
    public var slots: Int
    /// `--swa-full`: sliding-window layers keep the whole context.
    public var swaFull: Bool
    /// `--n-cpu-moe N` / `--cpu-moe`: where the routed experts live.
    public var experts: ExpertPlacement = .withLayers
    /// Layers whose routed experts stay in RAM (`Int.max` for all).
    public var cpuMoELayers: Int { experts.layersInRAM }
    /// The slots share one KV cache of `context` cells (llama-server's default `--kv-unified`),
    /// instead of each holding its own `context`.
    public var unifiedKV: Bool = false
    /// The runtime cannot offload to the CPU (vLLM): anything short of a full GPU fit does not fit.
    public var gpuOnly: Bool = false

    public init(
        context: TokenCount, kvType: KVCacheType = .f16, flashAttention: Bool = true,
        ubatch: Int = 512, slots: Int = 1, swaFull: Bool = false
    ) {
        self.context = context
        self.kvType = kvType
        self.flashAttention = flashAttention
        self.ubatch = ubatch
        self.slots = slots
        self.swaFull = swaFull
    }

    public func with(context: TokenCount) -> PlanOptions {
        var o = self
        o.context = context
        return o
    }
}

/// Where memory goes, in bytes.
public struct MemoryBreakdown: Sendable, Equatable, Codable {
    public var weightsBytes: Int64 = 0
    public var kvCacheBytes: Int64 = 0
    /// Fixed per-sequence state of recurrent / linear-attention layers.
    public var recurrentStateBytes: Int64 = 0
    public var computeBytes: Int64 = 0
    public var outputBytes: Int64 = 0
    public var overheadBytes: Int64 = 0
    public var totalBytes: Int64 {
        weightsBytes + kvCacheBytes + recurrentStateBytes + computeBytes + outputBytes + overheadBytes
    }

    public init() {}

    static func + (a: MemoryBreakdown, b: MemoryBreakdown) -> MemoryBreakdown {
        var r = MemoryBreakdown()
        r.weightsBytes = a.weightsBytes + b.weightsBytes
        r.kvCacheBytes = a.kvCacheBytes + b.kvCacheBytes
        r.recurrentStateBytes = a.recurrentStateBytes + b.recurrentStateBytes
        r.computeBytes = a.computeBytes + b.computeBytes
        r.outputBytes = a.outputBytes + b.outputBytes
        r.overheadBytes = a.overheadBytes + b.overheadBytes
        return r
    }

    enum CodingKeys: String, CodingKey {
        case weightsBytes, kvCacheBytes, recurrentStateBytes, computeBytes, outputBytes, overheadBytes, totalBytes
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weightsBytes, forKey: .weightsBytes)
        try c.encode(kvCacheBytes, forKey: .kvCacheBytes)
        try c.encode(recurrentStateBytes, forKey: .recurrentStateBytes)
        try c.encode(computeBytes, forKey: .computeBytes)
        try c.encode(outputBytes, forKey: .outputBytes)
        try c.encode(overheadBytes, forKey: .overheadBytes)
        try c.encode(totalBytes, forKey: .totalBytes)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weightsBytes = try c.decode(Int64.self, forKey: .weightsBytes)
        kvCacheBytes = try c.decode(Int64.self, forKey: .kvCacheBytes)
        recurrentStateBytes = try c.decodeIfPresent(Int64.self, forKey: .recurrentStateBytes) ?? 0
        computeBytes = try c.decode(Int64.self, forKey: .computeBytes)
        outputBytes = try c.decode(Int64.self, forKey: .outputBytes)
        overheadBytes = try c.decode(Int64.self, forKey: .overheadBytes)
    }
}

/// The answer for one model, quant and context.
public enum Verdict: String, Codable, Sendable, Comparable, CaseIterable {
    case gpu = "fits-on-gpu"
    case partial = "partial-offload"
    case ram = "ram-only"
    case none = "does-not-fit"

    public var label: String {
        switch self {
        case .gpu: "fits on GPU"
        case .partial: "partial offload"
        case .ram: "fits in RAM only"
        case .none: "does not fit"
        }
    }
    /// Better answers first.
    var rank: Int {
        switch self {
        case .gpu: 0
        case .partial: 1
        case .ram: 2
        case .none: 3
        }
    }
    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
    /// The verdict the largest-context search keeps: this one, or for a build that does not fit,
    /// any fit at all (how far the context must shrink for it to fit).
    public var searchFloor: Verdict { self == .none ? .ram : self }
}

/// A memory pool a device draws from; a unified-memory GPU shares the host's.
public struct PlanDevice: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case host
        case gpu(index: Int)
    }
    public var id: String
    public var name: String
    public var kind: Kind
    public var backend: Backend
    /// Memory this device may fill (for GPUs: free memory less llama.cpp's 1 GiB margin).
    public var capacity: ByteCount
    /// True when the device's memory is the host's RAM (planned against one shared pool).
    public var sharesHostMemory: Bool
    /// Memory of its own outside the host pool (an APU's VRAM carve-out); the rest comes from RAM.
    public var privateCapacity: ByteCount

    public init(
        id: String, name: String, kind: Kind, backend: Backend, capacity: ByteCount, sharesHostMemory: Bool,
        privateCapacity: ByteCount = .zero
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.backend = backend
        self.capacity = capacity
        self.sharesHostMemory = sharesHostMemory
        self.privateCapacity = privateCapacity
    }

    public var isGPU: Bool { if case .gpu = kind { true } else { false } }
}

/// The devices a plan may use, derived from a machine description.
public struct PlanTarget: Sendable, Equatable {
    public var host: PlanDevice
    public var gpus: [PlanDevice]
    /// llama.cpp `--fit` keeps this much free on every GPU.
    public static let gpuMargin = ByteCount.mib(1024)

    public init(host: PlanDevice, gpus: [PlanDevice]) {
        self.host = host
        self.gpus = gpus
    }

    public init(machine m: MachineDescription) {
        let usable = m.memory.usable ?? .zero
        host = PlanDevice(
            id: "cpu", name: "CPU (RAM)", kind: .host, backend: .cpu, capacity: usable, sharesHostMemory: true)
        gpus = m.gpus.compactMap { g in
            // With MIG a process sees one instance, never the whole GPU, and CUDA cannot split a
            // model across instances: plan against the largest one.
            if let migs = g.migInstances, !migs.isEmpty {
                guard let best = migs.max(by: { ($0.memory.value ?? .zero) < ($1.memory.value ?? .zero) }),
                    let mem = best.memory.value
                else { return nil }
                return PlanDevice(
                    id: "gpu\(g.index)", name: "\(g.name.value ?? "GPU \(g.index)") MIG \(best.profile)",
                    kind: .gpu(index: g.index),
                    backend: g.backend, capacity: max(mem - Self.gpuMargin, .zero), sharesHostMemory: false)
            }
            if g.unifiedMemory {
                // An APU: its VRAM carve-out (not in MemTotal) plus what GTT lets it map of RAM.
                let carveOut = g.sharedMemoryLimit?.value == nil ? ByteCount.zero : (g.memoryTotal.value ?? .zero)
                let mappable = g.sharedMemoryLimit?.value.map { min($0, usable) } ?? usable
                return PlanDevice(
                    id: "gpu\(g.index)", name: g.name.value ?? "GPU \(g.index)", kind: .gpu(index: g.index),
                    backend: g.backend, capacity: carveOut + mappable, sharesHostMemory: true, privateCapacity: carveOut
                )
            }
            guard let mem = g.memoryFree.value ?? g.memoryTotal.value else { return nil }
            return PlanDevice(
                id: "gpu\(g.index)", name: g.name.value ?? "GPU \(g.index)", kind: .gpu(index: g.index),
                backend: g.backend, capacity: max(mem - Self.gpuMargin, .zero), sharesHostMemory: false)
        }
    }
}

/// What one device holds under a plan.
public struct DevicePlan: Sendable, Equatable, Codable {
    public var id: String
    /// The host or a GPU by its index (`id` is its printed name: "cpu", "gpu0").
    public var kind: PlanDevice.Kind = .host
    public var name: String
    public var backend: Backend
    public var capacityBytes: Int64
    public var memory: MemoryBreakdown
    /// Repeating layers placed here, as a half-open range of layer indices.
    public var firstLayer: Int
    public var layerCount: Int
    public var holdsOutputLayer: Bool
    /// Draws on host RAM (the host itself, or a unified-memory GPU).
    public var sharesHostMemory: Bool
    public var fits: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, backend, capacityBytes, memory, firstLayer, layerCount, holdsOutputLayer, sharesHostMemory, fits
    }
    public var isHost: Bool { kind == .host }
}

public struct MemoryPlan: Sendable, Equatable {
    public var options: PlanOptions
    public var memory: MemoryBreakdown
    public var devices: [DevicePlan]
    /// Layers on GPUs, counting the output layer as one (llama.cpp's `-ngl`): n_layers + 1 is all.
    public var gpuLayers: Int
    public var totalLayers: Int
    public var verdict: Verdict
    public var fits: Bool { verdict != .none }
}

/// The memory calculator for one model build; reuse it across contexts.
public struct MemoryPlanner: Sendable {
    public let architecture: ModelArchitecture
    public let weights: WeightLayout
    /// Compute buffers already allocated in this run (the session's); nil allocates every time.
    public let memo: ComputeBufferMemo?

    public init(architecture: ModelArchitecture, weights: WeightLayout, memo: ComputeBufferMemo?) {
        self.architecture = architecture
        self.weights = weights
        self.memo = memo
    }

    public init(model: CatalogModel, scheme: QuantScheme, memo: ComputeBufferMemo?) {
        self.init(architecture: model.architecture, weights: model.weights(scheme), memo: memo)
    }

    // MARK: Pieces

    /// KV cells a layer holds at this context (llama.cpp pads to 256).
    public func cells(layer i: Int, _ o: PlanOptions) -> Int {
        let ctx = o.unifiedKV ? o.context.count : o.context.count * o.slots
        switch architecture.kind(ofLayer: i) {
        case .linear: return 0
        case .global: return padded(ctx, to: 256)
        case .local:
            if o.swaFull { return padded(ctx, to: 256) }
            let window = architecture.slidingWindow?.window ?? ctx
            return padded(min(ctx, window * o.slots + o.ubatch), to: 256)
        }
    }

    /// KV bytes per layer: cells x kv heads x (key dim + value dim), or MLA's compressed latent.
    public func kvBytes(layer i: Int, _ o: PlanOptions) -> Int64 {
        let cells = Int64(cells(layer: i, o))
        guard cells > 0 else { return 0 }
        let a = architecture
        if let m = a.mla {
            return cells * o.kvType.bytes(elements: Int64(m.kvLoraRank + m.qkRopeHeadDim))
        }
        let k = o.kvType.bytes(elements: Int64(a.kvHeads(layer: i) * a.headDim(layer: i)))
        // Without flash attention V is stored transposed, every layer's rows as wide as the widest
        // layer's (llama-kv-cache.cpp: n_embd_v_gqa_max when v_trans): Gemma 4's global layers.
        let vWidth = o.flashAttention ? a.kvHeads(layer: i) * a.vHeadDim(layer: i) : a.widestValueRow
        let v = o.kvType.bytes(elements: Int64(vWidth))
        return cells * (k + v)
    }

    public func recurrentBytes(layer i: Int, _ o: PlanOptions) -> Int64 {
        guard architecture.kind(ofLayer: i) == .linear, let la = architecture.linearAttention else { return 0 }
        return la.stateBytesPerLayer * Int64(o.slots)
    }

    /// The worst-case compute graph buffer (llama.cpp's worst-case graph, flash attention on or off).
    public func computeBytes(_ o: PlanOptions) -> Int64 {
        let a = architecture
        let maxCells = (0..<a.layers).map { cells(layer: $0, o) }.max() ?? 0
        let windowCells = (0..<a.layers).first { a.kind(ofLayer: $0) == .local }.map { cells(layer: $0, o) } ?? 0
        let shape = ComputeBufferMemo.Shape(
            cells: maxCells, tokens: min(o.context.count, o.ubatch), windowCells: windowCells,
            flashAttention: o.flashAttention, kvType: o.kvType)
        let graph = { LlamaGraph.build(a, o, cells: maxCells)?.allocate() }
        if let bytes = memo.map({ $0.bytes(a, shape, graph) }) ?? graph() {
            return bytes
        }
        let ub = Int64(min(o.context.count, o.ubatch))
        var base = 4 * ub * Int64(a.vocabSize + 2 * a.hiddenSize)
        let nKV = Int64(maxCells)
        // MLA attends in the compressed space: f32 [kv_lora_rank, heads, ubatch] tensors for the
        // absorbed queries and the attention output. Measured on llama.cpp b11312: without a
        // low-rank q (DeepSeek-V2-Lite) both are live at the peak; with one (DeepSeek-V3) one of
        // them and the f16 [n_kv, ubatch] mask are (412/440/536 MiB at 4k/32k/128k).
        if let m = a.mla {
            let latent = 4 * ub * Int64(a.heads) * Int64(m.kvLoraRank)
            base += m.qLoraRank > 0 ? latent + 2 * ub * nKV : 2 * latent
        }
        // A quantized KV cache under flash attention: an f32 [n_embd, ubatch] copy at the peak of
        // dense full-attention models (llama, qwen3 dense; not MoE, sliding-window or MLA ones),
        // once the f16 mask [n_kv, ubatch] is at least that large (n_kv >= 2 n_embd); below, the
        // allocator fits the copy into a freed block. Measured with llama-fit-params on b11312:
        // Llama-3.1-8B (n_embd 4096) +8 MiB from 8192 cells on, none at 4096-7168; Llama-3.2-1B
        // (n_embd 2048) +4 MiB from 4096 on, none at 1024-3072.
        if o.flashAttention, o.kvType.isQuantized, a.moe == nil, a.slidingWindow == nil, a.mla == nil,
            a.linearAttention == nil,
            nKV >= 2 * Int64(a.hiddenSize)
        {
            base += 4 * ub * Int64(a.hiddenSize)
        }
        // Gemma 4 (global layers of their own shape) under flash attention: one more f32
        // [n_embd, ubatch] tensor at the peak from 32k cells on (543.5 MiB measured on the 31B at
        // 32k and 128k against 533 for the logits and embeddings; its 4k peak is 48 MiB higher still).
        if o.flashAttention, a.slidingWindow?.globalHeadDim != nil { base += 4 * ub * Int64(a.hiddenSize) }
        // Attention sinks under flash attention (gpt-oss): one more f32 [n_embd, ubatch] tensor.
        if o.flashAttention, a.attentionSinks == true { base += 4 * ub * Int64(a.hiddenSize) }
        guard !o.flashAttention else { return base }
        let ff = Int64(max(a.ffnSize, (a.moe?.activeExperts ?? 0) * (a.moe?.expertFfnSize ?? 0)))
        let attention = 4 * ub * (nKV * Int64(a.heads + 1) + ff + 2 * Int64(a.hiddenSize))
        // Sliding-window models without flash attention keep one more [n_embd, ubatch] live (Gemma 3).
        let swa = a.slidingWindow != nil ? 4 * ub * Int64(a.hiddenSize) : 0
        return max(base, attention) + swa
    }

    /// Host-side logits buffer: n_vocab x slots x 4 bytes.
    public func outputBytes(_ o: PlanOptions) -> Int64 { Int64(architecture.vocabSize) * Int64(o.slots) * 4 }

    // MARK: Placement

    /// Per-layer costs at one context, with prefix sums so any layer range sums in O(1).
    struct LayerCosts {
        var weights: [Int64], kv: [Int64], recurrent: [Int64], experts: [Int64]
        /// Layers whose routed experts stay in RAM (`--n-cpu-moe`).
        let cpuMoE: Int
        init(_ planner: MemoryPlanner, _ o: PlanOptions) {
            let n = planner.architecture.layers
            cpuMoE = max(0, min(o.cpuMoELayers, n))
            weights = [0]
            kv = [0]
            recurrent = [0]
            experts = [0]
            weights.reserveCapacity(n + 1)
            kv.reserveCapacity(n + 1)
            recurrent.reserveCapacity(n + 1)
            for i in 0..<n {
                weights.append(weights[i] + planner.weights.perLayer[i])
                kv.append(kv[i] + planner.kvBytes(layer: i, o))
                recurrent.append(recurrent[i] + planner.recurrentBytes(layer: i, o))
                experts.append(experts[i] + planner.weights.perLayerExperts[i])
            }
        }
        /// Routed-expert bytes of layers in `r` that `--n-cpu-moe` keeps in RAM.
        func cpuExperts(_ r: Range<Int>) -> Int64 {
            let lo = min(r.lowerBound, cpuMoE)
            let hi = min(r.upperBound, cpuMoE)
            return experts[hi] - experts[lo]
        }
        /// Weights, KV and state of layers `r` into `m`.
        func add(_ r: Range<Int>, to m: inout MemoryBreakdown) {
            m.weightsBytes += weights[r.upperBound] - weights[r.lowerBound]
            m.kvCacheBytes += kv[r.upperBound] - kv[r.lowerBound]
            m.recurrentStateBytes += recurrent[r.upperBound] - recurrent[r.lowerBound]
        }
    }

    /// Plans the build at `o` on `target`: the most layers the GPUs hold, then the verdict.
    public func plan(_ o: PlanOptions, on target: PlanTarget) -> MemoryPlan {
        plan(o, on: target, compute: computeBytes(o))
    }

    /// The plan with a given compute buffer (the largest-context search bounds it from both sides).
    func plan(_ o: PlanOptions, on target: PlanTarget, compute: Int64) -> MemoryPlan {
        let n = architecture.layers
        let costs = LayerCosts(self, o)
        let output = outputBytes(o)

        // k = layers offloaded, counting the output layer as the last one (-ngl semantics).
        var chosen: (k: Int, devices: [DevicePlan])? = nil
        if !target.gpus.isEmpty {
            for k in stride(from: n + 1, through: 1, by: -1) {
                let devices = gpuPlans(k: k, target, costs, compute: compute)
                guard devices.allSatisfy(\.fits) else { continue }
                let shared = pooledBytes(devices, target)
                if shared > 0,
                    shared + hostPlan(k: k, target, costs, compute: compute, output: output).memory.totalBytes
                        > target.host.capacity.bytes
                {
                    continue
                }
                chosen = (k, devices)
                break
            }
        }
        let k = chosen?.k ?? 0
        let gpuDevices = chosen?.devices ?? []
        var host = hostPlan(k: k, target, costs, compute: compute, output: output)
        let pooled = host.memory.totalBytes + pooledBytes(gpuDevices, target)
        host.fits = pooled <= target.host.capacity.bytes

        let verdict: Verdict
        if !host.fits {
            verdict = .none
        } else if o.gpuOnly && !(k == n + 1 && costs.cpuExperts(0..<n) == 0) {
            verdict = .none
        } else if k == n + 1 && costs.cpuExperts(0..<n) == 0 {
            verdict = .gpu
        } else if k == n + 1 {
            verdict = .partial
        }  // every layer offloaded, some experts in RAM
        else if k > 0 {
            verdict = .partial
        } else {
            verdict = .ram
        }

        let all = [host] + gpuDevices
        let total = all.reduce(MemoryBreakdown()) { $0 + $1.memory }
        return MemoryPlan(options: o, memory: total, devices: all, gpuLayers: k, totalLayers: n + 1, verdict: verdict)
    }

    /// What unified-memory GPUs take from the host pool: their use beyond their own carve-out.
    private func pooledBytes(_ devices: [DevicePlan], _ target: PlanTarget) -> Int64 {
        devices.filter(\.sharesHostMemory).reduce(Int64(0)) { sum, d in
            let own = target.gpus.first { $0.id == d.id }?.privateCapacity.bytes ?? 0
            return sum + max(0, d.memory.totalBytes - own)
        }
    }

    /// Splits the last `k` layers over the GPUs in proportion to their capacity (llama.cpp's default
    /// tensor split follows free memory); the last GPU also takes the output layer when k = n + 1.
    private func gpuPlans(k: Int, _ target: PlanTarget, _ costs: LayerCosts, compute: Int64) -> [DevicePlan] {
        let n = architecture.layers
        let layersOnGPU = min(k, n)
        let outputOnGPU = k == n + 1
        let totalCapacity = target.gpus.reduce(Int64(0)) { $0 + max($1.capacity.bytes, 1) }
        var start = n - layersOnGPU
        var plans: [DevicePlan] = []
        plans.reserveCapacity(target.gpus.count)
        var assigned = 0
        for (j, g) in target.gpus.enumerated() {
            let isLast = j == target.gpus.count - 1
            let share =
                isLast
                ? layersOnGPU - assigned
                : Int((Double(layersOnGPU) * Double(max(g.capacity.bytes, 1)) / Double(totalCapacity)).rounded())
            let count = max(0, min(share, layersOnGPU - assigned))
            assigned += count
            var m = MemoryBreakdown()
            costs.add(start..<(start + count), to: &m)
            m.weightsBytes -= costs.cpuExperts(start..<(start + count))
            let holdsOutput = outputOnGPU && isLast
            if holdsOutput { m.weightsBytes += weights.outputLayer }
            if count > 0 || holdsOutput {
                m.computeBytes = compute
                m.overheadBytes = g.backend.overhead.bytes
            }
            plans.append(
                DevicePlan(
                    id: g.id, kind: g.kind, name: g.name, backend: g.backend, capacityBytes: g.capacity.bytes,
                    memory: m,
                    firstLayer: start, layerCount: count, holdsOutputLayer: holdsOutput,
                    sharesHostMemory: g.sharesHostMemory,
                    fits: m.totalBytes <= g.capacity.bytes))
            start += count
        }
        return plans
    }

    /// What stays in host RAM: token embeddings, layers not offloaded, the output layer unless
    /// offloaded, the logits buffer, and the CPU compute buffer when the CPU computes layers.
    private func hostPlan(k: Int, _ target: PlanTarget, _ costs: LayerCosts, compute: Int64, output: Int64)
        -> DevicePlan
    {
        let n = architecture.layers
        let cpuLayers = n - min(k, n)
        var m = MemoryBreakdown()
        costs.add(0..<cpuLayers, to: &m)
        m.weightsBytes += costs.cpuExperts(cpuLayers..<n)  // experts of offloaded layers kept in RAM
        m.weightsBytes += weights.tokenEmbedding
        let outputOnGPU = k == n + 1
        // No extra for CPU_REPACK: llama.cpp reports the repacked copies as a buffer on top of the
        // mapped file, but the mapped pages of repacked tensors are clean page cache it never reads
        // again, which the kernel reclaims. Resident memory stays about the file size.
        // Tied embeddings: the host keeps token_embd either way; an untied output matrix lives here unless offloaded.
        if !outputOnGPU && !architecture.tiedEmbeddings { m.weightsBytes += weights.outputLayer }
        m.outputBytes = output
        if !outputOnGPU { m.computeBytes = compute }
        m.overheadBytes = Backend.cpu.overhead.bytes
        return DevicePlan(
            id: target.host.id, kind: .host, name: target.host.name, backend: .cpu,
            capacityBytes: target.host.capacity.bytes,
            memory: m, firstLayer: 0, layerCount: cpuLayers, holdsOutputLayer: !outputOnGPU,
            sharesHostMemory: true, fits: true)
    }

    /// For a MoE model that does not fit on the GPUs: the fewest layers whose routed experts must
    /// stay in RAM (`--n-cpu-moe N`) so that attention, KV and everything else fit on the GPUs.
    /// Nil when the model has no experts, already fits, or does not fit even with all experts in RAM.
    public func expertOffload(_ o: PlanOptions, on target: PlanTarget) -> Int? {
        let n = architecture.layers
        guard architecture.moe != nil, !target.gpus.isEmpty, plan(o, on: target).verdict != .gpu else { return nil }
        func allOffloaded(_ cpuMoE: Int) -> Bool {
            var x = o
            x.experts = .firstLayersInRAM(cpuMoE)
            let p = plan(x, on: target)
            return p.gpuLayers == n + 1 && p.verdict != .none
        }
        guard allOffloaded(n) else { return nil }
        var lo = 0
        var hi = n  // allOffloaded(hi) holds
        while lo + 1 < hi {
            let mid = (lo + hi) / 2
            if allOffloaded(mid) { hi = mid } else { lo = mid }
        }
        return allOffloaded(lo) && lo > 0 ? lo : hi
    }

    /// Everything in host RAM (no GPU): the same sum `plan` makes for its host device.
    func hostOnlyTotal(_ o: PlanOptions) -> Int64 { hostOnlyTotal(o, compute: computeBytes(o)) }

    func hostOnlyTotal(_ o: PlanOptions, compute: Int64) -> Int64 {
        var total = weights.tokenEmbedding + (architecture.tiedEmbeddings ? 0 : weights.outputLayer)
        for i in 0..<architecture.layers {
            total += weights.perLayer[i] + kvBytes(layer: i, o) + recurrentBytes(layer: i, o)
        }
        total += compute + outputBytes(o) + Backend.cpu.overhead.bytes
        return total
    }

    // MARK: Largest context

    /// The largest context (a multiple of 256, at most the model's window) at which the verdict is
    /// at least `atLeast`. Nil when even 256 tokens do not reach it. Memory grows with context, so
    /// the verdict only worsens: a binary search is exact.
    ///
    ///
    /// Each probe allocates a compute graph (the buffer depends on the context, and not
    /// monotonically), so the search brackets the answer first without one: the buffer takes at
    /// least zero bytes, so where everything else alone does not fit, nothing does. Below that
    /// bracket, one graph gives the buffer's size near the answer and a graph-free step lands on it
    /// (or next to it); every bound that the final bisection keeps is checked with the real buffer.
    public func maxContext(_ o: PlanOptions, on target: PlanTarget, atLeast: Verdict) -> TokenCount? {
        let limit = max(architecture.contextLength, 256)
        // No GPU: the verdict is "fits in RAM" exactly when the host total fits, which needs no
        // placement search: the list runs this thousands of times.
        let hostOnly = target.gpus.isEmpty && atLeast >= .ram && !o.gpuOnly
        let capacity = target.host.capacity.bytes
        func options(_ units: Int) -> PlanOptions { o.with(context: TokenCount(min(units * 256, limit))) }
        func ok(_ units: Int, compute: Int64?) -> Bool {
            let x = options(units)
            let bytes = compute ?? computeBytes(x)
            if hostOnly { return hostOnlyTotal(x, compute: bytes) <= capacity }
            return plan(x, on: target, compute: bytes).verdict <= atLeast
        }
        /// The largest unit in lo..<hi that passes, given that lo passes and hi fails.
        func largest(from lo: Int, below hi: Int, _ passes: (Int) -> Bool) -> Int {
            var lo = lo
            var hi = hi
            while lo + 1 < hi {
                let mid = (lo + hi) / 2
                if passes(mid) { lo = mid } else { hi = mid }
            }
            return lo
        }
        let top = (limit + 255) / 256  // in units of 256 tokens (the last one is the window itself)
        guard ok(1, compute: nil) else { return nil }
        if ok(top, compute: nil) { return TokenCount(limit) }
        // Without any compute buffer: a unit that fails then fails with it too.
        var hi = largest(from: 1, below: top) { ok($0, compute: 0) } + 1
        var lo = 1
        if hostOnly, hi - 1 > 1 {
            // One step: the unit where everything else fits beside the buffer measured just below the bracket.
            let near = computeBytes(options(hi - 1))
            let guess = largest(from: 1, below: hi) { ok($0, compute: near) }
            if ok(guess, compute: nil) { lo = guess } else { hi = guess }
        }
        // Down in doubling steps until a unit passes with the real buffer, then bisect.
        var step = 1
        while lo == 1, lo < hi - 1 {
            let probe = max(lo, hi - step)
            if probe == lo { break }
            if ok(probe, compute: nil) {
                lo = probe
                break
            }
            hi = probe
            step *= 2
        }
        return TokenCount(largest(from: lo, below: hi) { ok($0, compute: nil) } * 256)
    }
}
