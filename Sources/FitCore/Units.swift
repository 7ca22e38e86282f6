/// Units as types. Bytes, token counts and their parsing live here, once, at the edge.

/// A number of bytes. GiB and GB are different units: constructors and formatting say which.
public struct ByteCount: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var bytes: Int64

    public init(_ bytes: Int64) { self.bytes = bytes }
    public static func bytes(_ n: Int64) -> ByteCount { ByteCount(n) }
    public static func kib(_ n: Double) -> ByteCount { ByteCount(clamping: n * 1024) }
    public static func mib(_ n: Double) -> ByteCount { ByteCount(clamping: n * 1_048_576) }
    public static func gib(_ n: Double) -> ByteCount { ByteCount(clamping: n * 1_073_741_824) }
    public static func gb(_ n: Double) -> ByteCount { ByteCount(clamping: n * 1_000_000_000) }
    public static let zero = ByteCount(0)
    /// 2^62 bytes (4 EiB): what any byte count is held to, so sums of a few stay in Int64.
    public static let limit: Int64 = 1 << 62

    /// Rounded, within ±`limit` (NaN is zero): edges check ranges first; this keeps a value that
    /// slipped through from trapping.
    public init(clamping n: Double) {
        guard n.isFinite else {
            self.init(n.isNaN ? 0 : (n > 0 ? Self.limit : -Self.limit))
            return
        }
        self.init(Int64(max(-Double(Self.limit), min(Double(Self.limit), n.rounded()))))
    }

    public var gib: Double { Double(bytes) / 1_073_741_824 }
    public var mib: Double { Double(bytes) / 1_048_576 }

    // Saturating: a sum that would overflow is "more than any machine has", never a trap.
    public static func + (a: ByteCount, b: ByteCount) -> ByteCount {
        let (r, o) = a.bytes.addingReportingOverflow(b.bytes)
        return ByteCount(o ? (b.bytes > 0 ? Int64.max : Int64.min) : r)
    }
    public static func - (a: ByteCount, b: ByteCount) -> ByteCount {
        let (r, o) = a.bytes.subtractingReportingOverflow(b.bytes)
        return ByteCount(o ? (b.bytes < 0 ? Int64.max : Int64.min) : r)
    }
    public static func += (a: inout ByteCount, b: ByteCount) { a = a + b }
    public static func -= (a: inout ByteCount, b: ByteCount) { a = a - b }
    public static func * (a: ByteCount, n: Int) -> ByteCount {
        let (r, o) = a.bytes.multipliedReportingOverflow(by: Int64(n))
        return ByteCount(o ? ((a.bytes < 0) == (n < 0) ? Int64.max : Int64.min) : r)
    }
    public static func < (a: ByteCount, b: ByteCount) -> Bool { a.bytes < b.bytes }

    /// Binary units, as people read memory sizes: "17.3 GiB", "512 MiB".
    public var description: String {
        let b = Double(bytes)
        let sign = b < 0 ? "-" : ""
        let a = abs(b)
        if a >= 1_073_741_824 { return sign + NumberText.format(a / 1_073_741_824, digits: 1) + " GiB" }
        if a >= 1_048_576 { return sign + NumberText.format(a / 1_048_576, digits: 0) + " MiB" }
        if a >= 1024 { return sign + NumberText.format(a / 1024, digits: 0) + " KiB" }
        return "\(bytes) B"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int64.self) {
            bytes = n
        } else if let x = try? c.decode(Double.self) {
            // Say what is there: Foundation's decoder would call 1.5 "not valid JSON".
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "\(x) is not a whole number of bytes within Int64")
        } else {
            bytes = try c.decode(Int64.self)
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(bytes)
    }

    /// Parses `24GiB`, `24GB`, `24 G`, `512MiB`, `1.5TB`, `1073741824`.
    /// GB/MB/TB are powers of ten; GiB/MiB/TiB (and bare G/M/T) are powers of two.
    public static func parse(_ text: String) -> ByteCount? {
        let t = text.trimmingSpaces()
        var numberEnd = t.startIndex
        while numberEnd < t.endIndex, t[numberEnd].isNumber || t[numberEnd] == "." {
            numberEnd = t.index(after: numberEnd)
        }
        guard let value = Double(t[t.startIndex..<numberEnd]), value >= 0, value.isFinite else { return nil }
        let unit = t[numberEnd...].trimmingSpaces().lowercased()
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k", "kib": scale = 1024
        case "kb": scale = 1e3
        case "m", "mib": scale = 1_048_576
        case "mb": scale = 1e6
        case "g", "gib": scale = 1_073_741_824
        case "gb": scale = 1e9
        case "t", "tib": scale = 1_099_511_627_776
        case "tb": scale = 1e12
        default: return nil
        }
        let bytes = value * scale
        guard bytes < 9.0e18 else { return nil }
        return ByteCount(Int64(bytes.rounded()))
    }
}

