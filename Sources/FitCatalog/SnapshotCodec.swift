import FitCore
import Foundation

/// A compact binary form of the catalog snapshot for the cache's hot path. Foundation's
/// JSONDecoder costs about 1 µs per value on Linux (8 ms for this catalog, a sixth of `fit`'s
/// budget); these explicit reads cost a few nanoseconds each. A cache is only read by the build of
/// fit that wrote it (`CatalogLoader.formatVersion`), so a change here needs no version bump.
enum SnapshotCodec {
    static func encode(_ s: CatalogStore.Snapshot) -> [UInt8] {
        var w = Writer()
        w.array(s.models) { w, m in
            w.string(m.id)
            w.string(m.name)
            w.string(m.family)
            w.string(m.released)
            w.string(m.license)
            w.strings(m.aliases)
            w.strings(m.sources)
            w.optString(m.notes)
            w.architecture(m.architecture)
            w.array(m.quants) { w, q in
                w.string(q.scheme.rawValue)
                w.optInt(q.bytes.map(Int.init))
                w.optString(q.source)
            }
            w.array(m.builds) { w, b in
                w.string(b.format)
                w.string(b.repo)
                w.optInt(b.bytes.map(Int.init))
                w.string(b.source)
                w.optString(b.notes)
            }
        }
        w.array(s.hardware) { w, h in
            w.string(h.id)
            w.string(h.name)
            w.string(h.vendor.rawValue)
            w.double(h.memoryGB)
            w.optInt(h.nvidiaSmiMiB)
            w.string(h.memoryType)
            w.bool(h.unifiedMemory)
            w.double(h.bandwidthGBs)
            w.double(h.fp16TFLOPS)
            w.strings(h.aliases)
            w.string(h.source)
            w.optString(h.notes)
            w.optDouble(h.powerW)
            w.optInt(h.dies)
        }
        w.array(s.cloud) { w, c in
            w.string(c.id)
            w.string(c.name)
            w.string(c.provider)
            w.string(c.apiModel)
            w.optString(c.openWeights)
            w.double(c.inputPerMTok)
            w.double(c.outputPerMTok)
            w.optDouble(c.cachedInputPerMTok)
            w.optInt(c.contextWindow)
            w.optInt(c.maxOutput)
            w.string(c.priceDate)
            w.optString(c.priceDateNote)
            w.string(c.source)
            w.optString(c.notes)
        }
        w.bool(s.calibration != nil)
        if let c = s.calibration {
            func terms(_ w: inout Writer, _ t: ThroughputCalibration.Terms) {
                w.double(t.decodeEfficiency)
                w.double(t.decodeLatencyPerLayerUs)
                w.double(t.prefillEfficiency)
                w.optDouble(t.prefillEfficiencyQuantized)
                w.optDouble(t.prefillEfficiencyMoE)
                w.int(t.rows)
            }
            terms(&w, c.pooled)
            w.array(c.byBackend.sorted { $0.key < $1.key }) { w, kv in
                w.string(kv.key)
                terms(&w, kv.value)
            }
        }
        return w.bytes
    }

    struct Corrupt: Error {}

