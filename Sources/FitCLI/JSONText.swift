import FitCore

/// A JSON value written by hand for the one large output (`fit --json`, ~850 rows): Foundation's
/// JSONEncoder took a third of the run on Linux. Keys come out sorted, like the other outputs.
enum JSONValue {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null

    static func int(_ v: Int) -> JSONValue { .int(Int64(v)) }
    static func optional(_ v: Int?) -> JSONValue { v.map { .int(Int64($0)) } ?? .null }
    static func optional(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        write(&out, indent: 0)
        out.append(0x0A)
        return out
    }

    private static let spaces = [UInt8](repeating: 0x20, count: 64)

    private func write(_ out: inout [UInt8], indent: Int) {
        func pad(_ n: Int) { out.append(contentsOf: Self.spaces.prefix(min(n, 64))) }
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let n): out.append(contentsOf: String(n).utf8)
        case .double(let d): out.append(contentsOf: (d.isFinite ? NumberText.format(d, digits: 2) : "null").utf8)
        case .string(let s): Self.quote(s, &out)
        case .array(let a):
            if a.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(contentsOf: "[\n".utf8)
            for (i, v) in a.enumerated() {
                pad(indent + 2)
                v.write(&out, indent: indent + 2)
                out.append(contentsOf: (i == a.count - 1 ? "\n" : ",\n").utf8)
            }
            pad(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(contentsOf: "{\n".utf8)
            let keys = o.keys.sorted()
            for (i, k) in keys.enumerated() {
                pad(indent + 2)
                Self.quote(k, &out)
                out.append(contentsOf: " : ".utf8)
                (o[k] ?? .null).write(&out, indent: indent + 2)
                out.append(contentsOf: (i == keys.count - 1 ? "\n" : ",\n").utf8)
            }
            pad(indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: copied whole unless it holds a quote, a backslash or a control character.
    static func quote(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            if !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
                out.append(contentsOf: bytes)
                return
            }
            for b in bytes {
                switch b {
                case 0x22: out.append(contentsOf: "\\\"".utf8)
                case 0x5C: out.append(contentsOf: "\\\\".utf8)
                case 0x0A: out.append(contentsOf: "\\n".utf8)
                case 0x0D: out.append(contentsOf: "\\r".utf8)
                case 0x09: out.append(contentsOf: "\\t".utf8)
                case ..<0x20:
                    let hex = String(b, radix: 16)
                    out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                default: out.append(b)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension MemoryBreakdown {
    var json: JSONValue {
        .object([
            "weightsBytes": .int(weightsBytes), "kvCacheBytes": .int(kvCacheBytes),
            "recurrentStateBytes": .int(recurrentStateBytes),
            "computeBytes": .int(computeBytes), "outputBytes": .int(outputBytes), "overheadBytes": .int(overheadBytes),
            "totalBytes": .int(totalBytes),
        ])
    }
}

extension FitRow {
    var json: JSONValue {
        .object([
            "model": .string(model), "name": .string(name), "family": .string(family), "quant": .string(quant.rawValue),
            "context": .int(context.count), "parameters": .int(parameters), "activeParameters": .int(activeParameters),
            "verdict": .string(verdict.rawValue), "fits": .bool(fits), "memory": memory.json,
            "gpuLayers": .int(gpuLayers),
            "totalLayers": .int(totalLayers), "maxContext": .optional(maxContext?.count),
            "contextWindow": .int(contextWindow.count),
            "beyondContextWindow": .bool(beyondContextWindow),
            "decodeTokensPerSecond": decodeTokensPerSecond.map { .double($0) } ?? .null,
            "decodeTokensPerSecondAtContext": decodeTokensPerSecondAtContext.map { .double($0) } ?? .null,
            "prefillTokensPerSecond": prefillTokensPerSecond.map { .double($0) } ?? .null,
            "speedSource": decodeTokensPerSecond == nil ? .null : .string(speedMeasured ? "measured" : "estimate"),
        ])
    }
}
