import FitCore
import FitTestSupport
import Foundation
import Testing

@testable import FitCLI

/// JSONSerialization's booleans are their own class (objCType "c").
func isBoolean(_ v: Any) -> Bool {
    String(describing: type(of: v)).contains("Boolean") || v is Bool && !(v is NSNumber)
}

/// The subset of JSON Schema (2020-12) the report schema uses: type, const, enum, properties,
/// required, additionalProperties: false, items, oneOf. Returns the first violation, or nil.
func schemaViolation(_ value: Any, _ schema: [String: Any], at path: String = "$") -> String? {
    if let options = schema["oneOf"] as? [[String: Any]] {
        let passing = options.filter { schemaViolation(value, $0, at: path) == nil }.count
        return passing == 1 ? nil : "\(path): matches \(passing) of oneOf's \(options.count) schemas"
    }
    if let c = schema["const"] as? String, value as? String != c { return "\(path): expected \(c)" }
    if let e = schema["enum"] as? [String], !e.contains(value as? String ?? "\u{0}") {
        return "\(path): \(value) not in \(e)"
    }
    if let t = schema["type"] {
        let types = (t as? [String]) ?? [t as? String ?? ""]
        func isType(_ name: String) -> Bool {
            switch name {
            case "object": value is [String: Any]
            case "array": value is [Any]
            case "string": value is String
            case "boolean": isBoolean(value)
            case "integer":
                !isBoolean(value) && (value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
            case "number": !isBoolean(value) && value is NSNumber
            case "null": value is NSNull
            default: false
            }
        }
        if !types.contains(where: isType) { return "\(path): not of type \(types)" }
    }
    if let obj = value as? [String: Any] {
        for key in schema["required"] as? [String] ?? [] where obj[key] == nil { return "\(path): missing \(key)" }
        let props = schema["properties"] as? [String: [String: Any]] ?? [:]
        for (k, v) in obj {
            if let sub = props[k] {
                if let bad = schemaViolation(v, sub, at: "\(path).\(k)") { return bad }
            } else if schema["additionalProperties"] as? Bool == false {
                return "\(path): unexpected \(k)"
            }
        }
    }
    if let arr = value as? [Any], let items = schema["items"] as? [String: Any] {
        for (i, v) in arr.enumerated() { if let bad = schemaViolation(v, items, at: "\(path)[\(i)]") { return bad } }
    }
    return nil
}

let samples = packageRoot.appendingPathComponent("Reports/samples")
var reportSchema: [String: Any] {
    try! JSONSerialization.jsonObject(
        with: Data(contentsOf: packageRoot.appendingPathComponent("Reports/schema/fit-report-1.schema.json")))
        as! [String: Any]
}

/// The sample machines and the arguments scripts/sample-reports.sh gives them.
func sampleMachines() async throws -> [(name: String, args: [String])] {
    try String(contentsOf: samples.appendingPathComponent("machines.txt"), encoding: .utf8).split(separator: "\n").map {
        line in
        let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
        // Split the arguments as a shell would (double quotes only).
        var args: [String] = []
        var cur = ""
        var quoted = false
        for ch in parts[1] {
            if ch == "\"" {
                quoted.toggle()
            } else if ch == " " && !quoted {
                if !cur.isEmpty {
                    args.append(cur)
                    cur = ""
                }
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { args.append(cur) }
        return (parts[0], args.map { $0.hasPrefix("Probes/") ? packageRoot.appendingPathComponent($0).path : $0 })
    }
}

@Suite("fit report: the per-machine report", .serialized)
struct ReportTests {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("fit-report-data-\(UUID().uuidString)")
        .path

    @Test("every sample report is what the code writes today (dates fixed): regenerate with scripts/sample-reports.sh")
    func samplesAreCurrent() async throws {
        let machines = try await sampleMachines()
        #expect(machines.count >= 6)
        for (name, args) in machines {
            for fmt in ["json", "md", "html"] {
                let r = try await Fit.run(
                    ["report", "--format", fmt, "--date", "2026-11-21", "--redact", "-o", "-"] + args,
                    env: ["FIT_DATA_DIR": empty])
                #expect(r.code == 0, "\(name): \(r.stderr)")
                let committed = try String(
                    contentsOf: samples.appendingPathComponent("\(name).\(fmt)"), encoding: .utf8)
                #expect(
                    r.stdout == committed,
                    "Reports/samples/\(name).\(fmt) differs from what fit writes now; run scripts/sample-reports.sh and review the diff"
                )
            }
            #expect(
                FileManager.default.fileExists(atPath: samples.appendingPathComponent("\(name).png").path),
                "a screenshot of \(name)")
        }
    }

    @Test(
        "every sample JSON report validates against Reports/schema/fit-report-1.schema.json, and a broken one does not")
    func schema() async throws {
        for (name, _) in try await sampleMachines() {
            let json = try JSONSerialization.jsonObject(
                with: Data(contentsOf: samples.appendingPathComponent("\(name).json")))
            #expect(schemaViolation(json, reportSchema) == nil, "\(name): \(schemaViolation(json, reportSchema) ?? "")")
        }
        var broken =
            try JSONSerialization.jsonObject(with: Data(contentsOf: samples.appendingPathComponent("cpu-only-vm.json")))
            as! [String: Any]
        broken["contexts"] = ["8k"]
        #expect(schemaViolation(broken, reportSchema) == "$.contexts[0]: not of type [\"integer\"]")
        broken.removeValue(forKey: "machine")
        #expect(schemaViolation(broken, reportSchema) == "$: missing machine")
    }

    @Test(
        "the HTML loads in headless Chromium with its three charts, no script and no network",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")))
    func chromium() async throws {
        for (name, _) in try await sampleMachines() {
            let html = try String(contentsOf: samples.appendingPathComponent("\(name).html"), encoding: .utf8)
            #expect(
                !html.contains("<script") && !html.contains("http://") && !html.contains("src=\"http"),
                "\(name) is self-contained")
            let browser = try await runChild(
                "/usr/bin/chromium",
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                    "file://" + samples.appendingPathComponent("\(name).html").path,
                ])
            let dom = browser.stdout
            #expect(browser.status == 0, "\(name)")
            #expect(dom.contains("<h1>fit report"), "\(name) rendered")
            let charts = ["chart memory", "chart speed", "chart maxctx"].filter { dom.contains("class=\"\($0)\"") }
            let launches =
                (try JSONSerialization.jsonObject(
                    with: Data(contentsOf: samples.appendingPathComponent("\(name).json"))) as? [String: Any])?[
                    "launch"] as? [Any] ?? []
            // Without a recommended local model there is no memory or speed chart, and the page says so.
            #expect(charts.contains("chart maxctx"))
            #expect(
                launches.isEmpty ? dom.contains("No local model is recommended") : charts.contains("chart memory"),
                "\(name)")
        }
    }

    @Test("names, host names and paths are escaped in HTML")
    func escaping() async throws {
        #expect(
            ReportHTML.esc("<script>alert('x')</script> & \"q\"")
                == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        var r = try JSONDecoder().decode(
            MachineReport.self, from: Data(contentsOf: samples.appendingPathComponent("cpu-only-vm.json")))
        r.machine.hostname = "<img src=x onerror=alert(1)>"
        r.machine.warnings = ["path /home/<me>/models"]
        let html = ReportHTML.render(r)
        #expect(!html.contains("<img src=x") && html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("/home/&lt;me&gt;/models"))
    }

    @Test("no secrets: environment variables never reach a report, and --redact drops the host name")
    func privacy() async throws {
        let secret = "sk-fit-test-\(UUID().uuidString)"
        let plain = try await Fit.run(
            ["report", "--format", "json", "-o", "-"],
            env: ["FIT_DATA_DIR": empty, "FIT_API_KEY": secret, "OPENAI_API_KEY": secret])
        #expect(plain.code == 0, "\(plain.stderr)")
        #expect(!plain.stdout.contains(secret))
        let redacted = try await Fit.run(
            ["report", "--format", "json", "--redact", "-o", "-"], env: ["FIT_DATA_DIR": empty])
        let machine = try await redacted.json()["machine"] as? [String: Any] ?? [:]
        #expect(machine["hostname"] == nil)
        let host = ProcessInfo.processInfo.hostName
        #expect(!redacted.stdout.contains("\"\(host)\""))
    }

    @Test("bad input: an unwritable path, an unknown format: one line naming it and the fix")
    func badInput() async throws {
        let missing = try await Fit.run(
            ["report", "--machine", vmMachine, "-o", "/proc/fit-nope/r.html"], env: ["FIT_DATA_DIR": empty])
        #expect(
            missing.code == 64
                && missing.stderr
                    == "fit: -o /proc/fit-nope/r.html: the folder /proc/fit-nope does not exist; create it, or choose another path\n",
            "\(missing.stderr)")
        let unwritable = try await Fit.run(
            ["report", "--machine", vmMachine, "-o", "/proc/r.html"], env: ["FIT_DATA_DIR": empty])
        #expect(
            unwritable.code == 1 && unwritable.stderr.hasPrefix("fit: -o /proc/r.html cannot be written"),
            "\(unwritable.stderr)")
        let format = try await Fit.run(
            ["report", "--machine", vmMachine, "--format", "pdf"], env: ["FIT_DATA_DIR": empty])
        #expect(
            format.code == 64 && format.stderr == "fit: --format pdf is not a report format; use html, md or json\n")
    }
}

