import FitCore

/// Terminal styling, passed as a value (never a global): colour only when asked for.
public struct Style: Sendable {
    public var colour: Bool
    public init(colour: Bool) { self.colour = colour }

    func paint(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func bold(_ s: String) -> String { paint(s, "1") }
    func dim(_ s: String) -> String { paint(s, "2") }

    func verdict(_ v: Verdict, _ text: String) -> String {
        switch v {
        case .gpu: paint(text, "32")
        case .partial: paint(text, "33")
        case .ram: paint(text, "36")
        case .none: paint(text, "31")
        }
    }
}

/// A plain text table: columns sized to their content, never to the terminal (so output is stable).
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    /// Optional per-row painter applied after padding (so colour codes do not break alignment).
    var painters: [((String) -> String)?] = []
    var rightAligned: Set<Int> = []

    mutating func add(_ cells: [String], paint: ((String) -> String)? = nil) {
        rows.append(cells)
        painters.append(paint)
    }

    /// A title line printed before a row (a group's heading), by row index.
    var sections: [Int: String] = [:]

    var widths: [Int] {
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return widths
    }

    /// The table narrowed to `width` columns of text: columns dropped in `dropOrder` (least useful
    /// first) until it fits, then the first column's cells shortened with an ellipsis. Never wraps.
    func fitted(width: Int, dropOrder: [Int]) -> TextTable {
        var t = self
        func total(_ t: TextTable) -> Int { t.widths.reduce(0, +) + 2 * max(0, t.headers.count - 1) }
        // The first column (names) gives up to a third of its width before any column goes.
        t.shortenFirst(by: min(total(t) - width, (t.widths.first ?? 0) / 3))
        var dropped: [Int] = []
        for c in dropOrder where total(t) > width {
            let i = c - dropped.filter { $0 < c }.count
            guard i < t.headers.count, t.headers.count > 1 else { break }
            t.headers.remove(at: i)
            t.rows = t.rows.map {
                var r = $0
                if i < r.count { r.remove(at: i) }
                return r
            }
            t.rightAligned = Set(t.rightAligned.compactMap { $0 == i ? nil : $0 > i ? $0 - 1 : $0 })
            dropped.append(c)
        }
        t.shortenFirst(by: min(total(t) - width, (t.widths.first ?? 0) - 8))
        return t
    }

    /// Shortens the first column's cells by `n` characters, with an ellipsis.
    private mutating func shortenFirst(by n: Int) {
        guard n > 0, let first = widths.first else { return }
        let keep = first - n
        rows = rows.map { r in
            var r = r
            if let c = r.first, c.count > keep { r[0] = String(c.prefix(keep - 1)) + "…" }
            return r
        }
    }

    func render(style: Style) -> String {
        let widths = widths
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                return rightAligned.contains(i) ? pad + c : (i == cells.count - 1 ? c : c + pad)
            }.joined(separator: "  ")
        }
        var out = style.bold(line(headers)) + "\n"
        for (n, (r, p)) in zip(rows, painters).enumerated() {
            if let title = sections[n] { out += (n == 0 ? "" : "\n") + style.bold(title) + "\n" }
            let l = line(r)
            out += (p.map { $0(l) } ?? l) + "\n"
        }
        return out
    }
}

enum Format {
    static func params(_ n: Int64) -> String {
        let b = Double(n) / 1e9
        return b >= 10 ? NumberText.format(b, digits: 0) + "B" : NumberText.format(b, digits: 1) + "B"
    }
    static func bytes(_ b: Int64) -> String { ByteCount(b).description }
    static func context(_ t: TokenCount?) -> String { t.map(\.short) ?? "-" }
}

/// The one-paragraph machine summary printed above answers.
func machineSummary(_ m: MachineDescription, target: PlanTarget) -> String {
    var cpu = m.cpu.model.value ?? "unknown CPU"
    if let c = m.cpu.physicalCores.value, let t = m.cpu.logicalCores.value { cpu += ", \(c) cores / \(t) threads" }
    if let ext = m.cpu.vectorExtensions.value {
        let key = ext.filter {
            ["avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "asimddp", "i8mm", "sve"].contains($0)
        }
        if !key.isEmpty { cpu += " (" + key.joined(separator: " ") + ")" }
    }
    var ram = "RAM: \(target.host.capacity) usable"
    if m.memory.available.source == .user {
        ram += " (--ram)"
    } else if let total = m.memory.total.value {
        ram += " of \(total)"
    }
    if let limit = m.memory.containerLimit.value { ram += ", container limit \(limit)" }
    let gpu: String
    if target.gpus.isEmpty {
        gpu =
            m.gpus.isEmpty
            ? m.gpuSummary + "; planning for CPU and RAM" : m.gpuSummary + " (memory unknown; planning for CPU and RAM)"
    } else {
        gpu = target.gpus.map {
            "\($0.name): \($0.sharesHostMemory ? "shares RAM, up to \($0.capacity)" : "\($0.capacity) usable after the 1 GiB margin")"
        }.joined(separator: "; ")
    }
    return "CPU: \(cpu)\n\(ram)\nGPU: \(gpu)"
}

/// A paragraph broken at spaces into lines of at most `width` characters (a longer word stays whole).
func wrapped(_ text: String, width: Int) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
        if !line.isEmpty, line.count + 1 + word.count > width {
            lines.append(line)
            line = String(word)
        } else {
            line += (line.isEmpty ? "" : " ") + word
        }
    }
    if !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n")
}
