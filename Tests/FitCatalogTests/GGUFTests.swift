import FitCatalog
import FitTestSupport
import Foundation
import Testing

@testable import FitCore

let ggufFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/gguf").path
let smolLM2 = ggufFixtures + "/SmolLM2-135M-Instruct.Q4_1.header.gguf"
let gemma270M = ggufFixtures + "/gemma-3-270m-q4_k_m.header.gguf"

@Suite("GGUF headers of real models", .onWorkerThreads)
struct GGUFRealFileTests {
    @Test("SmolLM2-135M Q4_1: llama architecture, tied embeddings, exact tensor bytes")
    func smol() throws {
        let m = try GGUFLoader.model(at: smolLM2)
        #expect(m.architectureName == "llama")
        #expect(m.fileType == "Q4_1")
        let a = m.architecture
        #expect(a.layers == 30 && a.hiddenSize == 576 && a.heads == 9 && a.kvHeads == 3 && a.headDim == 64)
        #expect(a.vocabSize == 49152 && a.contextLength == 8192 && a.tiedEmbeddings)
        // the tensor table accounts for the whole data section, up to alignment padding
        let data: Int64 = 98_362_432 - 1_785_664
        #expect(m.weights.fileTensorBytes <= data && data - m.weights.fileTensorBytes < 32 * 272)
        #expect(m.assumptions.isEmpty)
    }

    @Test("Gemma 3 270M Q4_K_M: sliding window 512 on 5 of every 6 layers, head dim 256")
    func gemma() throws {
        let m = try GGUFLoader.model(at: gemma270M)
        #expect(m.architectureName == "gemma3")
        #expect(m.fileType == "Q4_K_M")
        let a = m.architecture
        #expect(a.layers == 18 && a.hiddenSize == 640 && a.heads == 4 && a.kvHeads == 1 && a.headDim == 256)
        #expect(a.slidingWindow == .init(window: 512, globalEvery: 6))
        #expect(a.vocabSize == 262_144 && a.tiedEmbeddings)
        let data: Int64 = 253_113_024 - 6_525_120
        #expect(m.weights.fileTensorBytes <= data && data - m.weights.fileTensorBytes < 32 * 236)
    }

    /// llama.cpp b11312 on this project's AVX2 VM: "CPU_REPACK model buffer size = 12.66 MiB"
    /// (Reports/validation/llamacpp-memory.json).
    @Test("CPU_REPACK on AVX2: the Q4_K matrices with ne[1] % 8 == 0, as llama.cpp allocated them")
    func gemmaRepack() throws {
        let m = try GGUFLoader.model(at: gemma270M)
        let repack = m.weights.perLayerRepack.reduce(0, +) + m.weights.outputRepack
        #expect(abs(ByteCount(repack).mib - 12.66) < 0.01, "\(ByteCount(repack).mib) MiB")
        // SmolLM2 is Q4_1, which AVX2 does not repack
        let smol = try GGUFLoader.model(at: smolLM2)
        #expect(smol.weights.perLayerRepack.reduce(0, +) + smol.weights.outputRepack == 0)
    }

    @Test("the planner's KV for Gemma 3 270M: 3 global layers at full context, 15 at window + ubatch")
    func gemmaKV() throws {
        let m = try GGUFLoader.model(at: gemma270M)
        let p = MemoryPlanner(architecture: m.architecture, weights: m.weights, memo: Ref.memo)
        let o = PlanOptions(context: TokenCount(32768))
        let kv = (0..<18).reduce(Int64(0)) { $0 + p.kvBytes(layer: $1, o) }
        let perCell: Int64 = 1 * (256 + 256) * 2
        #expect(kv == 3 * 32768 * perCell + 15 * 1024 * perCell)
    }
}

@Suite("Gemma 4: global layers of their own shape, read from the GGUF header", .onWorkerThreads)
struct GGUFGemma4Tests {
    @Test(
        "per-layer KV heads, key_length vs key_length_swa, the pattern array and the missing attn_v become the architecture"
    )
    func gemma4() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gguf/gemma-4-31b-it.Q6_K.header.gguf").path
        let g = try GGUFLoader.model(at: path)
        let a = g.architecture
        #expect(a.layers == 60 && a.headDim == 256 && a.kvHeads == 16)
        #expect(
            a.slidingWindow
                == .init(window: 1024, globalEvery: 6, globalKvHeads: 4, globalHeadDim: 512, globalSharedKV: true))
        #expect(a.kvHeads(layer: 5) == 4 && a.headDim(layer: 5) == 512 && !a.hasValueProjection(layer: 5))
        #expect(a.kvHeads(layer: 4) == 16 && a.headDim(layer: 4) == 256 && a.hasValueProjection(layer: 4))
        // llama.cpp b11312 allocates 11440 MiB of f16 KV at 131072 cells with flash attention, 16560 without
        // (V rows as wide as the widest layer's): Reports/validation/llamacpp-memory.json
        let planner = MemoryPlanner(architecture: a, weights: g.weights, memo: Ref.memo)
        let kv = { (fa: Bool) in
            (0..<a.layers).reduce(Int64(0)) {
                $0 + planner.kvBytes(layer: $1, PlanOptions(context: TokenCount(131072), flashAttention: fa))
            }
        }
        #expect(kv(true) == 11440 << 20)
        #expect(kv(false) == 16560 << 20)
    }
}

