/// A catalog model: identity, aliases, provenance, architecture and the builds people download.
public struct CatalogModel: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var family: String
    public var released: String
    public var license: String
    public var aliases: [String]
    public var sources: [String]
    public var notes: String?
    public var architecture: ModelArchitecture
    public var quants: [QuantBuild]
    /// Safetensors downloads (MLX, AWQ/GPTQ, FP8, MXFP4, the BF16 original) for vLLM and MLX.
    public var builds: [SafetensorsBuild]

    public init(
        id: String, name: String, family: String, released: String, license: String, aliases: [String],
        sources: [String], notes: String?, architecture: ModelArchitecture, quants: [QuantBuild],
        builds: [SafetensorsBuild] = []
    ) {
        self.id = id
        self.name = name
        self.family = family
        self.released = released
        self.license = license
        self.aliases = aliases
        self.sources = sources
        self.notes = notes
        self.architecture = architecture
        self.quants = quants
        self.builds = builds
    }

    /// The safetensors build a name asks for: its repo id ("mlx-community/Qwen3-32B-4bit") or its
    /// format ("MLX-4bit"), case-insensitively.
    public func build(named name: String) -> SafetensorsBuild? {
        let n = name.lowercased()
        return builds.first { $0.repo.lowercased() == n } ?? builds.first { $0.format.lowercased() == n }
    }

    /// The weights of a safetensors build: its published size when known, else its format's bits per tensor.
    public func weights(_ build: SafetensorsBuild) -> WeightLayout? {
        guard let format = SafetensorsFormat.named(build.format) else { return nil }
        let layout = WeightLayout(architecture: architecture, format: format)
        return build.bytes.map { layout.scaled(toFileBytes: $0) } ?? layout
    }

    public static let defaultQuants: [QuantScheme] = [.q3_K_M, .q4_K_M, .q5_K_M, .q6_K, .q8_0, .f16]

    /// The weights of one build: the published file size when known, else the recipe.
    public func weights(_ scheme: QuantScheme, tensors: [TensorShape]? = nil) -> WeightLayout {
        let layout = WeightLayout(
            architecture: architecture, scheme: scheme, tensors: tensors ?? TensorLayout(architecture).tensors)
        if let published = quants.first(where: { $0.scheme == scheme })?.bytes {
            return layout.scaled(toFileBytes: published)
        }
        return layout
    }

    /// The quant `fit plan` uses when none is asked for.
    public var defaultQuant: QuantScheme {
        quants.first(where: { $0.scheme == .q4_K_M })?.scheme ?? quants.first?.scheme ?? .q4_K_M
    }
}

/// A downloadable build of a model.
/// A Hugging Face safetensors repo of a catalog model, in one format (Catalog/README.md).
public struct SafetensorsBuild: Codable, Sendable, Equatable {
    /// One of `SafetensorsFormat.catalogNames`: "MLX-4bit", "AWQ-4bit", "FP8", "BF16"...
    public var format: String
    /// The repo id people download ("mlx-community/Qwen3-32B-4bit").
    public var repo: String
    /// Published total size of its weight files, when known.
    public var bytes: Int64?
    /// Where the repo was seen.
    public var source: String
    public var notes: String?
    public init(format: String, repo: String, bytes: Int64? = nil, source: String, notes: String? = nil) {
        self.format = format
        self.repo = repo
        self.bytes = bytes
        self.source = source
        self.notes = notes
    }

    /// The runtime that loads it: MLX builds run in MLX, the rest in vLLM (or transformers).
    public var runtime: String { format.hasPrefix("MLX") ? "mlx" : "vllm" }
}

public struct QuantBuild: Codable, Sendable, Equatable {
    public var scheme: QuantScheme
    /// Published GGUF file size, when known.
    public var bytes: Int64?
    public var source: String?
    public init(scheme: QuantScheme, bytes: Int64? = nil, source: String? = nil) {
        self.scheme = scheme
        self.bytes = bytes
        self.source = source
    }
}