    static func decode(_ bytes: [UInt8]) throws -> CatalogStore.Snapshot {
        var r = Reader(bytes: bytes)
        let models = try r.array { r in
            let id = try r.string()
            let name = try r.string()
            let family = try r.string()
            let released = try r.string()
            let license = try r.string()
            let aliases = try r.strings()
            let sources = try r.strings()
            let notes = try r.optString()
            let a = try r.architecture()
            let quants = try r.array { r -> QuantBuild in
                guard let s = QuantScheme(rawValue: try r.string()) else { throw Corrupt() }
                return QuantBuild(scheme: s, bytes: try r.optInt().map(Int64.init), source: try r.optString())
            }
            let builds = try r.array { r -> SafetensorsBuild in
                SafetensorsBuild(
                    format: try r.string(), repo: try r.string(), bytes: try r.optInt().map(Int64.init),
                    source: try r.string(), notes: try r.optString())
            }
            return CatalogModel(
                id: id, name: name, family: family, released: released, license: license, aliases: aliases,
                sources: sources, notes: notes, architecture: a, quants: quants, builds: builds)
        }
        let hardware = try r.array { r -> HardwareSpec in
            let id = try r.string()
            let name = try r.string()
            guard let vendor = GPUVendor(rawValue: try r.string()) else { throw Corrupt() }
            var h = HardwareSpec(
                id: id, name: name, vendor: vendor, memoryGB: try r.double(), nvidiaSmiMiB: try r.optInt(),
                memoryType: try r.string(), unifiedMemory: try r.bool(), bandwidthGBs: try r.double(),
                fp16TFLOPS: try r.double(), aliases: try r.strings(), source: try r.string(), notes: try r.optString())
            h.powerW = try r.optDouble()
            h.dies = try r.optInt()
            return h
        }
        let cloud = try r.array { r in
            CloudModel(
                id: try r.string(), name: try r.string(), provider: try r.string(), apiModel: try r.string(),
                openWeights: try r.optString(), inputPerMTok: try r.double(), outputPerMTok: try r.double(),
                cachedInputPerMTok: try r.optDouble(), contextWindow: try r.optInt(), maxOutput: try r.optInt(),
                priceDate: try r.string(), priceDateNote: try r.optString(), source: try r.string(),
                notes: try r.optString())
        }
        var calibration: ThroughputCalibration?
        if try r.bool() {
            func terms(_ r: inout Reader) throws -> ThroughputCalibration.Terms {
                ThroughputCalibration.Terms(
                    decodeEfficiency: try r.double(), decodeLatencyPerLayerUs: try r.double(),
                    prefillEfficiency: try r.double(), prefillEfficiencyQuantized: try r.optDouble(),
                    prefillEfficiencyMoE: try r.optDouble(), rows: try r.int())
            }
            let pooled = try terms(&r)
            let by = try r.array { r in (try r.string(), try terms(&r)) }
            calibration = ThroughputCalibration(byBackend: Dictionary(uniqueKeysWithValues: by), pooled: pooled)
        }
        guard r.position == bytes.count else { throw Corrupt() }
        return CatalogStore.Snapshot(models: models, hardware: hardware, cloud: cloud, calibration: calibration)
    }

