import FitCatalog
import FitCore
import FitProbe
import Foundation

/// One fuzz target per parser of input fit does not control. Built two ways:
/// - `scripts/fuzz.sh` builds it with libFuzzer and AddressSanitizer (`-DFIT_FUZZING`): libFuzzer
///   supplies `main` and calls `LLVMFuzzerTestOneInput`, the target named by `FIT_FUZZ_TARGET`;
/// - an ordinary build is a replayer, `fit-fuzz TARGET FILE...`, that runs saved inputs (a crash
///   the fuzzer found, a corpus) through the same code without the sanitizers.
enum FuzzTarget: String, CaseIterable {
    case gguf, config
    case safetensorsIndex = "safetensors-index"
    case safetensorsHeader = "safetensors-header"
    case machine, fleet
    case nvidiaSmi = "nvidia-smi"
    case catalog
    case endpoint
    case ollama

    /// A GPU with 24 GiB and 64 GiB of RAM: where the GGUF and config targets plan.
    static let planTarget = PlanTarget(
        host: PlanDevice(
            id: "cpu", name: "CPU", kind: .host, backend: .cpu, capacity: .gib(64), sharesHostMemory: true),
        gpus: [
            PlanDevice(
                id: "gpu0", name: "GPU", kind: .gpu(index: 0), backend: .cuda, capacity: .gib(23),
                sharesHostMemory: false)
        ])

    /// Llama 3.1 8B: what the machine target plans on the machine it decoded.
    static let reference = ModelArchitecture(
        layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128, ffnSize: 14336, vocabSize: 128_256,
        contextLength: 131_072, tiedEmbeddings: false)

    static func plan(_ a: ModelArchitecture, _ w: WeightLayout, on target: PlanTarget = planTarget) {
        let planner = MemoryPlanner(architecture: a, weights: w, memo: nil)
        for ctx in [8192, min(a.contextLength, 131_072)] {
            _ = planner.plan(PlanOptions(context: TokenCount(ctx)), on: target)
        }
    }

    func run(_ bytes: [UInt8]) {
        switch self {
        case .gguf:
            guard let file = try? GGUFReader.parse(bytes), let model = try? GGUFModel(parts: [file]) else { return }
            Self.plan(model.architecture, model.weights)
        case .config:
            guard let root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
                let model = try? HFModel.parse(root, path: "fuzz/config.json")
            else { return }
            Self.plan(model.architecture, model.weights)
        case .safetensorsIndex:
            _ = try? HFModel.indexTotalSize(Data(bytes), path: "fuzz/model.safetensors.index.json")
        case .safetensorsHeader:
            // What the Hub's two Range requests return: 8 bytes of length, then the header.
            guard let n = try? SafetensorsHeader.headerLength(Array(bytes.prefix(8))) else { return }
            _ = try? SafetensorsHeader.parse(Array(bytes.dropFirst(8).prefix(n)))
        case .machine:
            guard let m = try? JSONDecoder().decode(MachineDescription.self, from: Data(bytes)), m.problems.isEmpty
            else { return }
            Self.plan(
                Self.reference, WeightLayout(architecture: Self.reference, format: .float(bytes: 2)),
                on: PlanTarget(machine: m))
        case .fleet:
            guard let r = try? JSONDecoder().decode(MachineReport.self, from: Data(bytes)) else { return }
            _ = r.problems
        case .nvidiaSmi:
            let text = String(decoding: bytes, as: UTF8.self)
            _ = NvidiaSmi.parseCore(text)
            _ = NvidiaSmi.parseExtended(text)
            _ = NvidiaSmi.parseMIG(text)
        case .catalog:
            let text = String(decoding: bytes, as: UTF8.self)
            _ = CatalogParser.parseModels(yaml: text, file: "fuzz.yaml")
            _ = CatalogParser.parseHardware(yaml: text, file: "fuzz.yaml")
        case .ollama:
            // An Ollama name on the first line, a registry's or a store's manifest after it.
            let text = String(decoding: bytes, as: UTF8.self)
            let (first, rest) = text.firstIndex(of: "\n").map { (text[..<$0], text[$0...]) } ?? (text[...], ""[...])
            _ = OllamaName.parse(String(first))?.description
            if let m = try? OllamaManifest.parse(Data(rest.utf8), what: "fuzz") { _ = try? m.requireModel("fuzz") }
        case .endpoint:
            // What a server sent, split into two chunks to cross a boundary.
            let cut = bytes.count / 2
            let r = Endpoint.Response(status: 200, chunks: [(0.1, Array(bytes[..<cut])), (0.2, Array(bytes[cut...]))])
            _ = try? Endpoint(baseURL: "http://127.0.0.1:9", model: "m").timing(of: r)
            let (_, text) = r.reply()
            _ = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        }
    }
}

#if FIT_FUZZING
    nonisolated(unsafe) let fuzzTarget: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FIT_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(
                Data(
                    "fit-fuzz: set FIT_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n"
                        .utf8))
            exit(2)
        }
        return t
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#else
    @main
    enum Replay {
        static func main() {
            let args = Array(CommandLine.arguments.dropFirst())
            guard let name = args.first, let target = FuzzTarget(rawValue: name), args.count > 1 else {
                print(
                    "usage: fit-fuzz TARGET FILE... (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
                exit(args.isEmpty ? 0 : 64)
            }
            var files: [String] = []
            for path in args.dropFirst() {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                    files += ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map {
                        path + "/" + $0
                    }
                } else {
                    files.append(path)
                }
            }
            for f in files {
                guard let d = FileManager.default.contents(atPath: f) else { continue }
                target.run([UInt8](d))
            }
            print("fit-fuzz \(name): \(files.count) inputs replayed, no crash")
        }
    }
#endif
