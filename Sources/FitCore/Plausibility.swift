/// Plausible ranges for what a model file, a config.json or a catalog entry says about a model.
///
/// Every source of an architecture (GGUF metadata, config.json, the catalog, models imported into
/// the user database) is checked against these ranges where it enters, so the planner's arithmetic
/// cannot overflow: with every field in range, a model has at most about 2^62 parameter elements
/// counted in `Int64`, and the two derived bounds below keep weights and the KV cache far below
/// `Int64.max` bytes even at 16M tokens of context and 256 parallel sequences. The ranges are wide:
/// several times the largest model published by December 2026 (DeepSeek V3 and Kimi K2: 61 layers,
/// hidden 7168, 384 experts; Llama 3.1 405B: hidden 16384, FFN 53248; Gemma 3: vocabulary 262,208;
/// Llama 4 Scout: 10M tokens of context).
public struct ArchitectureProblem: Sendable, Equatable, CustomStringConvertible {
    /// The architecture field, as the catalog spells it (`layers`, `moe.activeExperts`).
    public var field: String
    public var value: Int64
    public var range: ClosedRange<Int64>
    /// What the range bounds, when it is not the field itself ("parameters", "KV cache elements per token").
    public var what: String?

    public var description: String { described(as: what ?? field) }

    /// The sentence with the field named as its source names it (`qwen3.block_count`, `num_hidden_layers`).
    public func described(as name: String) -> String { "\(name) \(predicate)" }

    /// "is 4,611,686,018,427,387,904; fit plans 1 to 131,072"
    public var predicate: String {
        "is \(NumberText.grouped(value)); fit plans \(NumberText.grouped(range.lowerBound)) to \(NumberText.grouped(range.upperBound))"
    }
}

extension NumberText {
    static func grouped(_ n: Int64) -> String { grouped(Int(n)) }
}

extension ModelArchitecture {
    public enum Limits {
        public static let layers: ClosedRange<Int64> = 1...1024
        public static let width: ClosedRange<Int64> = 1...131_072  // hidden size, low-rank widths
        public static let heads: ClosedRange<Int64> = 1...4096
        public static let headDim: ClosedRange<Int64> = 1...8192
        public static let ffn: ClosedRange<Int64> = 0...1_048_576
        public static let vocab: ClosedRange<Int64> = 1...16_777_216
        /// The same bound as `--ctx`.
        public static let context: ClosedRange<Int64> = 1...16_777_216
        public static let experts: ClosedRange<Int64> = 1...8192
        /// 2^45: 35 trillion, 17 times Kimi K2.
        public static let parameters: ClosedRange<Int64> = 1...(Int64(1) << 45)
        /// K and V elements of one token over all layers, 2^24: 16 times an 80-layer model
        /// without grouped-query attention.
        public static let kvPerToken: ClosedRange<Int64> = 0...(Int64(1) << 24)
    }

