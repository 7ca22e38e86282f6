import FitCore
import Foundation
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let vmMachine = packageRoot.appendingPathComponent("Probes/machines/cpu-only-vm.json").path

/// Runs the built `fit` binary, as a user would.
struct Fit {
    var stdout: String, stderr: String, code: Int32

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["FIT_BINARY"] { return b }
        // The test bundle sits next to the products: .build/<triple>/debug/fitPackageTests.xctest
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("fit").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return packageRoot.appendingPathComponent(".build/debug/fit").path
    }

    static func run(_ args: [String], env: [String: String] = [:], executable: String? = nil) async throws -> Fit {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable ?? binary)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["FIT_CACHE_DIR"] =
            FileManager.default.temporaryDirectory.appendingPathComponent("fit-e2e-cache").path
        environment["NO_COLOR"] = "1"
        environment["FIT_DATA_DIR"] =
            FileManager.default.temporaryDirectory.appendingPathComponent("fit-e2e-data-none").path
        // No test reaches the internet or this machine's own Ollama models: an unknown Ollama name
        // meets a closed loopback port (refused at once) and an empty store, unless a test serves one.
        environment["FIT_OLLAMA_REGISTRY"] = "http://127.0.0.1:9"
        environment["OLLAMA_MODELS"] =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "fit-e2e-ollama-none"
            ).path
        environment["HF_ENDPOINT"] = "http://127.0.0.1:9"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        // Output goes to files, not pipes: nothing can block however much fit prints.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out")
        let errURL = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        // Awaited, not waited for: a blocked thread of the 2-thread cooperative pool would stall
        // every other test (the runner tests' children among them).
        let _: Int32 = try await withCheckedThrowingContinuation { done in
            p.terminationHandler = { done.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch {
                p.terminationHandler = nil
                done.resume(throwing: error)
            }
        }
        try out.close()
        try err.close()
        return Fit(
            stdout: try String(contentsOf: outURL, encoding: .utf8),
            stderr: try String(contentsOf: errURL, encoding: .utf8),
            code: p.terminationStatus)
    }

    func json() async throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] ?? [:]
    }
}

@Suite("fit, run as a user runs it", .serialized)
struct EndToEndTests {
    @Test("fit --ctx 65536 --json lists every catalog model and quant with a verdict")
    func list() async throws {
        let r = try await Fit.run(["--ctx", "65536", "--json", "--machine", vmMachine])
        #expect(r.code == 0, "\(r.stderr)")
        let j = try await r.json()
        #expect(j["context"] as? Int == 65536)
        let results = j["results"] as? [[String: Any]] ?? []
        #expect(results.count >= 100)
        let verdicts = Set(results.compactMap { $0["verdict"] as? String })
        #expect(verdicts.isSubset(of: ["fits-on-gpu", "partial-offload", "ram-only", "does-not-fit"]))
        #expect(verdicts.contains("ram-only") && verdicts.contains("does-not-fit") && !verdicts.contains("fits-on-gpu"))
        let llama = results.first {
            $0["model"] as? String == "llama-3.1-8b-instruct" && $0["quant"] as? String == "Q4_K_M"
        }
        let memory = llama?["memory"] as? [String: Any]
        #expect(memory?["kvCacheBytes"] as? Int == 8 << 30)  // 128 KiB/token x 65536
        #expect(llama?["maxContext"] as? Int == 131072)
    }

