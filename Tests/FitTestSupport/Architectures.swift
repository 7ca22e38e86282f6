import FitCore

/// Architectures of reference models, transcribed from their config.json (sources in Catalog/models).
public enum Ref {
    public static let llama31_8B = ModelArchitecture(
        layers: 32, hiddenSize: 4096, heads: 32, kvHeads: 8, headDim: 128, ffnSize: 14336,
        vocabSize: 128256, contextLength: 131072, tiedEmbeddings: false)
    public static let llama31_70B = ModelArchitecture(
        layers: 80, hiddenSize: 8192, heads: 64, kvHeads: 8, headDim: 128, ffnSize: 28672,
        vocabSize: 128256, contextLength: 131072, tiedEmbeddings: false)
    public static let qwen25_7B = ModelArchitecture(
        layers: 28, hiddenSize: 3584, heads: 28, kvHeads: 4, headDim: 128, ffnSize: 18944,
        vocabSize: 152064, contextLength: 32768, tiedEmbeddings: false)
    public static let qwen3_30B_A3B = ModelArchitecture(
        layers: 48, hiddenSize: 2048, heads: 32, kvHeads: 4, headDim: 128, ffnSize: 0,
        vocabSize: 151936, contextLength: 40960, tiedEmbeddings: false,
        moe: .init(experts: 128, activeExperts: 8, expertFfnSize: 768))
    public static let gemma3_12B = ModelArchitecture(
        layers: 48, hiddenSize: 3840, heads: 16, kvHeads: 8, headDim: 256, ffnSize: 15360,
        vocabSize: 262208, contextLength: 131072, tiedEmbeddings: true,
        slidingWindow: .init(window: 1024, globalEvery: 6))
    public static let deepseekV3 = ModelArchitecture(
        layers: 61, hiddenSize: 7168, heads: 128, kvHeads: 128, headDim: 192, valueHeadDim: 128,
        ffnSize: 18432, vocabSize: 129280, contextLength: 163840, tiedEmbeddings: false,
        moe: .init(experts: 256, activeExperts: 8, expertFfnSize: 2048, sharedExperts: 1, leadingDenseLayers: 3),
        mla: .init(qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128))
    public static let qwen3Next80B = ModelArchitecture(
        layers: 48, hiddenSize: 2048, heads: 16, kvHeads: 2, headDim: 256, ffnSize: 0,
        vocabSize: 151936, contextLength: 262144, tiedEmbeddings: false,
        moe: .init(experts: 512, activeExperts: 10, expertFfnSize: 512, sharedExperts: 1, sharedExpertFfnSize: 512),
        linearAttention: .init(
            fullAttentionEvery: 4, keyHeads: 16, valueHeads: 32, keyHeadDim: 128, valueHeadDim: 128, convKernel: 4))

    public static func model(
        _ id: String, _ a: ModelArchitecture,
        quants: [QuantBuild] = CatalogModel.defaultQuants.map { QuantBuild(scheme: $0) }
    ) -> CatalogModel {
        CatalogModel(
            id: id, name: id, family: "test", released: "2025-01-01", license: "test", aliases: [], sources: ["test"],
            notes: nil, architecture: a, quants: quants)
    }

    /// One memo of compute buffers for the test run (the CLI's is the session's).
    public static let memo = ComputeBufferMemo(build: 0)

    /// A machine nothing is known of for speed (no calibration): answers without tokens/s.
    public static let noSpeed = SpeedContext(
        gpus: [], firstGPUIndex: nil, host: .assumed(physicalCores: 4), calibration: nil,
        corrections: [], measured: [])

    public static func target(ramGiB: Double, gpusGiB: [Double] = [], unified: Bool = false) -> PlanTarget {
        PlanTarget(
            host: PlanDevice(
                id: "cpu", name: "CPU", kind: .host, backend: .cpu, capacity: .gib(ramGiB), sharesHostMemory: true),
            gpus: gpusGiB.enumerated().map { i, g in
                PlanDevice(
                    id: "gpu\(i)", name: "GPU \(i)", kind: .gpu(index: i), backend: .cuda,
                    capacity: unified ? .gib(ramGiB) : .gib(g) - PlanTarget.gpuMargin, sharesHostMemory: unified)
            })
    }
}
