import FitCore
import Foundation

/// The report as one self-contained HTML file: inline CSS and SVG, no script, no network;
/// readable on a phone (tables scroll sideways) and printable.
enum ReportHTML {
    /// Escapes text for HTML content and attribute values.
    static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(c)
            }
        }
        return o
    }

    static let css = """
        :root{--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--bg:#fff;--w:#4c78a8;--kv:#f58518;--c:#54a24b;--o:#b279a2;--ok:#2e7d32;--no:#b71c1c}
        *{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:16px}
        h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1.05em}
        .meta{color:var(--muted);font-size:.9em}.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
        table{border-collapse:collapse;font-size:.88em;min-width:100%}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;white-space:nowrap}
        td.wrap{white-space:normal;min-width:16em}th{background:#f4f6f8}.num{text-align:right;font-variant-numeric:tabular-nums}
        .gpu{color:var(--ok)}.partial{color:#8d6e00}.ram{color:#6d4c41}.none{color:#9aa0a6}.yes{color:var(--ok);font-weight:600}.no{color:var(--no);font-weight:600}
        pre{background:#f4f6f8;padding:8px;overflow-x:auto;font-size:.85em;white-space:pre-wrap;word-break:break-all}
        .card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:10px 0}.legend span{display:inline-block;margin-right:12px;font-size:.85em}
        .sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#333}
        @media print{body{max-width:none;font-size:11px}.scroll{overflow:visible}h2{break-after:avoid}.card,svg{break-inside:avoid}}
        """

    static func render(_ r: MachineReport) -> String {
        let m = r.machine
        let title = m.hostname ?? m.gpus.first?.name ?? m.cpu ?? "machine"
        var o =
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        o += "<title>fit report: \(esc(title))</title><style>\(css)</style></head><body>\n"
        o +=
            "<h1>fit report: \(esc(title))</h1>\n<p class=\"meta\">Generated \(esc(r.generatedAt)) by fit \(esc(r.fitVersion)); catalog \(esc(r.catalogVersion)); machine id \(esc(m.id)). Every number below is an estimate from the catalog unless marked measured.</p>\n"

        // Machine
        o +=
            "<h2 id=\"machine\">Machine</h2>\n<p>\(esc(m.cpu ?? "unknown CPU"))\(m.cores.map { ", \($0) cores" } ?? "")\(m.threads.map { " / \($0) threads" } ?? ""); RAM \(m.ramBytes.map { esc(ByteCount($0).description) } ?? "unknown") (\(esc(ByteCount(m.usableRAMBytes).description)) usable)"
        o +=
            m.gpus.isEmpty
            ? "; no GPU.</p>\n"
            : "; "
                + m.gpus.map { g in
                    esc(
                        "\(g.name): " + (g.sharesHostMemory ? "shares RAM" : "\(ByteCount(g.usableBytes)) usable")
                            + (g.bandwidthGBs.map { ", \(NumberText.format($0, digits: 0)) GB/s" } ?? ""))
                }.joined(separator: "; ") + ".</p>\n"
        if let hw = m.measured {
            o +=
                "<p><b>Measured</b> by <code>fit bench hardware</code> (\(esc(hw.measuredAt))): RAM bandwidth \(NumberText.format(hw.triadGBs, digits: 1)) GB/s (triad), CPU \(NumberText.format(hw.allCoresGFLOPS, digits: 0)) GFLOP/s FP32 on \(hw.threads) threads, synthetic Q8_0 decode \(NumberText.format(hw.decodeTokensPerSecond, digits: 1)) tokens/s.</p>\n"
        }
        o +=
            "<details><summary>Probe facts with their sources</summary><div class=\"scroll\"><table><tr><th>fact</th><th>value</th><th>source</th><th>status</th></tr>"
        for f in m.facts {
            o +=
                "<tr><td>\(esc(f.name))</td><td>\(esc(f.value))</td><td>\(esc(f.source))</td><td>\(esc(f.status))</td></tr>"
        }
        o += "</table></div></details>\n"
        for w in m.warnings { o += "<p class=\"meta\">warning: \(esc(w))</p>\n" }

        // Recommendations
        o += "<h2 id=\"tiers\">What to use, per task tier</h2>\n"
        for t in r.tiers {
            o += "<div class=\"card\"><h3>\(esc(t.name)) work at \(esc(TokenCount(t.contextTokens).short)) context</h3>"
            o +=
                "<p>Local model good enough: <span class=\"\(t.localAdequate ? "yes" : "no")\">\(t.localAdequate ? "yes" : "no")</span>. "
            o += "First choice: <b>\(pick(t.firstChoice))</b>. Best local: \(pick(t.bestLocal)).</p>"
            if !t.alternatives.isEmpty {
                o += "<p class=\"meta\">Also considered: " + t.alternatives.map(pick).joined(separator: "; ") + ".</p>"
            }
            if let f = t.firstChoice, !f.evidence.isEmpty {
                o +=
                    "<details><summary>Evidence for \(esc(f.model))</summary><ul>"
                    + f.evidence.map { "<li>\(esc($0))</li>" }.joined() + "</ul></details>"
            }
            for w in t.whatWouldChange { o += "<p class=\"meta\">\(esc(w))</p>" }
            o += "</div>\n"
        }

        // Charts
        o += "<h2 id=\"memory\">Memory of the recommended models</h2>\n"
        o +=
            "<p class=\"legend\"><span><i class=\"sw\" style=\"background:var(--w)\"></i>weights</span><span><i class=\"sw\" style=\"background:var(--kv)\"></i>KV cache</span><span><i class=\"sw\" style=\"background:var(--c)\"></i>compute</span><span><i class=\"sw\" style=\"background:var(--o)\"></i>overhead</span><span>| capacity</span></p>\n"
        o += memoryChart(r.launch)
        o += "<h2 id=\"speed\">Decode speed against context depth</h2>\n" + speedChart(r.launch)
        o += "<h2 id=\"maxctx\">Largest context per model</h2>\n" + contextChart(r.fitMap)

        // Fit map
        o +=
            "<h2 id=\"fitmap\">Fit map: the best build per context</h2>\n<div class=\"scroll\"><table><tr><th>model</th><th class=\"num\">params</th>"
        o +=
            r.contexts.map { "<th>\(esc(TokenCount($0).short))</th>" }.joined()
            + "<th class=\"num\">max context</th></tr>\n"
        for e in r.fitMap {
            o += "<tr><td>\(esc(e.model))</td><td class=\"num\">\(esc(Format.params(e.parameters)))</td>"
            for c in e.cells {
                let cls = ["fits-on-gpu": "gpu", "partial-offload": "partial", "ram-only": "ram"][c.verdict] ?? "none"
                let text =
                    c.quant.map { q in
                        "\(q) \(ReportMarkdown.verdictShort(c.verdict))"
                            + (c.decodeTokensPerSecond.map { ", \(NumberText.format($0, digits: 0)) t/s" } ?? "")
                    } ?? "-"
                o += "<td class=\"\(cls)\">\(esc(text))</td>"
            }
            o += "<td class=\"num\">\(esc(e.maxContext.map { TokenCount($0).short } ?? "-"))</td></tr>\n"
        }
        o += "</table></div>\n"
        if !r.doesNotFit.isEmpty {
            o += "<p class=\"meta\">\(r.doesNotFit.count) catalog models fit at none of these contexts.</p>\n"
        }

        // Launch
        o += "<h2 id=\"launch\">Launch commands</h2>\n"
        for l in r.launch {
            o +=
                "<div class=\"card\"><h3>\(esc(l.model)) \(esc(l.quant)) at \(esc(TokenCount(l.context).short))</h3><p>llama.cpp:</p><pre>\(esc(l.llamaServer))</pre><p>Ollama Modelfile:</p><pre>\(esc(l.ollamaModelfile))</pre>"
            if let v = l.vllm { o += "<p>vLLM:</p><pre>\(esc(v))</pre>" }
            if let x = l.mlx { o += "<p>MLX:</p><pre>\(esc(x))</pre>" }
            o += "</div>\n"
        }
        o +=
            "<p class=\"meta\">Verdicts: GPU = fits on the GPU, partial = partial offload, RAM = CPU only. Speeds are decode tokens/s at half the context, estimated. Made by fit; the JSON form of this report follows Reports/schema/fit-report-1.schema.json.</p>\n"
        o += "</body></html>\n"
        return o
    }

    static func pick(_ p: MachineReport.Pick?) -> String { esc(ReportMarkdown.pick(p)) }

    /// One stacked bar per recommended build: weights, KV, compute, overhead, against the capacity
    /// of the devices it uses.
    static func memoryChart(_ launch: [MachineReport.Launch]) -> String {
        guard !launch.isEmpty else { return "<p class=\"meta\">No local model is recommended on this machine.</p>\n" }
        let w = 700.0
        let rowH = 34.0
        let left = 190.0
        let h = Double(launch.count) * rowH + 24
        let scale = launch.map { l in Double(max(l.memory.totalBytes, l.capacityBytes)) }.max() ?? 1
        var s =
            "<svg class=\"chart memory\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"memory per recommended model\">"
        for (i, l) in launch.enumerated() {
            let y = Double(i) * rowH + 8
            s += "<text x=\"0\" y=\"\(fmt(y + 14))\">\(esc(l.model)) \(esc(l.quant))</text>"
            var x = left
            for (bytes, colour) in [
                (l.memory.weightsBytes, "var(--w)"), (l.memory.kvCacheBytes, "var(--kv)"),
                (l.memory.computeBytes, "var(--c)"), (l.memory.overheadBytes, "var(--o)"),
            ] {
                let bw = Double(bytes) / scale * (w - left - 10)
                s +=
                    "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(bw))\" height=\"18\" style=\"fill:\(colour)\"/>"
                x += bw
            }
            let cap = Double(l.capacityBytes)
            let cx = left + cap / scale * (w - left - 10)
            s +=
                "<line x1=\"\(fmt(cx))\" x2=\"\(fmt(cx))\" y1=\"\(fmt(y - 3))\" y2=\"\(fmt(y + 21))\" stroke=\"#000\" stroke-width=\"2\"/>"
            s +=
                "<text x=\"\(fmt(left))\" y=\"\(fmt(y + 31))\">\(esc("\(ByteCount(l.memory.totalBytes)) of \(ByteCount(Int64(cap)))"))</text>"
        }
        return s + "</svg>\n"
    }

    /// Decode tokens/s at growing context depth, one line per recommended build.
    static func speedChart(_ launch: [MachineReport.Launch]) -> String {
        let series = launch.filter { $0.speedByDepth.count >= 2 }
        guard !series.isEmpty else {
            return "<p class=\"meta\">No speed estimate for the recommended models on this machine.</p>\n"
        }
        let w = 700.0
        let h = 260.0
        let l = 50.0
        let b = 30.0
        let t = 10.0
        let rgt = 160.0
        let maxD = Double(series.flatMap { $0.speedByDepth.map(\.depth) }.max() ?? 1)
        let maxS = (series.flatMap { $0.speedByDepth.map(\.decodeTokensPerSecond) }.max() ?? 1) * 1.1
        func px(_ d: Int) -> Double { l + Double(d) / max(maxD, 1) * (w - l - rgt) }
        func py(_ v: Double) -> Double { h - b - v / maxS * (h - b - t) }
        let colours = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#b279a2", "#72b7b2"]
        var s =
            "<svg class=\"chart speed\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"decode tokens per second against context depth\">"
        s +=
            "<line x1=\"\(fmt(l))\" y1=\"\(fmt(h - b))\" x2=\"\(fmt(w - rgt))\" y2=\"\(fmt(h - b))\" stroke=\"#999\"/><line x1=\"\(fmt(l))\" y1=\"\(fmt(t))\" x2=\"\(fmt(l))\" y2=\"\(fmt(h - b))\" stroke=\"#999\"/>"
        s +=
            "<text x=\"\(fmt(l))\" y=\"\(fmt(h - 8))\">0</text><text x=\"\(fmt(w - rgt - 40))\" y=\"\(fmt(h - 8))\">\(esc(TokenCount(Int(maxD)).short)) tokens</text>"
        s += "<text x=\"2\" y=\"\(fmt(t + 10))\">\(NumberText.format(maxS, digits: 0)) t/s</text>"
        for (i, sr) in series.enumerated() {
            let c = colours[i % colours.count]
            let pts = sr.speedByDepth.map { "\(fmt(px($0.depth))),\(fmt(py($0.decodeTokensPerSecond)))" }.joined(
                separator: " ")
            s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"/>"
            s +=
                "<text x=\"\(fmt(w - rgt + 6))\" y=\"\(fmt(t + 14 + Double(i) * 16))\" style=\"fill:\(c)\">\(esc(sr.model))</text>"
        }
        return s + "</svg>\n"
    }

    /// The largest context each model reaches here (top 20 by parameters among those that fit).
    static func contextChart(_ map: [MachineReport.ModelEntry]) -> String {
        let rows = map.filter { $0.maxContext != nil }.sorted { ($0.parameters, $0.model) > ($1.parameters, $1.model) }
            .prefix(20)
        guard !rows.isEmpty else { return "<p class=\"meta\">No model fits.</p>\n" }
        let w = 700.0
        let rowH = 18.0
        let left = 230.0
        let maxC = log2(Double(rows.compactMap(\.maxContext).max() ?? 1024))
        var s =
            "<svg class=\"chart maxctx\" viewBox=\"0 0 \(Int(w)) \(Int(Double(rows.count) * rowH + 10))\" role=\"img\" aria-label=\"largest context per model\">"
        for (i, e) in rows.enumerated() {
            let y = Double(i) * rowH + 4
            let v = log2(Double(max(e.maxContext ?? 1, 1024))) - 10
            let bw = max(2, v / max(maxC - 10, 1) * (w - left - 60))
            s +=
                "<text x=\"0\" y=\"\(fmt(y + 11))\">\(esc(e.model))</text><rect x=\"\(fmt(left))\" y=\"\(fmt(y))\" width=\"\(fmt(bw))\" height=\"13\" style=\"fill:var(--w)\"/>"
            s +=
                "<text x=\"\(fmt(left + bw + 4))\" y=\"\(fmt(y + 11))\">\(esc(TokenCount(e.maxContext ?? 0).short))</text>"
        }
        return s
            + "</svg><p class=\"meta\">Log scale from 1k; the build that reaches it is in the JSON (maxContextQuant).</p>\n"
    }

    static func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
}