    @Test(
        "the first screen answers: one build per model that runs here, grouped by verdict, within 80 columns, no colour off a terminal"
    )
    func table() async throws {
        let r = try await Fit.run(["--ctx", "64k", "--machine", vmMachine], env: ["COLUMNS": "80"])
        #expect(r.code == 0)
        #expect(r.stdout.contains("What runs on this machine at 64k context"))
        #expect(r.stdout.contains("no GPU found"))
        #expect(r.stdout.contains("Fits in RAM only ("))
        #expect(!r.stdout.contains("does not fit"), "the first screen shows what runs")
        #expect(r.stdout.contains("--all") && r.stdout.contains("fit choose --tier"))
        #expect(r.stdout.contains("builds of") && r.stdout.contains("checked"))
        #expect(!r.stdout.contains("\u{1B}["))
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
        let heading = try #require(lines.firstIndex { $0.hasPrefix("Fits in RAM only (") })
        let rows = lines[(heading + 1)...].prefix { !$0.isEmpty && !$0.hasPrefix("20 fits") }
        #expect(
            rows.count == 20 && Set(rows.map { $0.split(separator: " ")[0] }).count == rows.count,
            "one row per model, 20 by default: \(rows)")
        // a narrow terminal drops columns, it never wraps
        let narrow = try await Fit.run(["--ctx", "64k", "--machine", vmMachine], env: ["COLUMNS": "50"])
        #expect(narrow.stdout.split(separator: "\n").allSatisfy { $0.count <= 50 })
        let header = narrow.stdout.split(separator: "\n").first { $0.hasPrefix("MODEL") } ?? ""
        #expect(header.contains("DECODE") && !header.contains("MAX CTX"), "\(header)")
    }

    @Test(
        "--all shows every build, --fits drops what does not fit, --limit and --sort order them, --csv has every column"
    )
    func tableOptions() async throws {
        let all = try await Fit.run(["--ctx", "64k", "--machine", vmMachine, "--all"])
        #expect(all.code == 0)
        #expect(all.stdout.contains("does not fit"))
        let fitting = try await Fit.run(["--ctx", "64k", "--machine", vmMachine, "--all", "--fits"])
        #expect(!fitting.stdout.contains("does not fit") && fitting.stdout.contains("fits in RAM only"))
        let csv = try await Fit.run([
            "--ctx", "64k", "--machine", vmMachine, "--csv", "--all", "--sort", "memory", "--limit", "5",
        ])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 6 && lines[0].hasPrefix("model,name,parameters"))
        let bytes = lines.dropFirst().compactMap { Int($0.split(separator: ",")[7]) }
        #expect(bytes.count == 5 && bytes == bytes.sorted(), "--sort memory: smallest first")
        let bad = try await Fit.run(["--sort", "speed"])
        #expect(bad.code == 64 && bad.stderr.contains("--sort speed") && bad.stderr.split(separator: "\n").count == 1)
    }

    @Test("fit plan: the breakdown is stable and documented (JSON field names)")
    func planJSON() async throws {
        let r = try await Fit.run([
            "plan", "Qwen/Qwen3-Coder-30B-A3B-Instruct", "--ctx", "32k", "--json", "--machine", vmMachine, "--vram",
            "24GiB",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let j = try await r.json()
        let memory = j["memory"] as? [String: Int] ?? [:]
        for key in ["weightsBytes", "kvCacheBytes", "computeBytes", "outputBytes", "overheadBytes", "totalBytes"] {
            #expect(memory[key] != nil, "memory.\(key) missing")
        }
        #expect(memory["totalBytes"] == memory.filter { $0.key != "totalBytes" }.values.reduce(0, +))
        #expect(j["fits"] as? Bool == true)
        #expect(j["verdict"] as? String == "fits-on-gpu")
        #expect(j["maxContext"] is Int)
        #expect((j["devices"] as? [[String: Any]])?.count == 2)
        #expect((j["model"] as? [String: Any])?["id"] as? String == "qwen3-coder-30b-a3b-instruct")
    }

    @Test("fit plan text matches its snapshot (FIT_RECORD=1 re-records)")
    func planSnapshot() async throws {
        let r = try await Fit.run(["plan", "llama3.1:8b", "--ctx", "64k", "--machine", vmMachine, "--vram", "12GiB"])
        #expect(r.code == 0)
        let path = packageRoot.appendingPathComponent("Tests/FitCLITests/Snapshots/plan-llama3.1-8b-64k-12gib.txt")
        if ProcessInfo.processInfo.environment["FIT_RECORD"] != nil {
            try r.stdout.write(to: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: path, encoding: .utf8)
        #expect(r.stdout == expected)
    }

    @Test("fit probe --json round-trips through --machine")
    func probeRoundTrip() async throws {
        let saved = try await Fit.run(["probe", "--json", "--machine", vmMachine])
        #expect(saved.code == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fit-box-\(UUID().uuidString).json")
        try saved.stdout.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let again = try await Fit.run(["probe", "--json", "--machine", file.path])
        #expect(again.stdout == saved.stdout)
    }

    @Test("the live probe on this machine runs and says what it found")
    func liveProbe() async throws {
        let r = try await Fit.run(["probe"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("probe.nvidia-smi"))
        #expect(r.stdout.contains("cpu.model"))
    }

    @Test(
        "bad input: one line naming the input and the fix, exit 64",
        arguments: [
            (["--ctx", "-1"], "--ctx -1"), (["--ctx", "10G"], "--ctx 10G"), (["--ctx", "0"], "--ctx 0"),
            (["--ctx", "99999999999"], "--ctx 99999999999"),
            (["plan", "llama3.1:8b", "--quant", "Q9_X"], "--quant Q9_X"),
            (["plan", "lama-3.1-8b"], "closest catalog entries: llama-3.1-8b-instruct"),
            (["--machine", "/nonexistent.json"], "--machine /nonexistent.json"),
            (["--machine", "Package.swift"], "--machine Package.swift is not a machine description"),
            (["plan", "llama3.1:8b", "--kv-type", "q4_0", "--flash-attn", "off"], "needs --flash-attn on"),
            (["--vram", "24XB"], "--vram 24XB"),
            (["--no-such-flag"], "--no-such-flag"),
        ])
    func badInput(_ args: [String], _ mentions: String) async throws {
        let r = try await Fit.run(args + (args.contains("--machine") ? [] : ["--machine", vmMachine]))
        #expect(r.code == 64)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("fit: ") && r.stderr.contains(mentions), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test("a catalog file with a wrong type: one line, file: entry: field: problem, exit 65")
    func badCatalog() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-badcat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("models"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try String(
            contentsOf: packageRoot.appendingPathComponent("Catalog/models/phi.yaml"), encoding: .utf8)
        let bad = good.replacingOccurrences(of: "layers: 40", with: "layers: forty")
        #expect(bad != good)
        try bad.write(to: dir.appendingPathComponent("models/phi.yaml"), atomically: true, encoding: .utf8)
        let r = try await Fit.run(["--machine", vmMachine, "--catalog", dir.path])
        #expect(r.code == 65)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.contains("models/phi.yaml: phi-4: architecture.layers: must be an integer"), "\(r.stderr)")
    }
}

@Suite("Safetensors builds: MLX, AWQ/GPTQ, FP8 from the catalog", .serialized)
struct SafetensorsBuildEndToEndTests {
    let mac = packageRoot.appendingPathComponent("Probes/machines/m2-macbook-air.json").path

    @Test("a listed MLX repo plans by its id: the published size, Metal's share, an mlx_lm launch line")
    func byRepo() async throws {
        let r = try await Fit.run([
            "plan", "mlx-community/Qwen3.5-27B-4bit", "--ctx", "32k", "--json", "--machine", mac,
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let j = try await r.json()
        #expect(j["quant"] as? String == "MLX-4bit (mlx-community/Qwen3.5-27B-4bit)")
        #expect(j["weightsSource"] as? String == "published")
        // 16,054,266,848 bytes published (exo's model card); the layout is scaled to it
        let weights = ((j["memory"] as? [String: Any])?["weightsBytes"] as? Int64) ?? 0
        #expect(abs(weights - 16_054_266_848) < 1024)
        // 15 GiB of weights do not fit in the 16 GiB Metal lets this 24 GB Mac keep resident, with the KV cache
        #expect(j["verdict"] as? String != "gpu")
        #expect(j["llamaServer"] as? [String] == ["mlx_lm.server", "--model", "mlx-community/Qwen3.5-27B-4bit"])
    }

    @Test("--quant names a format: the listed repo when there is one, else sized from the format and said so")
    func byFormat() async throws {
        let listed = try await Fit.run([
            "plan", "qwen3.5-27b", "--quant", "gptq-4bit", "--ctx", "32k", "--hardware", "RTX 4090", "--machine",
            vmMachine,
        ])
        #expect(listed.code == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("GPTQ-4bit (Qwen/Qwen3.5-27B-GPTQ-Int4)"))
        #expect(listed.stdout.contains("Launch: vllm serve Qwen/Qwen3.5-27B-GPTQ-Int4 --max-model-len 32768"))
        let unlisted = try await Fit.run([
            "plan", "llama-3.1-8b-instruct", "--quant", "MLX-3bit", "--ctx", "8k", "--machine", mac,
        ])
        #expect(unlisted.code == 0, "\(unlisted.stderr)")
        #expect(unlisted.stdout.contains("not a listed build of llama-3.1-8b-instruct"))
        let bad = try await Fit.run(["plan", "qwen3.5-27b", "--quant", "EXL2", "--machine", mac])
        #expect(bad.code == 64 && bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("--quant EXL2"))
    }

    @Test("fit catalog list --json names each local model's GGUF quants and safetensors formats")
    func listed() async throws {
        let r = try await Fit.run(["catalog", "list", "--kind", "local", "--json"])
        #expect(r.code == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let qwen = try #require(rows.first { $0["id"] as? String == "qwen3.5-27b" })
        #expect((qwen["formats"] as? [String])?.contains("MLX-4bit") == true)
        #expect((qwen["quants"] as? [String])?.contains("Q4_K_M") == true)
    }
}

@Suite("fit --hardware", .serialized)
struct HardwareEndToEndTests {
    @Test("2x RTX 3090 plans per device, with this machine's RAM")
    func dual3090() async throws {
        let r = try await Fit.run([
            "plan", "llama-3.3-70b-instruct", "--ctx", "32k", "--json", "--hardware", "2x RTX 3090", "--machine",
            vmMachine,
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let j = try await r.json()
        let gpus = (j["devices"] as? [[String: Any]] ?? []).filter { ($0["id"] as? String) != "cpu" }
        #expect(gpus.count == 2)
        for g in gpus {
            let capacity = g["capacityBytes"] as? Int
            #expect(capacity == (24576 - 1024) << 20)
        }
    }

    @Test(
        "unknown and ambiguous hardware names: one line, exit 64",
        arguments: [
            ("RTX 3099", "closest: NVIDIA GeForce RTX 3090"), ("RX 7900", "matches several"),
            ("0x RTX 3090", "is not a hardware name"),
        ])
    func badNames(_ name: String, _ mentions: String) async throws {
        let r = try await Fit.run(["--hardware", name, "--machine", vmMachine])
        #expect(r.code == 64)
        let lines = r.stderr.split(separator: "\n").count
        #expect(lines == 1)
        #expect(r.stderr.contains(mentions), "\(r.stderr)")
    }
}

@Suite("Every recorded machine probes to its expected description")
struct RecordedMachineTests {
    static let names: [String] =
        (try? FileManager.default.contentsOfDirectory(
            atPath: packageRoot.appendingPathComponent("Probes/fixtures").path
        ).sorted()) ?? []

    @Test(
        "fit probe --json --sysroot FIXTURE matches Probes/machines/FIXTURE.json (scripts/record-machines.sh re-records)",
        arguments: names)
    func machine(_ name: String) async throws {
        let r = try await Fit.run([
            "probe", "--json", "--sysroot", packageRoot.appendingPathComponent("Probes/fixtures/\(name)").path + "/",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let expected = try String(
            contentsOf: packageRoot.appendingPathComponent("Probes/machines/\(name).json"), encoding: .utf8)
        #expect(
            r.stdout == expected,
            "\(name): the probe's answer changed; if that is right, run scripts/record-machines.sh")
    }

    @Test("there are recorded machines to check")
    func some() { #expect(Self.names.count >= 8) }
}

@Suite("fit plan FILE.gguf", .serialized)
struct GGUFEndToEndTests {
    let smol = packageRoot.appendingPathComponent("Tests/Fixtures/gguf/SmolLM2-135M-Instruct.Q4_1.header.gguf").path

    @Test("plans from the file's metadata and tensor table")
    func plan() async throws {
        let r = try await Fit.run(["plan", smol, "--ctx", "8k", "--json", "--machine", vmMachine])
        #expect(r.code == 0, "\(r.stderr)")
        let j = try await r.json()
        #expect(j["weightsSource"] as? String == "gguf")
        #expect(j["quant"] as? String == "Q4_1")
        #expect((j["memory"] as? [String: Any])?["kvCacheBytes"] as? Int == 30 * 8192 * 3 * 64 * 2 * 2)
        #expect((j["llamaServer"] as? [String])?.contains(smol) == true)
    }

    @Test(
        "a corrupt or missing GGUF: one line naming the file and what is wrong, exit 64",
        arguments: [
            ("Package.swift.gguf", "no such file"), ("corrupt", "it is not a GGUF file"),
        ])
    func bad(_ which: String, _ mentions: String) async throws {
        var path = which
        if which == "corrupt" {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent("fit-corrupt-\(UUID().uuidString).gguf")
                .path
            try "this is not a model".write(toFile: path, atomically: true, encoding: .utf8)
        }
        defer { if which == "corrupt" { try? FileManager.default.removeItem(atPath: path) } }
        let r = try await Fit.run(["plan", path, "--machine", vmMachine])
        #expect(r.code == 64)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.contains(mentions), "\(r.stderr)")
    }
}

@Suite("fit catalog import", .serialized)
struct ImportEndToEndTests {
    @Test("a GGUF joins the user's catalog, is planned by its id, and is never imported twice")
    func importAndPlan() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let file = packageRoot.appendingPathComponent("Tests/Fixtures/gguf/SmolLM2-135M-Instruct.Q4_1.header.gguf").path
        let env = ["FIT_DATA_DIR": data]
        let first = try await Fit.run(["catalog", "import", file, "--id", "my-smollm2"], env: env)
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("imported my-smollm2: llama, 30 layers, Q4_1"))
        let plan = try await Fit.run(["plan", "my-smollm2", "--ctx", "8k", "--json", "--machine", vmMachine], env: env)
        #expect(plan.code == 0)
        await #expect((try plan.json()["quant"]) as? String == "Q4_1")
        let again = try await Fit.run(["catalog", "import", file, "--id", "my-smollm2"], env: env)
        #expect(again.code == 64 && again.stderr.contains("already imported"))
        let clash = try await Fit.run(["catalog", "import", file, "--id", "llama-3.1-8b-instruct"], env: env)
        #expect(clash.code == 64 && clash.stderr.contains("already a catalog model"))
        // ...and it can be removed again; the shipped catalog cannot.
        let removed = try await Fit.run(["catalog", "remove", "my-smollm2"], env: env)
        #expect(removed.code == 0 && removed.stdout.hasPrefix("removed my-smollm2"), "\(removed.stderr)")
        let gone = try await Fit.run(["plan", "my-smollm2", "--machine", vmMachine], env: env)
        #expect(gone.code == 64 && gone.stderr.contains("unknown model `my-smollm2`"))
        let twice = try await Fit.run(["catalog", "remove", "my-smollm2"], env: env)
        #expect(twice.code == 64 && twice.stderr.contains("is not an imported model"))
        let shipped = try await Fit.run(["catalog", "remove", "llama-3.1-8b-instruct"], env: env)
        #expect(shipped.code == 64 && shipped.stderr.contains("shipped catalog entries cannot be removed"))
    }
}

@Suite("fit catalog", .serialized)
struct CatalogEndToEndTests {
    @Test("list --kind cloud --json: each entry with its id and kind")
    func listCloud() async throws {
        let r = try await Fit.run(["catalog", "list", "--kind", "cloud", "--json"])
        #expect(r.code == 0, "\(r.stderr)")
        let entries = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(entries.count >= 20)
        #expect(entries.allSatisfy { ($0["kind"] as? String) == "cloud" && $0["id"] is String })
    }

    @Test("evidence MODEL shows measurements with their sources")
    func evidence() async throws {
        let r = try await Fit.run(["catalog", "evidence", "qwen3-coder:30b"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Throughput (") && r.stdout.contains("[github.com/"))
    }

    @Test("the summary says how old the catalog is and what lacks sources")
    func summary() async throws {
        let r = try await Fit.run(["catalog"])
        #expect(r.code == 0)
        #expect(r.stdout.contains("cloud prices dated") && r.stdout.contains("every entry cites a source"))
    }
}

@Suite("fit catalog scan and add", .serialized)
struct ScanAddEndToEndTests {
    /// A home folder laid out as the Hugging Face cache and Ollama lay out theirs, holding real GGUF headers.
    func home() async throws -> String {
        let h = FileManager.default.temporaryDirectory.appendingPathComponent("fit-home-\(UUID().uuidString)").path
        let hf = h + "/.cache/huggingface/hub/models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF/snapshots/abc"
        let ollama = h + "/.ollama/models"
        for d in [hf, ollama + "/manifests/registry.ollama.ai/library/gemma3", ollama + "/blobs"] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/gguf").path
        try FileManager.default.copyItem(
            atPath: fixtures + "/SmolLM2-135M-Instruct.Q4_1.header.gguf",
            toPath: hf + "/smollm2-135m-instruct-q4_1.gguf")
        try FileManager.default.copyItem(
            atPath: fixtures + "/gemma-3-270m-q4_k_m.header.gguf", toPath: ollama + "/blobs/sha256-aaaa")
        try #"{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:aaaa"}]}"#
            .write(
                toFile: ollama + "/manifests/registry.ollama.ai/library/gemma3/270m", atomically: true, encoding: .utf8)
        try "not json".write(
            toFile: ollama + "/manifests/registry.ollama.ai/library/gemma3/broken", atomically: true, encoding: .utf8)
        return h
    }

    @Test(
        "scan finds the Hugging Face cache and Ollama's store, matches the catalog, and warns about what it cannot read"
    )
    func scan() async throws {
        let h = try await home()
        defer { try? FileManager.default.removeItem(atPath: h) }
        // OLLAMA_MODELS empty: the store under HOME, as on a machine that never set it.
        let r = try await Fit.run(
            ["catalog", "scan", "--json"], env: ["HOME": h, "FIT_DATA_DIR": h + "/data", "OLLAMA_MODELS": ""])
        #expect(r.code == 0, "\(r.stderr)")
        let found = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
        let smol = found.first { $0["location"] as? String == "huggingface" }
        #expect(smol?["name"] as? String == "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF")
        #expect(smol?["catalogModel"] as? String == "smollm2-135m-instruct")
        #expect(smol?["quant"] as? String == "Q4_1")
        let gemma = found.first { $0["location"] as? String == "ollama" }
        #expect(gemma?["name"] as? String == "gemma3:270m" && gemma?["architecture"] as? String == "gemma3")
        #expect(r.stderr.contains("is not an Ollama manifest fit can read; skipped"))
    }

    @Test("add from a YAML file: validated like the catalog, kept across catalog rebuilds, never added twice")
    func add() async throws {
        let h = try await home()
        defer { try? FileManager.default.removeItem(atPath: h) }
        let file = h + "/mine.yaml"
        try """
        schema: 1
        models:
          - id: my-tiny-1b
            name: My Tiny 1B
            family: tiny
            released: 2026-11-01
            license: mit
            sources: [my own config.json]
            architecture: {layers: 16, hiddenSize: 2048, heads: 32, kvHeads: 8, headDim: 64, ffnSize: 8192, vocabSize: 128256, contextLength: 131072, tiedEmbeddings: true}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let cache = h + "/cache"
        let env = ["FIT_DATA_DIR": h + "/data", "FIT_CACHE_DIR": cache]
        #expect(try await Fit.run(["catalog", "add", file], env: env).code == 0)
        // the catalog cache is derived and may be deleted; the user's additions are not in it
        try? FileManager.default.removeItem(atPath: cache)
        let plan = try await Fit.run(["plan", "my-tiny-1b", "--json", "--machine", vmMachine], env: env)
        #expect(plan.code == 0, "\(plan.stderr)")
        let again = try await Fit.run(["catalog", "add", file], env: env)
        #expect(again.code == 64 && again.stderr.split(separator: "\n").count == 1)
        try (try String(contentsOfFile: file, encoding: .utf8)).replacingOccurrences(
            of: "layers: 16", with: "layers: many"
        )
        .replacingOccurrences(of: "my-tiny-1b", with: "my-tiny-2b").write(
            toFile: file, atomically: true, encoding: .utf8)
        let bad = try await Fit.run(["catalog", "add", file], env: env)
        #expect(bad.code == 64 && bad.stderr.contains("my-tiny-2b: architecture.layers: must be an integer"))
    }
}

@Suite("fit plan speed", .serialized)
struct SpeedEndToEndTests {
    @Test("on a GPU from the table: decode empty and at depth, prefill, time to first token")
    func gpu() async throws {
        let r = try await Fit.run([
            "plan", "llama3.1:8b", "--ctx", "32k", "--json", "--hardware", "RTX 4090", "--machine", vmMachine,
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let t = try await r.json()["throughput"] as? [String: Any]
        let empty = t?["decodeTokensPerSecond"] as? Double ?? 0
        let atContext = t?["decodeTokensPerSecondAtContext"] as? Double ?? 0
        #expect(empty > 50 && empty < 300)
        #expect(atContext < empty)
        #expect((t?["prefillTokensPerSecond"] as? Double ?? 0) > 1000)
        #expect(t?["timeToFirstTokenSeconds"] is Double)
    }

    @Test(
        "when the catalog measured this model, quant and GPU, the measurement stands beside the estimate, with its source"
    )
    func measuredBeside() async throws {
        let r = try await Fit.run([
            "plan", "gpt-oss-20b", "--ctx", "8k", "--json", "--hardware", "RTX 4090", "--machine", vmMachine,
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let measured = await (try r.json()["throughput"] as? [String: Any])?["measured"] as? [[String: Any]] ?? []
        #expect(
            measured.contains {
                ($0["test"] as? String) == "tg128" && ($0["source"] as? String ?? "").contains("github.com")
            })
    }

    @Test(
        "fit --json on a known GPU: decode speed for every row that runs, from the GPU's and the RAM's bandwidth; none for rows that do not fit"
    )
    func listSpeeds() async throws {
        let r = try await Fit.run(["--ctx", "32k", "--json", "--hardware", "RTX 4090", "--machine", vmMachine])
        #expect(r.code == 0, "\(r.stderr)")
        let rows = try await r.json()["results"] as? [[String: Any]] ?? []
        let onGPU = rows.filter { $0["verdict"] as? String == "fits-on-gpu" }
        #expect(!onGPU.isEmpty && onGPU.allSatisfy { ($0["decodeTokensPerSecond"] as? Double ?? 0) > 0 })
        #expect(
            rows.filter { $0["verdict"] as? String == "does-not-fit" }.allSatisfy {
                $0["decodeTokensPerSecond"] is NSNull
            })
        let partial = rows.filter { $0["verdict"] as? String == "partial-offload" }
        #expect(!partial.isEmpty && partial.allSatisfy { ($0["decodeTokensPerSecond"] as? Double ?? 0) > 0 })
        // A layer in RAM is slower than on the GPU: the same model runs faster fully on the GPU.
        let gpuSpeed = onGPU.compactMap { $0["decodeTokensPerSecond"] as? Double }.max() ?? 0
        #expect(partial.allSatisfy { ($0["decodeTokensPerSecond"] as? Double ?? 0) < gpuSpeed })
    }

    @Test("on a CPU: an estimate from RAM bandwidth, saying it was assumed until fit bench hardware measures it")
    func cpu() async throws {
        let r = try await Fit.run(["plan", "llama3.1:8b", "--json", "--machine", vmMachine])
        let t = try await r.json()["throughput"] as? [String: Any]
        let decode = t?["decodeTokensPerSecond"] as? Double ?? 0
        // Q4_K_M 8B reads ~4.6 GB per token: at most 60 GB/s / 4.6 GB = 13 t/s, and above 1.
        #expect(decode > 1 && decode < 13)
        #expect((t?["note"] as? String)?.contains("assumed 60 GB/s (run `fit bench hardware`") == true)
        #expect(t?["device"] as? String == "CPU")
    }

    @Test(
        "partial offload onto a GPU the hardware table does not know: no number it cannot stand behind, and it says why"
    )
    func unknownGPU() async throws {
        let r = try await Fit.run([
            "plan", "llama3.1:8b", "--ctx", "64k", "--json", "--machine", vmMachine, "--vram", "6GiB",
        ])
        let t = try await r.json()["throughput"] as? [String: Any]
        #expect(t?["decodeTokensPerSecond"] == nil || t?["decodeTokensPerSecond"] is NSNull)
        #expect((t?["note"] as? String)?.hasPrefix("no estimate") == true)
    }
}
