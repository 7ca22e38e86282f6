/// A GGUF header reader: metadata and the tensor table, never the weights. Pure: it parses a byte
/// prefix of the file and says when it needs more. Every count and length is checked against the
/// bytes that remain, so a corrupt or hostile file cannot make it allocate without bound.
/// Format: ggml docs/gguf.md (versions 1-3, little-endian).

public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    case notGGUF
    case bigEndian
    case unsupportedVersion(UInt32)
    /// The prefix ended early; a caller with the whole file may retry with more bytes.
    case truncated(needAtLeast: Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .notGGUF: "it is not a GGUF file (no GGUF magic)"
        case .bigEndian: "it is a big-endian GGUF, which fit does not read"
        case .unsupportedVersion(let v): "it is GGUF version \(v); fit reads versions 1 to 3"
        case .truncated(let n): "it is truncated (the header needs at least \(n) bytes)"
        case .corrupt(let why): "it is corrupt: \(why)"
        }
    }
}

public enum GGUFValue: Sendable, Equatable {
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case bool(Bool)
    case string(String)
    /// Arrays of numbers are kept when short (per-layer head counts); long arrays (tokens, merges)
    /// keep only their length.
    case array([GGUFValue], count: Int)

    public var int: Int? {
        switch self {
        case .int(let v): Int(exactly: v)
        case .uint(let v): Int(exactly: v)
        case .float(let v): v == v.rounded() ? Int(exactly: v) : nil
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }
    public var double: Double? {
        switch self {
        case .float(let v): v
        case .int(let v): Double(v)
        case .uint(let v): Double(v)
        default: nil
        }
    }
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var ints: [Int]? { if case .array(let a, _) = self { a.compactMap(\.int) } else { int.map { [$0] } } }
    public var count: Int? { if case .array(_, let n) = self { n } else { nil } }
}

public struct GGUFTensor: Sendable, Equatable {
    public var name: String
    public var dims: [Int64]
    public var typeID: UInt32
    public var type: GGMLType?
    public var offset: UInt64

    /// The reader refuses tensors beyond this, so `elements` and `bytes` cannot overflow.
    public static let maxElements: Int64 = 1 << 50
    public var elements: Int64 { dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue } }
    /// Bytes of the data, or nil for a type fit does not know.
    public var bytes: Int64? {
        guard let type, let width = dims.first, width % Int64(type.block.elements) == 0 else { return nil }
        return elements / Int64(type.block.elements) * Int64(type.block.bytes)
    }
}

public struct GGUFFile: Sendable {
    public var version: UInt32
    public var metadata: [String: GGUFValue]
    public var tensors: [GGUFTensor]
    /// Bytes from the start of the file to the end of the tensor table.
    public var headerBytes: Int

    public subscript(key: String) -> GGUFValue? { metadata[key] }
    public var architectureName: String? { metadata["general.architecture"]?.string }
}

public enum GGUFReader {
    static let maxDims = 4
    static let keepArraysUpTo = 4096

    public static func parse(_ bytes: [UInt8]) throws(GGUFError) -> GGUFFile {
        var r = ByteReader(bytes: bytes)
        guard bytes.count >= 4 else { throw .truncated(needAtLeast: 24) }
        guard bytes[0] == 0x47, bytes[1] == 0x47, bytes[2] == 0x55, bytes[3] == 0x46 else { throw .notGGUF }
        r.position = 4
        let version = try r.u32()
        if version > 0xFFFF, version.byteSwapped <= 3 { throw .bigEndian }
        guard (1...3).contains(version) else { throw .unsupportedVersion(version) }
        let wide = version >= 2  // v1 used 32-bit counts and lengths
        let tensorCount = wide ? try r.u64() : UInt64(try r.u32())
        let kvCount = wide ? try r.u64() : UInt64(try r.u32())
        // Each entry takes at least 8 bytes: counts beyond what the file could hold are corrupt.
        guard tensorCount <= UInt64(Int32.max), kvCount <= UInt64(Int32.max) else {
            throw .corrupt("absurd tensor or metadata count")
        }
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<kvCount {
            let key = try r.string(wide: wide)
            let type = try r.u32()
            metadata[key] = try value(type: type, &r, wide: wide, depth: 0)
        }
        var tensors: [GGUFTensor] = []
        tensors.reserveCapacity(Int(min(tensorCount, 65536)))
        for _ in 0..<tensorCount {
            let name = try r.string(wide: wide)
            let nDims = try r.u32()
            guard nDims >= 1, nDims <= maxDims else { throw .corrupt("tensor \(name) has \(nDims) dimensions") }
            var dims: [Int64] = []
            for _ in 0..<nDims {
                let d = wide ? try r.u64() : UInt64(try r.u32())
                guard d <= UInt64(1) << 40 else { throw .corrupt("tensor \(name) has a dimension of \(d)") }
                dims.append(Int64(d))
            }
            // 2^50 elements is a petabyte of F8: no real tensor comes near, and every byte count
            // derived from a tensor stays far from Int64.max.
            var elements: Int64 = 1
            for d in dims {
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, p <= GGUFTensor.maxElements else {
                    throw .corrupt(
                        "tensor \(name) has dimensions \(dims.map(String.init).joined(separator: " x ")) (more than 2^50 elements)"
                    )
                }
                elements = p
            }
            let typeID = try r.u32()
            let offset = try r.u64()
            tensors.append(
                GGUFTensor(name: name, dims: dims, typeID: typeID, type: GGMLType(ggmlTypeID: typeID), offset: offset))
        }
        return GGUFFile(version: version, metadata: metadata, tensors: tensors, headerBytes: r.position)
    }

