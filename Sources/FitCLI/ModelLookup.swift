import FitCatalog
import FitCore
import Foundation

/// Where a model name leads, in one place for every command: a file or folder on disk, the
/// catalog (curated facts and evidence), the local Ollama store, the Hugging Face Hub, the Ollama
/// registry. Known names never reach the network; an unknown one is read on demand, only its
/// header bytes, and cached.
struct ModelLookup {
    var catalog: Catalog
    var offline: Bool
    var environment: [String: String] = ProcessInfo.processInfo.environment

    var cacheDirectory: URL? { CatalogLoader.defaultCacheDirectory(environment: environment) }

    func build(named model: String, quant: String?, runtimePreset: Bool) async throws -> ModelBuild {
        if isLocalOrCatalog(model) {
            return try PlanCommand.build(named: model, quant: quant, catalog: catalog, runtimePreset: runtimePreset)
        }
        do {
            if Hub.isRepoID(model) { return try await hubRepo(model, quant: quant) }
            if let name = OllamaName.parse(model) { return try await ollama(name, typed: model, quant: quant) }
        } catch let e as Hub.Failure {
            throw FitError.usage(e.reason)
        }
        // Not a name the network could answer: the catalog's "unknown model" and its suggestions.
        return try PlanCommand.build(named: model, quant: quant, catalog: catalog, runtimePreset: runtimePreset)
    }

    /// A path that exists, a `.gguf` or config.json name (its error is about the file), or a name
    /// the catalog resolves (an id, alias, Ollama tag or listed repo).
    func isLocalOrCatalog(_ model: String) -> Bool {
        let lower = model.lowercased()
        if lower.hasSuffix(".gguf") || lower.hasSuffix("config.json") { return true }
        if (try? FileManager.default.attributesOfItem(atPath: model)) != nil { return true }
        if case .found = catalog.resolver.resolve(model) { return true }
        return catalog.models.contains { $0.builds.contains { $0.repo.lowercased() == lower } }
    }

    var hub: Hub { Hub(environment: environment, cacheDirectory: cacheDirectory, offline: offline) }

    /// A Hugging Face repo id the catalog does not know: its GGUF files by the quant, or its
    /// config.json and safetensors headers.
    func hubRepo(_ repo: String, quant: String?) async throws(Hub.Failure) -> ModelBuild {
        let hub = self.hub
        let listing = try await hub.snapshot(repo: repo)
        if !Hub.ggufFiles(listing).isEmpty, listing.shardBytes.isEmpty {
            let (gguf, files, snap) = try await hub.ggufModel(repo: repo, quant: quant)
            var build = ModelBuild.file(
                gguf, path: "\(snap.repo)/\(files[0])", id: (files[0] as NSString).lastPathComponent)
            // llama-server -hf REPO:QUANT fetches the same file (and its parts) the plan read.
            build.launch = .llamaServerHub(repo: snap.repo, quant: quant ?? gguf.fileType)
            let what = files.count == 1 ? files[0] : "\(files.count) parts of \(files[0])"
            build.notes.insert(
                .assumption(
                    "read from the Hub (\(hub.endpoint)): \(snap.repo) at commit \(snap.commit.prefix(12)), the header of \(what)"
                ), at: 0)
            return build
        }
        if quant != nil {
            throw Hub.Failure(
                reason:
                    "--quant does not apply to a Hub repo's safetensors: the quantization is what its config.json says")
        }
        var (hf, snap) = try await hub.safetensorsModel(repo: repo)
        hf.assumptions.insert(
            "read from the Hub (\(hub.endpoint)): \(snap.repo) at commit \(snap.commit.prefix(12)), config.json and \(snap.shardBytes.count) safetensors header\(snap.shardBytes.count == 1 ? "" : "s")",
            at: 0)
        return ModelBuild.config(hf, path: snap.repo)
    }

    /// An Ollama name the catalog does not know: `hf.co/USER/REPO:QUANT` from the Hub; a name this
    /// machine has pulled from its Ollama store (the exact file); else the registry's manifest and
    /// the model blob's header.
    func ollama(_ name: OllamaName, typed: String, quant: String?) async throws -> ModelBuild {
        // `hf.co/USER/REPO:QUANT` as Ollama pulls from the Hub, and `user/repo:Q4_K_M` the way
        // llama-server -hf spells it: a GGUF repo on the Hub, the tag its quant.
        let hubRepo: (repo: String, quant: String?)? =
            name.isHub
                || (name.host == OllamaName.defaultHost && name.namespace != "library"
                    && (name.model.lowercased().hasSuffix("gguf") || Self.isQuantTag(name.tag)))
            ? ("\(name.namespace)/\(name.model)", name.tag == "latest" ? quant : name.tag) : nil
        if quant != nil, hubRepo == nil || name.tag != "latest" {
            throw Hub.Failure(
                reason:
                    "--quant does not apply to an Ollama name: its tag names the file (e.g. \(name.model):8b-q8_0, hf.co/USER/REPO:Q8_0)"
            )
        }
        if let (manifest, blob, root) = try OllamaStore(environment: environment).find(name) {
            let gguf: GGUFModel
            do { gguf = try GGUFLoader.model(at: blob.path) } catch { throw Hub.Failure(reason: error.description) }
            var build = ModelBuild.file(gguf, path: blob.path, id: typed)
            build.notes.insert(
                .assumption(
                    "read from the local Ollama store (\(root.path)): \(typed), model layer \(manifest.model?.digest.prefix(19) ?? "")"
                        + (manifest.projector != nil ? "; its vision projector is not planned" : "")), at: 0)
            return build
        }
        if let hubRepo { return try await self.hubRepo(hubRepo.repo, quant: hubRepo.quant) }
        let registry = OllamaRegistry(environment: environment, cacheDirectory: cacheDirectory, offline: offline)
        let answer: OllamaRegistry.Answer
        do { answer = try await registry.model(name) } catch {
            // Nothing anywhere: the catalog's suggestions first, then what the registry said.
            let suggestions = catalog.resolver.suggestions(for: typed)
            throw Hub.Failure(
                reason:
                    "unknown model `\(typed)`; closest catalog entries: \(suggestions.joined(separator: ", ")) (see `fit list`); \(error.reason)"
            )
        }
        let gguf: GGUFModel
        do { gguf = try GGUFModel(parts: [answer.header]) } catch {
            throw Hub.Failure(reason: "\(name) on \(answer.registry): \(error.description)")
        }
        var build = ModelBuild.file(gguf, path: name.description, id: typed)
        build.notes.insert(
            .assumption(
                "read from the Ollama registry (\(answer.registry)): \(typed), model layer \(answer.model.digest.prefix(19)) (\(Format.bytes(answer.model.size))), its GGUF header"
                    + (answer.manifest.projector != nil ? "; its vision projector is not planned" : "")), at: 0)
        return build
    }

    /// A tag that names a quant (`Q4_K_M`, `IQ4_XS`, `UD-Q4_K_XL`, `BF16`), as a Hub GGUF file would.
    static func isQuantTag(_ tag: String) -> Bool {
        let t = tag.uppercased()
        return QuantScheme.named(tag) != nil || t.hasPrefix("UD-") || t.hasPrefix("IQ") || t == "BF16" || t == "F32"
    }
}
