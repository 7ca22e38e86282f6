import Synchronization

/// Compute buffers already allocated, owned by one run (the CLI's session) and kept between runs
/// in the cache folder: the list asks for the same model at the same context once per quant, and
/// every run asks what the last one asked (the buffer does not depend on the weights' types, and a
/// graph allocation is most of a run's time). A value computed here is the allocator's own
/// result; the stored form is keyed by a digest of the architecture and the graph's shape, and a
/// table is only reused by the same build of fit (the caller names it).
public final class ComputeBufferMemo: Sendable {
    /// What the buffer depends on besides the architecture.
    public struct Shape: Hashable, Sendable {
        public var cells: Int, tokens: Int
        /// Cells of the sliding-window cache (window x slots + ubatch), 0 without one.
        public var windowCells: Int
        public var flashAttention: Bool
        public var kvType: KVCacheType
    }
    struct Key: Hashable {
        var architecture: UInt64
        var shape: Shape
    }

    private struct State {
        var table: [Key: Int64] = [:]
        var digests: [ModelArchitecture: UInt64] = [:]
        var added = 0
        /// Keys this run asked for (what is kept when the table grows past `maxStored`).
        var used: Set<Key> = []
    }
    /// Past this many entries the stored table keeps only what this run used: contexts probed under
    /// other free-memory figures accumulate otherwise, a few dozen per run.
    static let maxStored = 20_000
    private let state = Mutex(State())
    /// Stands for "no builder covers this graph" in the table.
    static let noGraph: Int64 = -1
    /// Who may reuse the stored table: the fit build that wrote it.
    public let build: UInt64

    public init(build: UInt64) { self.build = build }

    /// The buffer for `architecture` in `shape`, allocated by `graph` when not known yet. A graph
    /// no builder covers (nil: the closed form answers it) is kept as such, so it is not tried again.
    func bytes(_ architecture: ModelArchitecture, _ shape: Shape, _ graph: () -> Int64?) -> Int64? {
        let (digest, hit) = state.withLock { s -> (UInt64, Int64?) in
            let d = s.digests[architecture] ?? Self.digest(architecture)
            s.digests[architecture] = d
            let key = Key(architecture: d, shape: shape)
            s.used.insert(key)
            return (d, s.table[key])
        }
        if let hit { return hit == Self.noGraph ? nil : hit }
        let value = graph()
        state.withLock { s in
            s.table[Key(architecture: digest, shape: shape)] = value ?? Self.noGraph
            s.added += 1
        }
        return value
    }

    /// Every field of the architecture, in a form that is the same in every process.
    static func digest(_ a: ModelArchitecture) -> UInt64 { StableDigest.of(a) }

    // MARK: Stored form

    private static let magic: UInt64 = 0x6669_745f_6362_6d31  // "fit_cbm1"
    private static let entryBytes = 8 + 4 * 3 + 2 + 8

    /// The table in its stored form (past `maxStored` entries, only those this run used), or nil
    /// when this run added nothing to what it loaded.
    public func stored() -> [UInt8]? {
        state.withLock { s -> [UInt8]? in
            guard s.added > 0 else { return nil }
            let kept = s.table.count > Self.maxStored ? s.table.filter { s.used.contains($0.key) } : s.table
            var out: [UInt8] = []
            out.reserveCapacity(24 + kept.count * Self.entryBytes)
            func put<T: FixedWidthInteger>(_ v: T) {
                withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
            }
            put(Self.magic)
            put(build)
            put(UInt64(kept.count))
            for (k, v) in kept {
                put(k.architecture)
                put(Int32(k.shape.cells))
                put(Int32(k.shape.tokens))
                put(Int32(k.shape.windowCells))
                out.append(k.shape.flashAttention ? 1 : 0)
                out.append(UInt8(KVCacheType.allCases.firstIndex(of: k.shape.kvType) ?? 0))
                put(v)
            }
            return out
        }
    }

    /// Loads a stored table written by the same build; anything else (another build, a short or
    /// damaged file, an implausible value) is ignored whole, and the buffers are allocated anew.
    public func load(_ bytes: [UInt8]) {
        var at = 0
        func get<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard at + MemoryLayout<T>.size <= bytes.count else { return nil }
            var v: T = 0
            for i in 0..<MemoryLayout<T>.size { v |= T(truncatingIfNeeded: bytes[at + i]) << (8 * i) }
            at += MemoryLayout<T>.size
            return v
        }
        guard get(UInt64.self) == Self.magic, get(UInt64.self) == build, let count = get(UInt64.self),
            count <= UInt64(bytes.count / Self.entryBytes)
        else { return }
        var table: [Key: Int64] = [:]
        table.reserveCapacity(Int(count))
        let kinds = KVCacheType.allCases
        for _ in 0..<count {
            guard let digest = get(UInt64.self), let cells = get(Int32.self), let tokens = get(Int32.self),
                let window = get(Int32.self),
                let fa = get(UInt8.self), let kv = get(UInt8.self), let value = get(Int64.self),
                cells >= 0, tokens > 0, window >= 0, fa <= 1, Int(kv) < kinds.count, value >= Self.noGraph,
                value < 1 << 50
            else { return }
            let shape = Shape(
                cells: Int(cells), tokens: Int(tokens), windowCells: Int(window), flashAttention: fa == 1,
                kvType: kinds[kinds.index(kinds.startIndex, offsetBy: Int(kv))])
            table[Key(architecture: digest, shape: shape)] = value
        }
        state.withLock { s in s.table.merge(table) { mine, _ in mine } }
    }
}
