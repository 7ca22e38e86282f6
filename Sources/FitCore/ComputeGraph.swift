/// ggml's compute graph as its graph allocator sees it, and that allocator (ggml-alloc.c) run over it.
///
/// llama.cpp sizes its compute buffer by allocating the worst-case graph once, on paper: each
/// node gets an offset from a best-fit free list, a node may take over its parent's memory
/// (in-place ops), and a tensor is freed once its last consumer has run. The buffer is the highest
/// offset ever reached, fragmentation included, which is why the size is not a sum of the tensors
/// live at any one moment and not monotone in context. `ComputeGraph` holds just what the allocator
/// reads (type, shape, strides, op, sources, views, flags); the builders in `LlamaGraph.swift`
/// follow llama.cpp's graph code op by op, and `allocate()` follows ggml-alloc.c step by step.
public struct ComputeGraph: Sendable {
    public enum Op: String, Sendable {
        case none, getRows, rmsNorm, mul, add, mulMat, mulMatId, reshape, view, permute, transpose,
            cont, rope, setRows, flashAttn, softMax, glu, unary, argsort, sumRows, div, clamp, pad, scale, addId,
            concat, cpy, ssmConv, gatedDeltaNet, `repeat`,
            // ops ggml can run in place that no builder emits yet
            fill, sqr, sqrt, log, sub
        /// ggml_op_can_inplace (ggml-alloc.c).
        var canInplace: Bool {
            switch self {
            case .fill, .scale, .add, .addId, .sub, .mul, .div, .sqr, .sqrt, .log, .unary, .rope, .rmsNorm, .clamp,
                .softMax:
                true
            default: false
            }
        }
    }

    public struct Tensor: Sendable {
        public var name: String
        public var type: GGMLType
        public var ne: (Int64, Int64, Int64, Int64)
        public var nb: (Int64, Int64, Int64, Int64)
        public var op: Op
        public var src: [Int]
        public var viewSrc: Int?
        public var input = false
        public var output = false
        /// Memory the allocator does not own: weights, the KV cache.
        public var external = false

        var nbytes: Int64 {
            let blck = Int64(type.block.elements)
            let ts = Int64(type.block.bytes)
            let n = [ne.0, ne.1, ne.2, ne.3]
            let s = [nb.0, nb.1, nb.2, nb.3]
            if n.contains(where: { $0 <= 0 }) { return 0 }
            var bytes: Int64
            if blck == 1 {
                bytes = ts
                for i in 0..<4 { bytes += (n[i] - 1) * s[i] }
            } else {
                bytes = n[0] * s[0] / blck
                for i in 1..<4 { bytes += (n[i] - 1) * s[i] }
            }
            return bytes
        }
        var elements: Int64 { ne.0 * ne.1 * ne.2 * ne.3 }
        func sameLayout(_ o: Tensor) -> Bool {
            type == o.type && ne == o.ne && nb == o.nb
        }
    }

    public private(set) var tensors: [Tensor] = []
    /// Keep names (for traces); off, names stay empty and building is several times faster.
    public var named = false
    public private(set) var nodes: [Int] = []
    public private(set) var leafs: [Int] = []
    private var visited: [Bool] = []

    public init() { tensors.reserveCapacity(512) }

    public subscript(_ t: Int) -> Tensor { tensors[t] }

    // MARK: Tensors

    static func rowSize(_ type: GGMLType, _ n: Int64) -> Int64 {
        let b = type.block
        return Int64(b.bytes) * n / Int64(b.elements)
    }

    private mutating func make(
        _ name: String, _ type: GGMLType, _ ne: [Int64], op: Op, src: [Int], viewOf: Int? = nil,
        nb: [Int64]? = nil
    ) -> Int {
        var n = ne + Array(repeating: Int64(1), count: 4 - ne.count)
        var s: [Int64]
        if let nb {
            s = nb
        } else {
            s = [Int64(type.block.bytes), 0, 0, 0]
            s[1] = s[0] * (n[0] / Int64(type.block.elements))
            for i in 2..<4 { s[i] = s[i - 1] * n[i - 1] }
        }
        n = Array(n.prefix(4))
        tensors.append(
            Tensor(
                name: name, type: type, ne: (n[0], n[1], n[2], n[3]), nb: (s[0], s[1], s[2], s[3]),
                op: op, src: src, viewSrc: viewOf))
        return tensors.count - 1
    }

    /// A tensor with memory of its own that the graph does not compute (a weight, the KV cache).
    public mutating func external(_ name: @autoclosure () -> String, _ type: GGMLType, _ ne: [Int64]) -> Int {
        let t = make(named ? name() : "", type, ne, op: .none, src: [])
        tensors[t].external = true
        return t
    }