/// A number of tokens in a context window.
public struct TokenCount: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var count: Int
    public init(_ count: Int) { self.count = count }
    public static func < (a: TokenCount, b: TokenCount) -> Bool { a.count < b.count }

    /// The largest context anyone could mean: 16 Mi tokens. Beyond it the input is a typo.
    public static let absurd = TokenCount(16 * 1_048_576)

    /// "65,536" for people.
    public var description: String { NumberText.grouped(count) }

    /// Short form, rounded down so it never claims more: 65536 -> "64k", 151296 -> "147k", 1048576 -> "1M".
    public var short: String {
        if count >= 1_048_576, count % 1_048_576 == 0 { return "\(count / 1_048_576)M" }
        if count >= 1024, count % 1024 == 0 { return "\(count / 1024)k" }
        if count >= 1000, count % 1000 == 0 { return "\(count / 1000)k" }  // vendors' 200,000
        if count >= 1024 { return "\(count / 1024)k" }
        return "\(count)"
    }

    public init(from decoder: any Decoder) throws { count = try decoder.singleValueContainer().decode(Int.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(count)
    }

    /// Parses `65536`, `64k`, `128K`, `1M` (k = 1024 tokens, as every runtime means it).
    public static func parse(_ text: String) -> TokenCount? {
        let t = text.trimmingSpaces()
        guard let last = t.last else { return nil }
        var digits = Substring(t)
        var scale = 1
        switch last {
        case "k", "K":
            scale = 1024
            digits = t.dropLast()
        case "m", "M":
            scale = 1_048_576
            digits = t.dropLast()
        default: break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        return TokenCount(v)
    }
}

/// Rounds `n` up to a multiple of `m`.
@inlinable public func padded(_ n: Int, to m: Int) -> Int { (n + m - 1) / m * m }

/// Number formatting without Foundation (the core stays free of it).
public enum NumberText {
    /// Fixed-point with `digits` decimals: format(17.349, 1) -> "17.3".
    public static func format(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "-" }
        // Beyond what fixed point in Int64 holds: Swift's shortest form ("1e+300").
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        guard abs(value) * scale < 1e17 else { return "\(value)" }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int64(scaled / scale)
        let frac = Int64(scaled) - whole * Int64(scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        if digits == 0 { return sign + String(whole) }
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return sign + String(whole) + "." + f
    }

    /// Thousands separators: 65536 -> "65,536".
    public static func grouped(_ n: Int) -> String {
        let s = String(n.magnitude)  // abs(Int.min) would trap
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }
}

extension StringProtocol {
    func trimmingSpaces() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return s
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace (what Foundation's trimming did, without Foundation).
    var trimmed: String {
        let chars = Array(self)
        guard let first = chars.firstIndex(where: { !$0.isWhitespace }),
            let last = chars.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(chars[first...last])
    }
}

extension String {
    /// The folder part of a path, as `dirname` gives it without the "." ("a/b" -> "a", "/x" -> "/",
    /// "x" -> ""). Foundation's `deletingLastPathComponent` traps on a one-character path on Linux.
    public var parentFolder: String {
        var s = Substring(self)
        while s.count > 1, s.hasSuffix("/") { s = s.dropLast() }
        guard let slash = s.lastIndex(of: "/") else { return "" }
        if slash == s.startIndex { return "/" }
        var folder = s[..<slash]
        while folder.count > 1, folder.hasSuffix("/") { folder = folder.dropLast() }
        return String(folder)
    }
}