    static func fixedSize(_ type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 10, 11, 12: 8
        default: nil
        }
    }

    static func value(type: UInt32, _ r: inout ByteReader, wide: Bool, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try r.u8()))
        case 1: return .int(Int64(Int8(bitPattern: try r.u8())))
        case 2: return .uint(UInt64(try r.u16()))
        case 3: return .int(Int64(Int16(bitPattern: try r.u16())))
        case 4: return .uint(UInt64(try r.u32()))
        case 5: return .int(Int64(Int32(bitPattern: try r.u32())))
        case 6: return .float(Double(Float(bitPattern: try r.u32())))
        case 7: return .bool(try r.u8() != 0)
        case 8: return .string(try r.string(wide: wide))
        case 9:
            guard depth < 2 else { throw .corrupt("arrays nested too deep") }
            let elementType = try r.u32()
            let count = wide ? try r.u64() : UInt64(try r.u32())
            guard count <= UInt64(r.remaining) else {
                throw .truncated(needAtLeast: r.position + Int(min(count, UInt64(Int32.max))))
            }
            let n = Int(count)
            let keep = n <= keepArraysUpTo && elementType != 8 && elementType != 9
            if !keep {
                // Skipped, not decoded: tokens and merges are most of a header.
                if let size = fixedSize(elementType) {
                    _ = try r.take(n * size)
                } else if elementType == 8 {
                    for _ in 0..<n { try r.skipString(wide: wide) }
                } else {
                    for _ in 0..<n { _ = try value(type: elementType, &r, wide: wide, depth: depth + 1) }
                }
                return .array([], count: n)
            }
            var values: [GGUFValue] = []
            if keep { values.reserveCapacity(n) }
            for _ in 0..<n {
                let v = try value(type: elementType, &r, wide: wide, depth: depth + 1)
                if keep { values.append(v) }
            }
            return .array(values, count: n)
        case 10: return .uint(try r.u64())
        case 11: return .int(Int64(bitPattern: try r.u64()))
        case 12: return .float(Double(bitPattern: try r.u64()))
        default: throw .corrupt("unknown metadata value type \(type)")
        }
    }
}

/// Little-endian reads that throw `truncated` instead of running off the end.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    var remaining: Int { bytes.count - position }

    mutating func take(_ n: Int) throws(GGUFError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw .truncated(needAtLeast: position + max(n, 0)) }
        defer { position += n }
        return bytes[position..<(position + n)]
    }
    mutating func u8() throws(GGUFError) -> UInt8 { try take(1).first ?? 0 }
    mutating func u16() throws(GGUFError) -> UInt16 { UInt16(truncatingIfNeeded: try uint(2)) }
    mutating func u32() throws(GGUFError) -> UInt32 { UInt32(truncatingIfNeeded: try uint(4)) }
    mutating func u64() throws(GGUFError) -> UInt64 { try uint(8) }
    mutating func uint(_ n: Int) throws(GGUFError) -> UInt64 {
        guard n <= remaining else { throw .truncated(needAtLeast: position + n) }
        let at = position
        position += n
        return bytes.withUnsafeBytes { raw in
            switch n {
            case 8: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            case 4: UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            case 2: UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
            default: UInt64(raw[at])
            }
        }
    }
    mutating func skipString(wide: Bool) throws(GGUFError) {
        let n = wide ? try u64() : UInt64(try u32())
        guard n <= UInt64(remaining) else { throw .truncated(needAtLeast: position + Int(min(n, UInt64(Int32.max)))) }
        position += Int(n)
    }
    mutating func string(wide: Bool) throws(GGUFError) -> String {
        let n = wide ? try u64() : UInt64(try u32())
        guard n <= UInt64(remaining) else { throw .truncated(needAtLeast: position + Int(min(n, UInt64(Int32.max)))) }
        return String(decoding: try take(Int(n)), as: UTF8.self)
    }
}