@Suite("fit fleet: many machines", .serialized)
struct FleetTests {
    let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-fleet-\(UUID().uuidString)").path
    func fit(_ args: [String]) async throws -> Fit { try await Fit.run(args, env: ["FIT_DATA_DIR": data]) }
    func sample(_ name: String) -> String { samples.appendingPathComponent("\(name).json").path }

    @Test("add reports, ask which machines run a model and how fast, re-adding replaces, and the comparison renders")
    func fleet() async throws {
        let add = try await fit([
            "fleet", "add", sample("rtx-4090-desktop"), sample("cpu-only-vm"), sample("m4-max-mac"),
        ])
        #expect(add.code == 0, "\(add.stderr)")
        #expect(add.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("added ") })
        let again = try await fit(["fleet", "add", sample("cpu-only-vm")])
        #expect(again.stdout.hasPrefix("replaced "))
        let q = try await fit(["fleet", "query", "qwen3.5-27b", "--ctx", "64k", "--json"])
        #expect(q.code == 0, "\(q.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.count == 3, "three machines, the re-added one once")
        #expect(rows.first?["verdict"] as? String == "fits-on-gpu", "the best machine first")
        let report = try await fit(["fleet", "report"])
        #expect(report.stdout.hasPrefix("# fit fleet: 3 machines"))
        let html = try await fit(["fleet", "report", "--format", "html"])
        #expect(html.stdout.contains("<table>") && html.code == 0)
    }

