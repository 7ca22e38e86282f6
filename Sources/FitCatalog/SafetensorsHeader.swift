import FitCore
import Foundation

/// The JSON header that opens every `.safetensors` file: an 8-byte little-endian length, then that
/// many bytes naming each tensor's dtype, shape and byte range. It gives the exact bytes of the
/// weights without reading them, from a file on disk or from two HTTP Range requests on the Hub.
public struct SafetensorsHeader: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int64]
        public var bytes: Int64
    }
    public var tensors: [Tensor]
    /// The sum of the tensors' byte ranges: what the weights weigh.
    public var dataBytes: Int64 { tensors.reduce(0) { $0 + $1.bytes } }

    /// The safetensors format caps the header at 100 MB.
    public static let maxHeaderBytes = 100_000_000

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The header's length from the file's first 8 bytes.
    public static func headerLength(_ first: [UInt8]) throws(Problem) -> Int {
        guard first.count >= 8 else {
            throw Problem(reason: "shorter than the 8 bytes every safetensors file starts with")
        }
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(first[i]) }
        guard n >= 2, n <= UInt64(maxHeaderBytes) else {
            throw Problem(reason: "its header length is \(n) bytes; a safetensors header has 2 to 100,000,000")
        }
        return Int(n)
    }

    /// Bytes per element of the dtypes safetensors defines (F4 and F6 are packed; checked by range only).
    static let elementBytes: [String: Int64] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
        "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1,
    ]

    /// Parses the header's JSON. Every range is checked: non-negative, in order, at most 2^50
    /// bytes, and the size its dtype and shape imply.
    public static func parse(_ json: [UInt8]) throws(Problem) -> SafetensorsHeader {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any] else {
            throw Problem(reason: "its header is not a JSON object")
        }
        var tensors: [Tensor] = []
        for (name, value) in root where name != "__metadata__" {
            guard let t = value as? [String: Any], let dtype = t["dtype"] as? String,
                let shape = t["shape"] as? [Any], let offsets = t["data_offsets"] as? [Any], offsets.count == 2
            else { throw Problem(reason: "tensor \(name.prefix(80)) has no dtype, shape and data_offsets") }
            func int(_ v: Any) -> Int64? {
                guard let n = v as? NSNumber else { return nil }
                let d = n.doubleValue
                return d >= 0 && d <= Double(1 << 50) && d == d.rounded() ? n.int64Value : nil
            }
            let dims = shape.compactMap(int)
            guard dims.count == shape.count, dims.count <= 8, let start = int(offsets[0]), let end = int(offsets[1]),
                end >= start
            else { throw Problem(reason: "tensor \(name.prefix(80)) has a shape or byte range no tensor has") }
            var elements: Int64 = 1
            for d in dims {
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, p <= 1 << 50 else {
                    throw Problem(reason: "tensor \(name.prefix(80)) has more than 2^50 elements")
                }
                elements = p
            }
            if let size = elementBytes[dtype], elements * size != end - start {
                throw Problem(
                    reason:
                        "tensor \(name.prefix(80)) is \(dtype) \(dims) but spans \(end - start) bytes, not \(elements * size)"
                )
            }
            tensors.append(Tensor(name: name, dtype: dtype, shape: dims, bytes: end - start))
        }
        guard !tensors.isEmpty else { throw Problem(reason: "its header names no tensors") }
        return SafetensorsHeader(tensors: tensors.sorted { $0.name < $1.name })
    }

    /// Reads the header of a file on disk (the first 8 bytes, then the header; never the weights).
    public static func read(file path: String) throws(Problem) -> SafetensorsHeader {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Problem(reason: "cannot be read") }
        defer { try? handle.close() }
        let first = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
        let n = try headerLength(first)
        let json = [UInt8]((try? handle.read(upToCount: n)) ?? Data())
        guard json.count == n else { throw Problem(reason: "ends inside its \(n)-byte header") }
        return try parse(json)
    }
}