@Suite("Multi-token-prediction blocks: in the file, not in memory", .onWorkerThreads)
struct GGUFMTPTests {
    @Test("GLM-4.5-Air's NextN block: the plan has 46 layers and leaves blk.46 out; the file size keeps it")
    func glm() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gguf/glm-4.5-air.Q8_0.header.gguf").path
        let g = try GGUFLoader.model(at: path)
        #expect(g.architecture.layers == 46 && g.architecture.mtpLayers == 1)
        #expect(g.weights.perLayer.count == 46)
        let inMemory = g.weights.perLayer.reduce(0, +) + g.weights.tokenEmbedding + g.weights.outputLayer
        // llama.cpp b11312 maps 108340 MiB of this shape and skips 2,415 MiB of blk.46 (Reports/validation)
        #expect(abs(Double(inMemory) / 1_048_576 - 108340.16) < 2)
        #expect(g.weights.fileTensorBytes - inMemory > 2_400 << 20)
        #expect(g.assumptions.contains { $0.contains("multi-token-prediction") })
    }
}

@Suite("Corrupt GGUF input: a clear error, never a crash or an unbounded allocation", .onWorkerThreads)
struct GGUFBadInputTests {
    let header = [UInt8](FileManager.default.contents(atPath: smolLM2) ?? Data())

    @Test("not GGUF, truncated, big-endian, unknown version")
    func errors() {
        #expect(throws: GGUFError.notGGUF) { try GGUFReader.parse(Array("PK\u{3}\u{4}not a model".utf8)) }
        #expect(throws: GGUFError.truncated(needAtLeast: 24)) { try GGUFReader.parse([0x47]) }
        var be = header
        be[4] = 0
        be[5] = 0
        be[6] = 0
        be[7] = 3
        #expect(throws: GGUFError.bigEndian) { try GGUFReader.parse(be) }
        var v9 = header
        v9[4] = 9
        #expect(throws: GGUFError.unsupportedVersion(9)) { try GGUFReader.parse(v9) }
        do {
            _ = try GGUFReader.parse(Array(header.prefix(100_000)))
            Issue.record("a truncated header parsed")
        } catch {
            guard case .truncated = error else {
                Issue.record("\(error)")
                return
            }
        }
    }

    @Test("a declared array of 2^60 elements is refused before any allocation")
    func hugeArray() {
        // GGUF v3: magic, version, 0 tensors, 1 kv: key "k", type array(9) of u8(0), count 2^60
        var b: [UInt8] = Array("GGUF".utf8) + [3, 0, 0, 0] + le(0, 8) + le(1, 8) + le(1, 8) + Array("k".utf8)
        b += le(9, 4) + le(0, 4) + le(1 << 60, 8)
        #expect(throws: GGUFError.self) { try GGUFReader.parse(b) }
    }

    @Test("version 1 files (32-bit counts and lengths) parse too")
    func version1() throws {
        var b: [UInt8] = Array("GGUF".utf8) + [1, 0, 0, 0] + le(1, 4) + le(1, 4)
        b += le(20, 4) + Array("general.architecture".utf8) + le(8, 4) + le(5, 4) + Array("llama".utf8)
        b += le(17, 4) + Array("token_embd.weight".utf8) + le(2, 4) + le(64, 4) + le(10, 4) + le(0, 4) + le(0, 8)
        let f = try GGUFReader.parse(b)
        #expect(f.version == 1 && f.architectureName == "llama")
        #expect(f.tensors.first?.dims == [64, 10] && f.tensors.first?.bytes == 64 * 10 * 4)
    }