    @Test(
        "a report of an older schema, or a corrupt one, is refused with its version named, and the fleet is untouched")
    func badReports() async throws {
        _ = try await fit(["fleet", "add", sample("cpu-only-vm")])
        let dir = FileManager.default.temporaryDirectory
        let old = dir.appendingPathComponent("old-\(UUID().uuidString).json")
        let corrupt = dir.appendingPathComponent("bad-\(UUID().uuidString).json")
        try #"{"schema": "fit-report/0", "machine": {}}"#.write(to: old, atomically: true, encoding: .utf8)
        try String(try String(contentsOf: URL(fileURLWithPath: sample("dual-3090")), encoding: .utf8).prefix(500))
            .write(to: corrupt, atomically: true, encoding: .utf8)
        let r1 = try await fit(["fleet", "add", sample("dual-3090"), old.path])
        #expect(r1.code == 64 && r1.stderr.contains("is a report of schema fit-report/0; this fit reads fit-report/1"))
        let r2 = try await fit(["fleet", "add", corrupt.path])
        #expect(r2.code == 64 && r2.stderr.contains("is not a fit report (not a JSON object)"))
        let q = try await fit(["fleet", "report", "--format", "json"])
        #expect(
            (try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [Any])?.count == 1,
            "dual-3090 was not added beside the bad file")
    }
}

@Suite("the accuracy figures the docs cite", .onWorkerThreads)
struct AccuracyFileTests {
    @Test(
        "Reports/validation/accuracy.md is what fit validate prints today: the README and DECISIONS.md quote it, not copies"
    )
    func accuracyIsCurrent() async throws {
        let throughput = try await Fit.run(["validate", "throughput"])
        #expect(throughput.code == 0, "\(throughput.stderr)")
        let memory = try await Fit.run(["validate", "memory"])
        #expect(memory.code == 0, "\(memory.stderr)")
        let lines = memory.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let summary = lines.drop { !$0.hasPrefix("model: ") }.joined(separator: "\n")
        let expected = """
            # Accuracy, as `fit validate` prints it today

            Regenerated by `scripts/sample-reports.sh`; a test fails when this file is stale.

            ## fit validate throughput

            ```text
            \(throughput.stdout)```

            ## fit validate memory (summary; `fit validate memory` lists every case)

            ```text
            \(summary)```

            """
        let file = packageRoot.appendingPathComponent("Reports/validation/accuracy.md")
        let committed = try String(contentsOf: file, encoding: .utf8)
        #expect(committed == expected, "Reports/validation/accuracy.md is stale; run scripts/sample-reports.sh")
        for doc in ["README.md", "DECISIONS.md"] {
            let text = try String(contentsOf: packageRoot.appendingPathComponent(doc), encoding: .utf8)
            #expect(text.contains("Reports/validation/accuracy.md"), "\(doc) cites the file")
            #expect(
                !text.contains("median error 8.4%") && !text.contains("prefill median 21.8%"),
                "\(doc) quotes no stale copy")
        }
    }
}

@Suite("-o writes a regular file, atomically, and nothing else")
struct OutputFileTests {
    @Test("a FIFO, a device, a folder or a symlink named by -o is refused and left as it was")
    func refusesWhatIsNotAFile() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-o-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/fifo.html"
        #expect(mkfifo(fifo, 0o600) == 0)
        let target = dir + "/target.md"
        FileManager.default.createFile(atPath: target, contents: Data("keep".utf8))
        let link = dir + "/link.md"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        for (path, kind) in [(fifo, "a FIFO"), ("/dev/null", "a device"), (dir, "a folder"), (link, "a symbolic link")]
        {
            let r = try await Fit.run(["report", "--format", "md", "--machine", vmMachine, "-o", path])
            #expect(r.code == 64, "\(path): \(r.stderr)")
            #expect(
                r.stderr
                    == "fit: -o \(path) is \(kind), not a regular file; give a file path (or -o - for standard output)\n"
            )
        }
        var st = stat()
        #expect(lstat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO, "the FIFO is still a FIFO")
        #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK, "the link is still a link")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
        // A regular file is replaced whole, and no temporary file is left beside it.
        let ok = try await Fit.run(["report", "--format", "md", "--machine", vmMachine, "-o", target])
        #expect(ok.code == 0, "\(ok.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("# fit report"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["fifo.html", "link.md", "target.md"])
    }
}