    /// What is out of range, first problem first; empty for a plausible architecture.
    public var problems: [ArchitectureProblem] {
        var out: [ArchitectureProblem] = []
        func check(_ field: String, _ value: Int?, _ range: ClosedRange<Int64>) {
            guard let value, !range.contains(Int64(value)) else { return }
            out.append(ArchitectureProblem(field: field, value: Int64(value), range: range))
        }
        check("layers", layers, Limits.layers)
        check("hiddenSize", hiddenSize, Limits.width)
        check("heads", heads, Limits.heads)
        check("kvHeads", kvHeads, Limits.heads)
        check("headDim", headDim, Limits.headDim)
        check("valueHeadDim", valueHeadDim, Limits.headDim)
        check("ffnSize", ffnSize, Limits.ffn)
        check("vocabSize", vocabSize, Limits.vocab)
        check("contextLength", contextLength, Limits.context)
        check("mtpLayers", mtpLayers, 0...64)
        if let s = slidingWindow {
            check("slidingWindow.window", s.window, Limits.context)
            check("slidingWindow.globalEvery", s.globalEvery, Limits.layers)
            check("slidingWindow.globalKvHeads", s.globalKvHeads, Limits.heads)
            check("slidingWindow.globalHeadDim", s.globalHeadDim, Limits.headDim)
        }
        if let m = moe {
            check("moe.experts", m.experts, Limits.experts)
            check("moe.activeExperts", m.activeExperts, 1...Int64(max(1, min(m.experts, 8192))))
            check("moe.expertFfnSize", m.expertFfnSize, 1...Limits.ffn.upperBound)
            check("moe.sharedExperts", m.sharedExperts, 0...256)
            check("moe.sharedExpertFfnSize", m.sharedExpertFfnSize, Limits.ffn)
            check("moe.leadingDenseLayers", m.leadingDenseLayers, 0...Int64(max(0, min(layers, 1024))))
        }
        if let m = mla {
            check("mla.qLoraRank", m.qLoraRank, 0...Limits.width.upperBound)
            check("mla.kvLoraRank", m.kvLoraRank, Limits.width)
            check("mla.qkNopeHeadDim", m.qkNopeHeadDim, 0...Limits.headDim.upperBound)
            check("mla.qkRopeHeadDim", m.qkRopeHeadDim, 0...Limits.headDim.upperBound)
            check("mla.vHeadDim", m.vHeadDim, Limits.headDim)
        }
        if let l = linearAttention {
            check("linearAttention.fullAttentionEvery", l.fullAttentionEvery, Limits.layers)
            check("linearAttention.keyHeads", l.keyHeads, 0...Limits.heads.upperBound)
            check("linearAttention.valueHeads", l.valueHeads, 0...Limits.heads.upperBound)
            check("linearAttention.keyHeadDim", l.keyHeadDim, 0...Limits.headDim.upperBound)
            check("linearAttention.valueHeadDim", l.valueHeadDim, 0...Limits.headDim.upperBound)
            check("linearAttention.convKernel", l.convKernel, 1...64)
        }
        guard out.isEmpty else { return out }
        // Every field in range: the products below cannot overflow Int64.
        let params = parameterCount
        if !Limits.parameters.contains(params) {
            out.append(
                ArchitectureProblem(field: "layers", value: params, range: Limits.parameters, what: "parameters"))
        }
        let kv = kvElementsPerToken
        if !Limits.kvPerToken.contains(kv) {
            out.append(
                ArchitectureProblem(
                    field: "kvHeads", value: kv, range: Limits.kvPerToken, what: "KV cache elements per token"))
        }
        return out
    }

    /// K and V elements one token adds to the cache over all attention layers (an upper bound for
    /// latent attention, whose cache is smaller).
    var kvElementsPerToken: Int64 {
        (0..<layers).reduce(Int64(0)) { sum, i in
            guard kind(ofLayer: i) != .linear else { return sum }
            return sum + Int64(kvHeads(layer: i)) * Int64(headDim(layer: i) + vHeadDim(layer: i))
        }
    }
}

extension MachineDescription {
    /// The ranges a machine file (`--machine`, a fleet report) is held to where it enters: one
    /// machine, not a cluster, so every sum over its GPUs and nodes stays in range.
    public enum Limits {
        public static let gpus = 0...256
        public static let gpuMemory: ClosedRange<Int64> = 0...(Int64(1) << 41)  // 2 TiB
        public static let ram: ClosedRange<Int64> = 0...(Int64(1) << 46)  // 64 TiB
        public static let cores = 1...65_536
        public static let numaNodes = 0...1024
    }