    /// Seeded mutations of a real header: byte flips, inflated lengths, truncations.
    @Test("fuzz: 500 mutated real headers never crash")
    func fuzz() {
        var rng = SplitMix64(seed: 0x5EED)
        var survived = 0
        var rejected = 0
        let base = header
        for _ in 0..<500 {
            var b = base
            for _ in 0..<Int(rng.next() % 8 + 1) {
                let i = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 4 {
                case 0: b[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b[i] = 0xff
                case 2: if i + 8 <= b.count { for k in 0..<8 { b[i + k] = 0xff } }
                default: b = Array(b.prefix(max(i, 4)))
                }
                if b.isEmpty { break }
            }
            do {
                _ = try GGUFReader.parse(b)
                survived += 1
            } catch { rejected += 1 }
        }
        print("GGUF fuzz: 500 inputs, \(survived) parsed, \(rejected) rejected with an error, 0 crashes")
        #expect(survived + rejected == 500)
    }
}

func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Synthetic GGUFs: a catalog model's shape with zero weights", .onWorkerThreads)
struct SyntheticGGUFTests {
    @Test(
        "written, read back by fit's own GGUF reader: same layers, widths, heads and vocabulary, and the recipe's tensor bytes",
        arguments: ["smollm2-135m-instruct", "qwen3-0.6b", "qwen3-30b-a3b", "llama-3.1-8b-instruct"])
    func roundTrip(id: String) throws {
        let catalog = try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).load()
        let m = try #require(catalog.models.first { $0.id == id })
        let layout = try SyntheticGGUF.make(m, scheme: .q4_K_M)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fit-synthetic-\(UUID().uuidString).gguf"
        ).path
        FileManager.default.createFile(atPath: path, contents: Data(layout.header))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.truncate(atOffset: UInt64(layout.fileBytes))
        try h.close()
        let g = try GGUFLoader.model(at: path)
        #expect(g.architectureName == "llama")
        #expect(
            g.architecture.layers == m.architecture.layers && g.architecture.hiddenSize == m.architecture.hiddenSize)
        #expect(g.architecture.heads == m.architecture.heads && g.architecture.kvHeads == m.architecture.kvHeads)
        #expect(
            g.architecture.headDim == m.architecture.headDim && g.architecture.vocabSize == m.architecture.vocabSize)
        #expect(g.architecture.moe?.experts == m.architecture.moe?.experts)
        #expect(g.fileType == "Q4_K_M")
        // The recipe's bytes, within alignment padding of each tensor.
        let recipe = m.weights(.q4_K_M).fileTensorBytes
        let tensors = Int64(TensorLayout(m.architecture).tensors.count)
        #expect(abs(layout.tensorBytes - recipe) <= 32 * tensors + recipe / 100, "\(layout.tensorBytes) vs \(recipe)")
    }

    @Test("every quant scheme has its own llama file type, and every ggml type its own id, read back as written")
    func typeTables() {
        #expect(Set(QuantScheme.allCases.map(\.llamaFileType)).count == QuantScheme.allCases.count)
        #expect(QuantScheme.q4_K_M.llamaFileType == 15 && QuantScheme.mxfp4.llamaFileType == 38)
        for t in [GGMLType.f32, .f16, .bf16, .q4_K, .q6_K, .q8_0, .mxfp4, .iq4_XS] {
            #expect(GGMLType(ggmlTypeID: t.ggmlTypeID) == t)
        }
    }

    @Test(
        "architectures a llama stand-in cannot express are refused with the reason",
        arguments: ["deepseek-v3", "qwen3-next-80b-a3b-instruct"])
    func refused(id: String) throws {
        let catalog = try CatalogLoader(directory: repoCatalog, cacheDirectory: nil).load()
        let m = try #require(catalog.models.first { $0.id == id })
        #expect(throws: SyntheticGGUF.Unsupported.self) { try SyntheticGGUF.make(m, scheme: .q4_K_M) }
    }
}

@Suite("split GGUFs and names that are not files", .onWorkerThreads)
struct GGUFPartsTests {
    func scratch() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("fit-parts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test("every part of -00001-of-0000N.gguf is read, and a missing part is an error that names it")
    func parts() throws {
        let d = try scratch()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let one = try GGUFLoader.model(at: smolLM2)
        try FileManager.default.copyItem(atPath: smolLM2, toPath: d + "/m-00001-of-00002.gguf")
        #expect(throws: GGUFLoader.Failure.self) { try GGUFLoader.model(at: d + "/m-00001-of-00002.gguf") }
        do {
            _ = try GGUFLoader.model(at: d + "/m-00001-of-00002.gguf")
        } catch {
            #expect(error.reason == "part 2 of 2 is missing (\(d)/m-00002-of-00002.gguf); download every part")
        }
        try FileManager.default.copyItem(atPath: smolLM2, toPath: d + "/m-00002-of-00002.gguf")
        let both = try GGUFLoader.model(at: d + "/m-00001-of-00002.gguf")
        #expect(both.weights.fileTensorBytes > one.weights.fileTensorBytes, "part 2's tensors count too")
    }

    @Test("a folder or a FIFO named *.gguf is refused at once, never opened")
    func notFiles() throws {
        let d = try scratch()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try FileManager.default.createDirectory(atPath: d + "/dir.gguf", withIntermediateDirectories: false)
        #expect(mkfifo(d + "/fifo.gguf", 0o600) == 0)
        for (name, says) in [("dir.gguf", "is a folder"), ("fifo.gguf", "is not a regular file")] {
            do {
                _ = try GGUFLoader.model(at: d + "/" + name)
                Issue.record("\(name) was read")
            } catch {
                #expect(error.reason.hasPrefix(says), "\(error.reason)")
            }
        }
    }
}
