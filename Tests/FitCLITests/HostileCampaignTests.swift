import FitCatalog
import FitCore
import FitTestSupport
import Foundation
import Testing

/// The inputs of the hostile-input campaign against 3f8dbb9 (Tests/Fixtures/hostile/README.md):
/// each one that crashed, hung or was taken as sense now gets one line naming the input and the
/// range, and an exit code of 64 or 65.
@Suite("the hostile-input campaign: every input that broke fit gets one clear line")
struct HostileCampaignTests {
    static func files(_ folder: String) -> [String] {
        let dir = hostile.appendingPathComponent(folder).path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    /// One line on stderr, no raw control characters, no backtrace.
    static func oneClearLine(_ r: Fit) -> Bool {
        let lines = r.stderr.split(separator: "\n")
        return lines.count == 1 && lines[0].hasPrefix("fit: ") && !HostileInputTests.raw(r.stderr)
            && !r.stderr.contains("crashed")
    }

    // What each GGUF must be told apart by (the rest name a metadata key and its range).
    static let ggufSays: [String: String] = [
        "neg_blk.gguf": "negative block number",
        "dims_overflow.gguf": "more than 2^50 elements",
        "bytes_overflow.gguf": "more than 2^50 elements",
        "sum_overflow.gguf": "more than 2^50 elements",
        "no_tensors.gguf": "holds no tensors",
        "moe_expert_used_count_0.gguf": "qwen3moe.expert_used_count is 0; fit plans 1 to",
        "moe_used_neg.gguf": "expert_used_count is -3",
        "A_5797_hang.gguf": "expert_used_count is 1,099,511,627,776",
        "kv_embedding_length_4611686018427387904.gguf":
            "llama.embedding_length is 4,611,686,018,427,387,904; fit plans 1 to 131,072",
        "ff_min.gguf": "feed_forward_length is -9,223,372,036,854,775,808",
        "nk_plus1.gguf": "truncated",
    ]

    @Test("GGUF files that trapped, hung or planned as nonsense: exit 64 and one line", arguments: files("gguf"))
    func gguf(path: String) async throws {
        let r = try await Fit.run(["plan", path, "--json", "--machine", vmMachine])
        #expect(r.code == 64, "\(r.stderr)")
        #expect(Self.oneClearLine(r), "\(r.stderr)")
        let name = (path as NSString).lastPathComponent
        #expect(r.stderr.contains(Self.ggufSays[name] ?? "fit plans") || r.stderr.contains("it is corrupt"))
    }

    static let configSays: [String: String] = [
        "num_hidden_layers_9223372036854775807": "`num_hidden_layers` is 9223372036854775807, beyond any model",
        "num_hidden_layers_4611686018427387904": "`num_hidden_layers` is 4611686018427387904, beyond any model",
        "num_hidden_layers_1000000000000_0": "`num_hidden_layers` is 1,000,000,000,000; fit plans 1 to 1,024",
        "num_hidden_layers_-1": "`num_hidden_layers` is -1; it must be a positive integer",
        "vocab_size_32": "`vocab_size` is the string \"32\"; it must be an integer",
        "moe_used0": "`num_experts_per_tok` is 0",
        "num_key_value_heads_-1": "`num_key_value_heads` is -1; fit plans 1 to 4,096",
        "idx_i64max": "`metadata.total_size` is 9223372036854775807",
        "head_dim_1000000000000_0": "`head_dim` is 1,000,000,000,000; fit plans 1 to 8,192",
    ]

    @Test(
        "config.json folders that crashed (one with SIGSEGV) or planned negative sizes: exit 64 naming the key",
        arguments: files("hf"))
    func config(path: String) async throws {
        let name = (path as NSString).lastPathComponent
        let r = try await Fit.run(["plan", path, "--json", "--machine", vmMachine])
        if name == "quant_groupneg" {
            // GPTQ's group_size -1 is per-channel scales: a real answer, positive weights.
            #expect(r.code == 0, "\(r.stderr)")
            let weights = (try await r.json()["memory"] as? [String: Any])?["weightsBytes"] as? Int ?? -1
            #expect(weights > 4 << 30)
            return
        }
        #expect(r.code == 64, "\(r.stderr)")
        #expect(Self.oneClearLine(r), "\(r.stderr)")
        if let says = Self.configSays[name] { #expect(r.stderr.contains(says), "\(r.stderr)") }
    }

    @Test("--machine files with sizes no machine has: exit 64 naming the field and the range")
    func machines() async throws {
        let cases = [
            ("gpu_free_-9223372036854775808.json", "gpus.0.memoryFree is -9,223,372,036,854,775,808 bytes"),
            ("gpus_sum_overflow.json", "gpus.0.memoryTotal is 9,223,372,036,854,775,807 bytes"),
            ("ram_avail_-1.json", "memory.available is -1 bytes"),
            ("gpu_total_1.5.json", "1.5 is not a whole number of bytes"),
        ]
        for (file, says) in cases {
            let path = hostile.appendingPathComponent("machine/" + file).path
            for args in [["--ctx", "32k", "--json"], ["plan", "qwen3-8b", "--json"]] {
                let r = try await Fit.run(args + ["--machine", path])
                #expect(r.code == 64, "\(file): \(r.stderr)")
                #expect(Self.oneClearLine(r) && r.stderr.contains(says), "\(file): \(r.stderr)")
            }
        }
        // 10,000 GPUs (the campaign's 64-second case) is refused at once.
        let many = try Self.machine(gpus: 10_000)
        defer { try? FileManager.default.removeItem(atPath: many) }
        let r = try await Fit.run(["--machine", many, "--json"])
        #expect(r.code == 64 && r.stderr.contains("gpus (their count) is 10,000; fit reads 0 to 256"), "\(r.stderr)")
    }

    static func machine(gpus n: Int) throws -> String {
        let data = try Data(contentsOf: hostile.appendingPathComponent("machine/gpu_name_hostile.json"))
        var obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let gpus = obj["gpus"] as? [Any] ?? []
        obj["gpus"] = Array(repeating: gpus[0], count: n)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fit-gpus-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: obj).write(to: path)
        return path.path
    }

    static let nvidiaFakes = files("nvidia-smi").filter {
        // the hanging fakes take the 8-second timeout each; RunnerTests cover the timeout itself
        !["hang", "hang_setsid", "hang_setsid_exit", "ignore_term"].contains(($0 as NSString).lastPathComponent)
    }

    @Test(
        "fake nvidia-smi answers (absurd sizes, clocks, MIG profiles, garbage, 20,001 rows): fit probe never crashes",
        arguments: nvidiaFakes)
    func nvidiaSmi(fake: String) async throws {
        let path = fake + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let r = try await Fit.run(["probe", "--json"], env: ["PATH": path])
        #expect(r.code == 0, "\(r.stderr)")
        let j = try await r.json()
        let gpus = j["gpus"] as? [[String: Any]] ?? []
        let probe = (j["probes"] as? [[String: Any]] ?? []).first { $0["probe"] as? String == "nvidia-smi" }
        let name = (fake as NSString).lastPathComponent
        for g in gpus {
            let total = (g["memoryTotal"] as? [String: Any])?["value"] as? Int64
            #expect(total.map { $0 > 0 && $0 <= 1 << 41 } ?? true, "\(name): \(total ?? 0)")
        }
        switch name {
        case "garbage": #expect(probe?["status"] as? String == "error")
        case "garbage_csv": #expect(gpus.allSatisfy { ($0["name"] as? [String: Any])?["value"] as? String != "" })
        case "huge_rows": #expect(gpus.count == 256)
        case "exit255": #expect((probe?["detail"] as? String ?? "").contains("Driver/library version mismatch"))
        case "mem1e13", "mem1e15", "mem1e308", "meminf", "memnan", "memneg":
            #expect(gpus.allSatisfy { ($0["memoryTotal"] as? [String: Any])?["status"] as? String == "error" })
        default: break
        }
    }

    @Test("a catalog value past the ranges fails `fit catalog validate` (it used to pass, then crash every command)")
    func hugeCatalogValue() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-huge-cat-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("Catalog"), to: dir)
        let code = dir.appendingPathComponent("models/code.yaml")
        let text = try String(contentsOf: code, encoding: .utf8)
        try text.replacingOccurrences(of: "hiddenSize: 3072", with: "hiddenSize: 4611686018427387904").write(
            to: code, atomically: true, encoding: .utf8)
        let v = try await Fit.run(["catalog", "validate", "--catalog", dir.path])
        #expect(v.code == 65)
        #expect(v.stdout.contains("architecture.hiddenSize: is 4,611,686,018,427,387,904; fit plans 1 to 131,072"))
        let list = try await Fit.run(["--catalog", dir.path, "--ctx", "8k", "--machine", vmMachine])
        #expect(list.code == 65 && !list.stderr.contains("crashed"), "\(list.stderr)")
        // A broken agent-tasks file is a catalog problem too.
        let tasks = dir.appendingPathComponent("agent-tasks/advanced.yaml")
        try FileManager.default.removeItem(at: tasks)
        try FileManager.default.copyItem(
            at: hostile.appendingPathComponent("catalog/tasksbad-agent-tasks/advanced.yaml"), to: tasks)
        try text.write(to: code, atomically: true, encoding: .utf8)
        let t = try await Fit.run(["catalog", "validate", "--catalog", dir.path])
        #expect(t.code == 65, "\(t.stdout)")
    }

    @Test("`fit catalog add` of an entry past the ranges is refused and nothing is stored")
    func hugeUserEntry() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-huge-add-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let r = try await Fit.run(
            ["catalog", "add", hostile.appendingPathComponent("catalog/user-huge.yaml").path],
            env: ["FIT_DATA_DIR": data.path])
        #expect(r.code != 0 && r.stderr.contains("my-huge: architecture.hiddenSize: is 4,611,686,018,427,387,904"))
    }

    @Test(
        "a model imported before the ranges were checked is left out with a line saying how to remove it; every command still runs"
    )
    func poisonedImport() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-poison-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let store = try UserStore.open(at: data.appendingPathComponent("user.sqlite").path)
        var arch = ModelArchitecture(
            layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128, ffnSize: 14336, vocabSize: 128_256,
            contextLength: 131_072, tiedEmbeddings: false)
        arch.hiddenSize = 1 << 62
        let poison = CatalogModel(
            id: "poison", name: "poison", family: "llama", released: "", license: "", aliases: [], sources: ["x"],
            notes: nil, architecture: arch, quants: [])
        try store.add([poison], from: "poison.gguf", at: "2026-12-01T00:00:00Z")
        let env = ["FIT_DATA_DIR": data.path]
        for args in [
            ["--ctx", "8k", "--machine", vmMachine], ["choose", "--tier", "basic", "--machine", vmMachine],
            ["catalog", "list"],
            // loads the catalog twice (the model's name before the probe): the line still comes once
            ["bench", "runtime", "qwen3-0.6b", "--llama-bench", "/bin/true", "--machine", vmMachine],
        ] {
            let r = try await Fit.run(args, env: env)
            #expect(r.code == 0 || args[0] == "bench", "\(args): \(r.stderr)")
            #expect(
                r.stderr.contains("imported model `poison` is left out")
                    && r.stderr.contains("fit catalog remove poison"))
            #expect(r.stderr.components(separatedBy: "imported model `poison` is left out").count == 2, "\(r.stderr)")
        }
        let removed = try await Fit.run(["catalog", "remove", "poison"], env: env)
        #expect(removed.code == 0, "\(removed.stderr)")
        let after = try await Fit.run(["--ctx", "8k", "--machine", vmMachine], env: env)
        #expect(after.stderr.isEmpty, "\(after.stderr)")
    }

    @Test("a corrupt database is named as corrupt on reads, and set aside (kept, not replaced) by the next write")
    func corruptDatabase() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-corrupt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let db = data.appendingPathComponent("user.sqlite")
        try Data(String(repeating: "not a database ", count: 300).utf8).write(to: db)
        let env = ["FIT_DATA_DIR": data.path]
        let read = try await Fit.run(["--ctx", "8k", "--machine", vmMachine], env: env)
        #expect(read.code == 0)
        #expect(read.stderr.contains("user.sqlite is corrupt"), "\(read.stderr)")
        let write = try await Fit.run(
            ["fleet", "add", hostile.appendingPathComponent("goodA.json").path], env: env)
        #expect(write.code == 0, "\(write.stderr)")
        #expect(write.stderr.contains("was corrupt; it was moved to"), "\(write.stderr)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.contains(".corrupt-") }
        #expect(kept.count == 1)
        let old = try Data(contentsOf: data.appendingPathComponent(kept[0]))
        #expect(String(decoding: old, as: UTF8.self).hasPrefix("not a database"))
        let after = try await Fit.run(["fleet", "report", "--format", "md", "-o", "-"], env: env)
        #expect(after.code == 0 && after.stderr.isEmpty, "\(after.stderr)")
    }

    @Test("fleet reports with an empty id, negative RAM or absurd contexts are refused, nothing added")
    func absurdFleetReports() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-fleet-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let good = try Data(contentsOf: hostile.appendingPathComponent("goodA.json"))
        for (field, mutate) in [
            ("machine.id is empty", { (o: inout [String: Any]) in o["machine"] = Self.set(o, "id", "") }),
            (
                "machine.usableRAMBytes is -1",
                { (o: inout [String: Any]) in o["machine"] = Self.set(o, "usableRAMBytes", -1) }
            ),
            (
                "contexts holds 4,611,686,018,427,387,904",
                { (o: inout [String: Any]) in o["contexts"] = [8192, 1 << 62] }
            ),
        ] as [(String, (inout [String: Any]) -> Void)] {
            var obj = try JSONSerialization.jsonObject(with: good) as? [String: Any] ?? [:]
            mutate(&obj)
            let file = data.appendingPathComponent("bad.json")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: obj).write(to: file)
            let r = try await Fit.run(["fleet", "add", file.path], env: ["FIT_DATA_DIR": data.path])
            #expect(r.code == 64 && r.stderr.contains(field), "\(r.stderr)")
        }
    }

    static func set(_ o: [String: Any], _ key: String, _ value: Any) -> [String: Any] {
        var m = o["machine"] as? [String: Any] ?? [:]
        m[key] = value
        return m
    }

    @Test(
        "`fit bench calibration` lists this machine's corrections and the busy runs; --reset forgets them, keeps the runs"
    )
    func calibrationListAndReset() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fit-calib-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let machine = try JSONDecoder().decode(
            MachineDescription.self, from: Data(contentsOf: URL(fileURLWithPath: vmMachine)))
        let store = try UserStore.open(at: data.appendingPathComponent("user.sqlite").path)
        var busy = RuntimeMeasurement(
            model: "m.gguf", quant: "Q4_K_M", runtime: "llama-bench", measuredAt: "2026-12-01T00:00:00Z",
            promptTokens: 512, generatedTokens: 64, prefillTokensPerSecond: 100, decodeTokensPerSecond: 5,
            predictedPrefillTokensPerSecond: 200, predictedDecodeTokensPerSecond: 10, placement: "ram-only")
        busy.untrusted = "the machine was busy before the run (load 3.9 on 2 threads)"
        try store.add(runtime: busy, machine: machine.benchKey)
        try store.set(
            calibration: MachineCalibration(
                decodeFactor: 0.5, prefillFactor: 0.8, placement: "ram-only", measuredAt: "2026-12-01T00:00:00Z"),
            machine: machine.benchKey)
        let env = ["FIT_DATA_DIR": data.path]
        let list = try await Fit.run(["bench", "calibration", "--machine", vmMachine], env: env)
        #expect(list.code == 0, "\(list.stderr)")
        #expect(list.stdout.contains("ram-only: decode x0.50, prefill x0.80"), "\(list.stdout)")
        #expect(list.stdout.contains("1 of 1 measurements were taken on a busy machine"))
        let reset = try await Fit.run(["bench", "calibration", "--reset", "--machine", vmMachine], env: env)
        #expect(reset.code == 0 && reset.stdout.contains("Forgot 1 correction"), "\(reset.stderr)")
        let after = try await Fit.run(["bench", "calibration", "--json", "--machine", vmMachine], env: env)
        let j = try await after.json()
        #expect((j["corrections"] as? [Any])?.isEmpty == true && j["measurements"] as? Int == 1)
    }

    @Test(
        "command-line nonsense: a negative count names its range, an absurd --hardware is refused, a huge argument is not echoed whole",
        arguments: [
            (["--parallel", "-1"], "--parallel -1 must be between 1 and 256"),
            (["plan", "qwen3-8b", "--hardware", "99999999999999999999x RTX 3090"], "is not a hardware name"),
            (["plan", "qwen3-8b", "--hardware", "M4 Max 40-core -5GB"], "is not a hardware name"),
            (["--ctx", String(repeating: "x", count: 100_000)], "characters left out"),
        ])
    func commandLine(args: [String], says: String) async throws {
        let r = try await Fit.run(args + ["--machine", vmMachine])
        #expect(r.code == 64 && r.stderr.contains(says), "\(r.stderr.prefix(300))")
        #expect(r.stderr.count < 1200)
    }
}