    /// What is out of range, as "field: value is outside the range" sentences; empty when plausible.
    public var problems: [String] {
        var out: [String] = []
        func bytes(_ name: String, _ fact: Fact<ByteCount>?, _ range: ClosedRange<Int64>) {
            guard let b = fact?.value?.bytes, !range.contains(b) else { return }
            out.append("\(name) is \(NumberText.grouped(b)) bytes; fit reads 0 to \(ByteCount(range.upperBound))")
        }
        func count(_ name: String, _ value: Int?, _ range: ClosedRange<Int>) {
            guard let value, !range.contains(value) else { return }
            out.append(
                "\(name) is \(NumberText.grouped(value)); fit reads \(NumberText.grouped(range.lowerBound)) to \(NumberText.grouped(range.upperBound))"
            )
        }
        count("gpus (their count)", gpus.count, Limits.gpus)
        guard out.isEmpty else { return out }
        for (i, g) in gpus.enumerated() {
            bytes("gpus.\(i).memoryTotal", g.memoryTotal, Limits.gpuMemory)
            bytes("gpus.\(i).memoryFree", g.memoryFree, Limits.gpuMemory)
            bytes("gpus.\(i).sharedMemoryLimit", g.sharedMemoryLimit, Limits.ram)
            count("gpus.\(i).gpuCores", g.gpuCores?.value, 1...1_000_000)
            count("gpus.\(i).memoryClockMHz", g.memoryClockMHz?.value, 1...100_000)
            if let bw = g.memoryBandwidthGBs?.value, !(bw > 0 && bw <= 1_000_000) {
                out.append("gpus.\(i).memoryBandwidthGBs is \(bw); fit reads more than 0 to 1,000,000 GB/s")
            }
            for (j, mig) in (g.migInstances ?? []).enumerated() {
                bytes("gpus.\(i).migInstances.\(j).memory", mig.memory, Limits.gpuMemory)
            }
        }
        bytes("memory.total", memory.total, Limits.ram)
        bytes("memory.available", memory.available, Limits.ram)
        bytes("memory.swapTotal", memory.swapTotal, Limits.ram)
        bytes("memory.containerLimit", memory.containerLimit, Limits.ram)
        bytes("memory.containerUsage", memory.containerUsage, Limits.ram)
        count("memory.numaNodes (their count)", memory.numaNodes.value?.count, Limits.numaNodes)
        for (i, n) in (memory.numaNodes.value ?? []).prefix(Limits.numaNodes.upperBound).enumerated() {
            if let b = n.memoryTotal?.bytes, !Limits.ram.contains(b) {
                out.append("memory.numaNodes.\(i).memoryTotal is \(NumberText.grouped(b)) bytes; fit reads 0 to 64 TiB")
            }
            if let b = n.memoryFree?.bytes, !Limits.ram.contains(b) {
                out.append("memory.numaNodes.\(i).memoryFree is \(NumberText.grouped(b)) bytes; fit reads 0 to 64 TiB")
            }
        }
        if let d = memory.dimms?.value {
            count("memory.dimms.modules", d.modules, 0...4096)
            count("memory.dimms.channels", d.channels, 0...1024)
            count("memory.dimms.speedMTs", d.speedMTs, 0...100_000)
            count("memory.dimms.dataWidthBits", d.dataWidthBits, 0...1024)
        }
        count("cpu.physicalCores", cpu.physicalCores.value, Limits.cores)
        count("cpu.logicalCores", cpu.logicalCores.value, Limits.cores)
        count("cpu.sockets", cpu.sockets.value, 1...64)
        return out
    }
}

extension MachineReport {
    /// What a fleet refuses in a report from someone else's machine: an empty id, sizes no
    /// machine has, contexts `--ctx` would refuse.
    public var problems: [String] {
        var out: [String] = []
        let ram = MachineDescription.Limits.ram
        let vram = MachineDescription.Limits.gpuMemory
        if machine.id.trimmed.isEmpty { out.append("machine.id is empty") }
        if machine.id.count > 256 { out.append("machine.id is \(machine.id.count) characters; fit reads up to 256") }
        for (name, v) in [
            ("machine.ramBytes", machine.ramBytes), ("machine.usableRAMBytes", Optional(machine.usableRAMBytes)),
            ("machine.containerLimitBytes", machine.containerLimitBytes),
        ] {
            if let v, !ram.contains(v) { out.append("\(name) is \(NumberText.grouped(v)); fit reads 0 to 64 TiB") }
        }
        if !MachineDescription.Limits.gpus.contains(machine.gpus.count) {
            out.append("machine.gpus has \(machine.gpus.count) entries; fit reads up to 256")
        }
        for (i, g) in machine.gpus.prefix(256).enumerated() {
            for (name, v) in [("memoryBytes", g.memoryBytes), ("usableBytes", Optional(g.usableBytes))] {
                if let v, !vram.contains(v) {
                    out.append("machine.gpus.\(i).\(name) is \(NumberText.grouped(v)); fit reads 0 to 2 TiB")
                }
            }
        }
        for c in contexts where !ModelArchitecture.Limits.context.contains(Int64(c)) {
            out.append("contexts holds \(NumberText.grouped(c)); fit plans 1 to 16,777,216 tokens")
            break
        }
        return out
    }
}