    /// A graph input (tokens, positions, masks): allocated by the allocator before any node.
    public mutating func input(_ name: String, _ type: GGMLType, _ ne: [Int64]) -> Int {
        let t = make(name, type, ne, op: .none, src: [])
        tensors[t].input = true
        return t
    }

    public mutating func setOutput(_ t: Int) { tensors[t].output = true }
    /// Turns a view into an op that writes through it (ggml_set_rows, ggml_cpy).
    public mutating func retarget(_ t: Int, op: Op, src: [Int]) -> Int {
        tensors[t].op = op
        tensors[t].src = src
        return t
    }

    /// A new tensor computed by `op` from `src`.
    public mutating func op(
        _ op: Op, _ type: GGMLType, _ ne: [Int64], _ src: [Int], name: @autoclosure () -> String = ""
    ) -> Int {
        make(named ? name() : "", type, ne, op: op, src: src)
    }

    private func dims(_ t: Int) -> [Int64] {
        let x = tensors[t].ne
        return [x.0, x.1, x.2, x.3]
    }
    private func strides(_ t: Int) -> [Int64] {
        let x = tensors[t].nb
        return [x.0, x.1, x.2, x.3]
    }
    public func ne(_ t: Int, _ i: Int) -> Int64 { dims(t)[i] }
    public func nb(_ t: Int, _ i: Int) -> Int64 { strides(t)[i] }
    public func type(_ t: Int) -> GGMLType { tensors[t].type }
    public func isContiguous(_ t: Int) -> Bool {
        let n = dims(t)
        let s = strides(t)
        let ty = tensors[t].type
        var next = Int64(ty.block.bytes)
        if s[0] != next { return false }
        next = Self.rowSize(ty, n[0])
        for i in 1..<4 {
            if n[i] != 1 && s[i] != next { return false }
            next *= n[i]
        }
        return true
    }

    // MARK: Views (no memory of their own)

    private func viewBase(_ t: Int) -> Int { tensors[t].viewSrc ?? t }

    /// ggml_view_Nd: `nb` gives strides 1..N-1; the ones past N follow from the last.
    public mutating func view(_ a: Int, _ ne: [Int64], nb given: [Int64] = [], name: @autoclosure () -> String = "")
        -> Int
    {
        let n = ne + Array(repeating: Int64(1), count: 4 - ne.count)
        var s: [Int64] = [Int64(type(a).block.bytes), Self.rowSize(type(a), n[0]), 0, 0]
        for (i, v) in given.enumerated() { s[i + 1] = v }
        for i in (given.count + 1)..<4 where i >= 2 { s[i] = s[i - 1] * n[i - 1] }
        let label =
            named
            ? {
                let n = name()
                return n.isEmpty ? tensors[a].name + " (view)" : n
            }() : ""
        return make(label, type(a), n, op: .view, src: [a], viewOf: viewBase(a), nb: s)
    }

    public mutating func reshape(_ a: Int, _ ne: [Int64], name: @autoclosure () -> String = "") -> Int {
        let label =
            named
            ? {
                let n = name()
                return n.isEmpty ? tensors[a].name + " (reshaped)" : n
            }() : ""
        return make(label, type(a), ne, op: .reshape, src: [a], viewOf: viewBase(a))
    }

    public mutating func permute(_ a: Int, _ axes: (Int, Int, Int, Int)) -> Int {
        let n = dims(a)
        let s = strides(a)
        var nn = n
        var ss = s
        let ax = [axes.0, axes.1, axes.2, axes.3]
        for i in 0..<4 {
            nn[ax[i]] = n[i]
            ss[ax[i]] = s[i]
        }
        return make(
            named ? tensors[a].name + " (permuted)" : "", type(a), nn, op: .permute, src: [a], viewOf: viewBase(a),
            nb: ss)
    }

    public mutating func transpose(_ a: Int) -> Int {
        let n = dims(a)
        let s = strides(a)
        return make(
            named ? tensors[a].name + " (transposed)" : "", type(a), [n[1], n[0], n[2], n[3]], op: .transpose, src: [a],
            viewOf: viewBase(a), nb: [s[1], s[0], s[2], s[3]])
    }

    // MARK: Graph order (ggml_visit_parents, left to right)

    public mutating func expand(_ t: Int) {
        visit(t)
    }

    private mutating func visit(_ t: Int) {
        if visited.count < tensors.count { visited += Array(repeating: false, count: tensors.count - visited.count) }
        guard !visited[t] else { return }
        visited[t] = true
        for s in tensors[t].src { visit(s) }
        if tensors[t].op == .none {
            leafs.append(t)
        } else {
            if named, tensors[t].name.isEmpty { tensors[t].name = "node_\(nodes.count)" }
            nodes.append(t)
        }
    }

    // MARK: The allocator

    /// One step of the allocator, for comparing with ggml-alloc's debug log.
    public enum Event: Sendable, Equatable {
        case alloc(String, Int64, at: Int64)
        case free(String, Int64, at: Int64)
        case reuse(parent: String, node: String)
    }