    struct Writer {
        var bytes: [UInt8] = []
        mutating func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func double(_ v: Double) {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
        mutating func string(_ s: String) {
            int(s.utf8.count)
            bytes.append(contentsOf: s.utf8)
        }
        mutating func strings(_ a: [String]) {
            int(a.count)
            for s in a { string(s) }
        }
        mutating func optString(_ s: String?) {
            bool(s != nil)
            if let s { string(s) }
        }
        mutating func optInt(_ v: Int?) {
            bool(v != nil)
            if let v { int(v) }
        }
        mutating func optDouble(_ v: Double?) {
            bool(v != nil)
            if let v { double(v) }
        }
        mutating func array<T>(_ a: [T], _ each: (inout Writer, T) -> Void) {
            int(a.count)
            for x in a { each(&self, x) }
        }
        mutating func architecture(_ a: ModelArchitecture) {
            for v in [a.layers, a.hiddenSize, a.heads, a.kvHeads, a.headDim, a.ffnSize, a.vocabSize, a.contextLength] {
                int(v)
            }
            optInt(a.valueHeadDim)
            bool(a.tiedEmbeddings)
            optInt(a.attentionSinks.map { $0 ? 1 : 0 })
            optInt(a.gatedFFN.map { $0 ? 1 : 0 })
            optInt(a.mtpLayers)
            bool(a.slidingWindow != nil)
            if let s = a.slidingWindow {
                int(s.window)
                int(s.globalEvery)
                optInt(s.globalKvHeads)
                optInt(s.globalHeadDim)
                optInt(s.globalSharedKV.map { $0 ? 1 : 0 })
            }
            bool(a.moe != nil)
            if let m = a.moe {
                int(m.experts)
                int(m.activeExperts)
                int(m.expertFfnSize)
                optInt(m.sharedExperts)
                optInt(m.sharedExpertFfnSize)
                optInt(m.leadingDenseLayers)
                optInt(m.routing == .sigmoid ? 1 : nil)
                optInt(m.normalizedWeights.map { $0 ? 1 : 0 })
                optDouble(m.weightsScale)
            }
            bool(a.mla != nil)
            if let m = a.mla {
                for v in [m.qLoraRank, m.kvLoraRank, m.qkNopeHeadDim, m.qkRopeHeadDim, m.vHeadDim] { int(v) }
            }
            bool(a.linearAttention != nil)
            if let l = a.linearAttention {
                for v in [l.fullAttentionEvery, l.keyHeads, l.valueHeads, l.keyHeadDim, l.valueHeadDim, l.convKernel] {
                    int(v)
                }
            }
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0
        mutating func take(_ n: Int) throws -> Int {
            guard n >= 0, position + n <= bytes.count else { throw Corrupt() }
            defer { position += n }
            return position
        }
        mutating func int() throws -> Int {
            let at = try take(8)
            return Int(
                Int64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int64.self) }))
        }
        mutating func double() throws -> Double {
            let at = try take(8)
            return Double(
                bitPattern: UInt64(
                    littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }))
        }
        mutating func bool() throws -> Bool { bytes[try take(1)] != 0 }
        mutating func string() throws -> String {
            let n = try int()
            let at = try take(n)
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }
        mutating func strings() throws -> [String] { try array { try $0.string() } }
        mutating func optString() throws -> String? { try bool() ? try string() : nil }
        mutating func optInt() throws -> Int? { try bool() ? try int() : nil }
        mutating func optDouble() throws -> Double? { try bool() ? try double() : nil }
        mutating func array<T>(_ each: (inout Reader) throws -> T) throws -> [T] {
            let n = try int()
            guard n >= 0, n <= bytes.count - position else { throw Corrupt() }
            var out: [T] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try each(&self)) }
            return out
        }
        mutating func architecture() throws -> ModelArchitecture {
            let v = try (0..<8).map { _ in try int() }
            var a = ModelArchitecture(
                layers: v[0], hiddenSize: v[1], heads: v[2], kvHeads: v[3], headDim: v[4],
                valueHeadDim: try optInt(), ffnSize: v[5], vocabSize: v[6], contextLength: v[7],
                tiedEmbeddings: try bool())
            a.attentionSinks = try optInt().map { $0 != 0 }
            a.gatedFFN = try optInt().map { $0 != 0 }
            a.mtpLayers = try optInt()
            if try bool() {
                a.slidingWindow = .init(
                    window: try int(), globalEvery: try int(), globalKvHeads: try optInt(), globalHeadDim: try optInt(),
                    globalSharedKV: try optInt().map { $0 != 0 })
            }
            if try bool() {
                a.moe = .init(
                    experts: try int(), activeExperts: try int(), expertFfnSize: try int(), sharedExperts: try optInt(),
                    sharedExpertFfnSize: try optInt(), leadingDenseLayers: try optInt())
                if try optInt() == 1 { a.moe?.routing = .sigmoid }
                a.moe?.normalizedWeights = try optInt().map { $0 != 0 }
                a.moe?.weightsScale = try optDouble()
            }
            if try bool() {
                a.mla = .init(
                    qLoraRank: try int(), kvLoraRank: try int(), qkNopeHeadDim: try int(), qkRopeHeadDim: try int(),
                    vHeadDim: try int())
            }
            if try bool() {
                a.linearAttention = .init(
                    fullAttentionEvery: try int(), keyHeads: try int(), valueHeads: try int(),
                    keyHeadDim: try int(), valueHeadDim: try int(), convKernel: try int())
            }
            return a
        }
    }
}