let hfFixtures = packageRoot.appendingPathComponent("Tests/Fixtures/hf")

@Suite("the campaign's smaller findings: the message names the file and what is wrong with it")
struct CampaignFindingsTests {
    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fit-finding-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a model folder whose config.json is a broken link says so, not 'unknown model'")
    func danglingConfig() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("config.json").path, withDestinationPath: "../blobs/gone")
        let r = try await Fit.run(["plan", dir.path, "--machine", vmMachine])
        #expect(r.code == 64, "\(r.stderr)")
        #expect(r.stderr.contains("config.json: a broken link to ../blobs/gone, which does not exist"), "\(r.stderr)")
        #expect(!r.stderr.contains("unknown model"))
    }

    @Test("without a safetensors index the plan says its weights come from the format, not from the index")
    func noIndex() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(
            at: hfFixtures.appendingPathComponent("llama-3.1-8b-instruct/config.json"),
            to: dir.appendingPathComponent("config.json"))
        let r = try await Fit.run(["plan", dir.path, "--machine", vmMachine])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("weights from the format's bits per tensor"), "\(r.stdout.prefix(400))")
        try #"{"metadata": {"total_size": 16060522496}, "weight_map": {}}"#.write(
            to: dir.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        let indexed = try await Fit.run(["plan", dir.path, "--machine", vmMachine])
        #expect(indexed.stdout.contains("weights from the config.json and the safetensors index"), "\(indexed.stderr)")
    }

    @Test("fit validate memory --file with the wrong JSON names the field, in one line")
    func validationFile() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.json")
        try #"{"llamaCpp": {"version": 3}, "cases": []}"#.write(to: file, atomically: true, encoding: .utf8)
        let r = try await Fit.run(["validate", "memory", "--file", file.path])
        #expect(r.code == 65, "\(r.stderr)")
        #expect(r.stderr.contains("is not a validation file (`llamaCpp.version` is not a string)"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test("temporary files a killed fit left beside the catalog cache are removed by the next run")
    func staleTemporaries() async throws {
        let cache = try folder()
        defer { try? FileManager.default.removeItem(at: cache) }
        let gone = try await runChild("/bin/true", []).pid  // a process that has ended
        let stale = ["catalog.sqlite.\(gone).tmp", "catalog.sqlite.\(gone).tmp-journal"]
        for name in stale + ["catalog.sqlite.notes.txt"] {
            FileManager.default.createFile(atPath: cache.appendingPathComponent(name).path, contents: Data("x".utf8))
        }
        let r = try await Fit.run(["plan", "qwen3-0.6b", "--machine", vmMachine], env: ["FIT_CACHE_DIR": cache.path])
        #expect(r.code == 0, "\(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(left.contains("catalog.sqlite"))
        #expect(stale.allSatisfy { !left.contains($0) }, "\(left)")
        #expect(left.contains("catalog.sqlite.notes.txt"), "a file fit did not make is left alone")
    }

    @Test(
        "a catalog given with --catalog is named by its path in errors, and a tiers file that is not YAML gives the line"
    )
    func catalogErrorsNameTheFolderAndLine() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("my-catalog")
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("Catalog"), to: copy)
        let tiers = try #require(
            try FileManager.default.contentsOfDirectory(atPath: copy.appendingPathComponent("tiers").path).first)
        let file = copy.appendingPathComponent("tiers/" + tiers)
        var lines = try String(contentsOf: file, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        lines[4] += " : : [bad"
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        for args in [["catalog", "validate"], ["plan", "qwen3-8b", "--machine", vmMachine]] {
            let r = try await Fit.run(
                args + ["--catalog", copy.path], env: ["FIT_CACHE_DIR": dir.appendingPathComponent("cache").path])
            #expect(r.code == 65, "\(args): \(r.stderr)")
            // validate lists every problem on stdout; other commands say the first on stderr.
            let said = r.stdout + r.stderr
            #expect(said.contains("\(copy.path)/tiers/\(tiers): -: -: not valid YAML: 5:"), "\(args): \(said)")
        }
    }
}