    /// The buffer size ggml-alloc reserves for this graph (`alignment`: the backend buffer's).
    public func allocate(alignment: Int64 = 32, trace: ((Event) -> Void)? = nil) -> Int64 {
        var tallocr = DynamicAllocator(alignment: alignment)
        let n = tensors.count
        var children = [Int](repeating: 0, count: n)
        var views = [Int](repeating: 0, count: n)
        var allocated = [Bool](repeating: false, count: n)
        var offset = [Int64](repeating: 0, count: n)

        func size(_ t: Int) -> Int64 { tensors[t].nbytes }
        func isView(_ t: Int) -> Bool { tensors[t].viewSrc != nil }

        func allocateNode(_ t: Int) {
            let node = tensors[t]
            guard !allocated[t], !node.external, !isView(t) else { return }
            allocated[t] = true
            if node.op.canInplace {
                for p in node.src {
                    guard allocated[p] else { continue }  // external or a view
                    let parent = tensors[p]
                    if parent.output { continue }
                    guard node.sameLayout(parent) else { continue }
                    if children[p] == 1 && views[p] == 0 {
                        trace?(.reuse(parent: parent.name, node: node.name))
                        offset[t] = offset[p]
                        allocated[p] = false
                        let ps = align(size(p), alignment)
                        let ns = align(size(t), alignment)
                        if ps > ns { tallocr.free(offset[p] + ns, ps - ns) }
                        return
                    }
                }
            }
            offset[t] = tallocr.alloc(size(t))
            trace?(.alloc(node.name, align(size(t), alignment), at: offset[t]))
        }
        func freeNode(_ t: Int) {
            if tensors[t].output { return }
            trace?(.free(tensors[t].name, align(size(t), alignment), at: offset[t]))
            tallocr.free(offset[t], size(t))
            allocated[t] = false
        }

        for l in leafs where tensors[l].input { allocateNode(l) }
        for t in nodes {
            if let v = tensors[t].viewSrc, tensors[t].op != .none { views[v] += 1 }
            if tensors[t].input { allocateNode(t) }
            for s in tensors[t].src {
                children[s] += 1
                if tensors[s].input { allocateNode(s) }
            }
        }
        for t in nodes {
            for p in tensors[t].src { allocateNode(p) }
            allocateNode(t)
            for p in tensors[t].src {
                children[p] -= 1
                guard children[p] == 0, views[p] == 0 else { continue }
                if let v = tensors[p].viewSrc {
                    views[v] -= 1
                    if views[v] == 0, children[v] == 0, allocated[v] { freeNode(v) }
                } else if allocated[p] {
                    freeNode(p)
                }
            }
        }
        return tallocr.maxSize
    }
}

private func align(_ x: Int64, _ a: Int64) -> Int64 { (x + a - 1) / a * a }

/// ggml_dyn_tallocr with one chunk (a CPU or GPU buffer without a size limit): a free list sorted
/// by offset whose last block is the open end of the buffer.
struct DynamicAllocator {
    let alignment: Int64
    private var blocks: [(offset: Int64, size: Int64)] = [(0, Int64.max / 4)]
    private(set) var maxSize: Int64 = 0

    init(alignment: Int64) { self.alignment = alignment }

    mutating func alloc(_ bytes: Int64) -> Int64 {
        let size = align(bytes, alignment)
        var best = -1
        var bestSize = Int64.max
        for i in 0..<(blocks.count - 1) where blocks[i].size >= size && blocks[i].size <= bestSize {
            best = i
            bestSize = blocks[i].size
        }
        if best == -1 { best = blocks.count - 1 }
        let at = blocks[best].offset
        blocks[best].offset += size
        blocks[best].size -= size
        if blocks[best].size == 0 { blocks.remove(at: best) }
        maxSize = max(maxSize, at + size)
        return at
    }

    mutating func free(_ offset: Int64, _ bytes: Int64) {
        let size = align(bytes, alignment)
        for i in blocks.indices {
            if blocks[i].offset + blocks[i].size == offset {
                blocks[i].size += size
                if i < blocks.count - 1, blocks[i].offset + blocks[i].size == blocks[i + 1].offset {
                    blocks[i].size += blocks[i + 1].size
                    blocks.remove(at: i + 1)
                }
                return
            }
            if offset + size == blocks[i].offset {
                blocks[i].offset = offset
                blocks[i].size += size
                if i > 0, blocks[i - 1].offset + blocks[i - 1].size == blocks[i].offset {
                    blocks[i - 1].size += blocks[i].size
                    blocks.remove(at: i)
                }
                return
            }
        }
        let at = blocks.firstIndex { $0.offset >= offset } ?? blocks.count
        blocks.insert((offset, size), at: at)
    }
}
