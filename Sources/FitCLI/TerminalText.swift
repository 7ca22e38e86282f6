/// Text for a terminal: names and messages come from files, tools and servers fit does not
/// control, and a raw control character there could retitle, clear or rewrite the user's
/// terminal. Every C0/C1 control character but newline and tab is shown escaped (`\e`, `\a`,
/// `\u{7f}`); only the colour codes fit itself writes (`ESC [ 0|1|2|3x m`) pass.
enum TerminalText {
    static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "\u{1B}", let end = ownColour(scalars, at: i) {
                out.append(contentsOf: scalars[i...end])
                i = end + 1
                continue
            }
            if isControl(c) {
                let shown: String
                switch c {
                case "\u{1B}": shown = "\\e"
                case "\u{07}": shown = "\\a"
                case "\r": shown = "\\r"
                case "\u{00}": shown = "\\0"
                default: shown = "\\u{" + String(c.value, radix: 16) + "}"
                }
                out.append(contentsOf: shown.unicodeScalars)
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(out)
    }

    static func isControl(_ c: Unicode.Scalar) -> Bool {
        (c.value < 0x20 && c != "\n" && c != "\t") || (0x7F...0x9F).contains(c.value)
    }

    /// The end of `ESC [ 0m`, `ESC [ 1m`, `ESC [ 2m` or `ESC [ 3Xm` starting at `i` (what `Style` writes).
    static func ownColour(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        guard i + 3 < s.count, s[i + 1] == "[" else { return nil }
        if ["0", "1", "2"].contains(s[i + 2]), s[i + 3] == "m" { return i + 3 }
        if i + 4 < s.count, s[i + 2] == "3", ("0"..."7").contains(s[i + 3]), s[i + 4] == "m" { return i + 4 }
        return nil
    }
}

/// Every `print` in this module goes through `TerminalText.safe` (JSON goes out through the
/// encoders, which escape control characters themselves).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(TerminalText.safe(items.map { "\($0)" }.joined(separator: separator)), terminator: terminator)
}
