import FitCore
import FitTestSupport
import Testing

@testable import FitCatalog

@Suite("the catalog knows the architecture's fields from the type itself", .onWorkerThreads)
struct FieldNamesTests {
    @Test("every field of ModelArchitecture and its nested structures, as the YAML spells them")
    func derived() {
        let f = FieldNames.of(ModelArchitecture.self)
        // The fields a catalog entry may set (Catalog/README.md), as they were listed by hand before.
        #expect(
            f.fields == [
                "layers", "hiddenSize", "heads", "kvHeads", "headDim", "valueHeadDim", "ffnSize", "vocabSize",
                "contextLength", "tiedEmbeddings", "slidingWindow", "moe", "mla", "linearAttention", "attentionSinks",
                "gatedFFN", "mtpLayers",
            ])
        #expect(
            f.nested["slidingWindow"] == ["window", "globalEvery", "globalKvHeads", "globalHeadDim", "globalSharedKV"])
        #expect(
            f.nested["moe"] == [
                "experts", "activeExperts", "expertFfnSize", "sharedExperts", "sharedExpertFfnSize",
                "leadingDenseLayers",
                "routing", "normalizedWeights", "weightsScale",
            ])
        #expect(f.nested["mla"] == ["qLoraRank", "kvLoraRank", "qkNopeHeadDim", "qkRopeHeadDim", "vHeadDim"])
        #expect(
            f.nested["linearAttention"] == [
                "fullAttentionEvery", "keyHeads", "valueHeads", "keyHeadDim", "valueHeadDim", "convKernel",
            ])
    }
}
