/// A GPU or SoC from the catalog's hardware table: for planning machines you do not have.
public struct HardwareSpec: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var vendor: GPUVendor
    /// The vendor's memory figure (GB as printed on the box; for SoCs the largest configuration).
    public var memoryGB: Double
    /// What nvidia-smi reports as memory.total, when recorded.
    public var nvidiaSmiMiB: Int?
    public var memoryType: String
    public var unifiedMemory: Bool
    public var bandwidthGBs: Double
    public var fp16TFLOPS: Double
    /// Board power / TDP in watts, where the vendor states it.
    public var powerW: Double?
    /// Dies sharing the memory (Apple's Ultra: two Max dies joined by UltraFusion); nil is one.
    public var dies: Int?
    public var aliases: [String]
    public var source: String
    public var notes: String?

    public init(
        id: String, name: String, vendor: GPUVendor, memoryGB: Double, nvidiaSmiMiB: Int?, memoryType: String,
        unifiedMemory: Bool, bandwidthGBs: Double, fp16TFLOPS: Double, aliases: [String], source: String, notes: String?
    ) {
        self.id = id
        self.name = name
        self.vendor = vendor
        self.memoryGB = memoryGB
        self.nvidiaSmiMiB = nvidiaSmiMiB
        self.memoryType = memoryType
        self.unifiedMemory = unifiedMemory
        self.bandwidthGBs = bandwidthGBs
        self.fp16TFLOPS = fp16TFLOPS
        self.aliases = aliases
        self.source = source
        self.notes = notes
    }

    /// Memory one device offers: nvidia-smi's figure when recorded, else the vendor's GB read as GiB
    /// (GPU memory is sold in binary sizes: a "24 GB" card has 24 GiB of chips).
    public var deviceMemory: ByteCount {
        nvidiaSmiMiB.map { .mib(Double($0)) } ?? .gib(memoryGB)
    }

    public var backend: Backend {
        switch vendor {
        case .nvidia: .cuda
        case .amd: .rocm
        case .intel: .sycl
        case .apple: .metal
        default: .vulkan
        }
    }
}

/// "2x RTX 3090", "Apple M4 Max 40-core 128GB", "RTX 5090": a count, a name, an optional memory size.
public struct HardwareRequest: Sendable, Equatable {
    public var count: Int
    public var name: String
    public var memory: ByteCount?

    public static func parse(_ text: String) -> HardwareRequest? {
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !words.isEmpty else { return nil }
        var count = 1
        // "2x RTX 3090", "2 x RTX 3090": a count that is digits but out of 1...64 (or beyond Int) is
        // refused, never read as part of the name.
        let digits: (String) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        if let first = words.first?.lowercased(), first.hasSuffix("x"), digits(String(first.dropLast())) {
            guard let n = Int(first.dropLast()), (1...64).contains(n) else { return nil }
            count = n
            words.removeFirst()
        } else if words.count > 1, digits(words[0]), words[1].lowercased() == "x" {
            guard let n = Int(words[0]), (1...64).contains(n) else { return nil }
            count = n
            words.removeFirst(2)
        }
        var memory: ByteCount?
        if let last = words.last, words.count > 1, let size = ByteCount.parse(last), last.lowercased().hasSuffix("b"),
            size.bytes >= 1 << 30
        {
            // "128GB" after an SoC name is its RAM; vendors mean binary gigabytes here too.
            memory = last.lowercased().hasSuffix("gib") ? size : .gib(Double(size.bytes) / 1e9)
            words.removeLast()
        } else if let last = words.last?.lowercased(), words.count > 1, last.hasSuffix("gb") || last.hasSuffix("gib"),
            let lead = last.first, lead.isNumber || lead == "-" || lead == "+" || lead == "."
        {
            return nil  // a memory size that is not one (-5GB, 0GB, 1e400GB): not a hardware name
        }
        guard !words.isEmpty, count >= 1 else { return nil }
        return HardwareRequest(count: count, name: words.joined(separator: " "), memory: memory)
    }
}

public struct HardwareResolver: Sendable {
    public let specs: [HardwareSpec]
    public init(specs: [HardwareSpec]) { self.specs = specs }

    static func key(_ s: String) -> String {
        var k = s.lowercased()
        for w in ["nvidia", "geforce", "amd", "radeon", "intel", "apple", "gpu"] { k = k.replacingAll(w, with: "") }
        return String(k.filter { $0.isLetter || $0.isNumber })
    }

    /// Words that name a vendor or a product line, not a card: "NVIDIA GeForce RTX 4090" and
    /// "4090" are the same card; "RTX 4090 Laptop" is not ("laptop" is not in this list).
    static let lineWords: Set<String> = [
        "nvidia", "geforce", "rtx", "gtx", "amd", "radeon", "rx", "intel", "arc", "apple", "gpu", "graphics",
        "quadro", "tesla", "instinct", "the",
    ]
    /// Spellings of one word: "Mobile" and "Laptop GPU" are the laptop part.
    static let sameWord: [String: String] = ["mobile": "laptop", "notebook": "laptop", "ti": "ti"]

    /// A name as the words that tell cards apart: lower case, split at spaces, punctuation and
    /// between letters and digits ("RTX 3060Ti" is 3060 ti; "A40" is a 40, never a 4000), without
    /// vendor and product-line words.
    public static func tokens(_ s: String) -> [String] {
        var out: [String] = []
        var word = ""
        var digits = false
        func flush() {
            if !word.isEmpty {
                let w = sameWord[word] ?? word
                if !lineWords.contains(w) { out.append(w) }
            }
            word = ""
        }
        for c in s.lowercased() {
            guard c.isASCII, c.isLetter || c.isNumber else {
                flush()
                continue
            }
            if !word.isEmpty, c.isNumber != digits { flush() }
            digits = c.isNumber
            word.append(c)
        }
        flush()
        return out
    }

    public enum Resolution: Sendable, Equatable {
        case found(HardwareSpec)
        case ambiguous([String])
        case unknown(suggestions: [String])
        /// The card is known, but not with the memory the name asks for.
        case noVariant(name: String, asked: ByteCount, variants: [String])
    }

    /// Entries a name may mean: one of their names contains it, or (for a driver's long name such
    /// as "Navi 31 [Radeon RX 7900 XT/7900 XTX]") it contains one of their names. Whole words
    /// only: "A40" is not part of "A4000". Of entries a driver's name contains, the most specific
    /// wins ("RTX 4070 Ti SUPER" is not the RTX 4070 Ti), and a laptop part is never a desktop
    /// card nor the other way round.
    func candidates(_ name: String) -> [HardwareSpec] {
        let want = Self.tokens(name)
        guard !want.isEmpty else { return [] }
        var scored: [(spec: HardwareSpec, words: Int)] = []
        for s in specs {
            var best = 0
            for n in [s.id, s.name] + s.aliases {
                let have = Self.tokens(n)
                guard have.contains("laptop") == want.contains("laptop") else { continue }
                if Self.contains(have, want) { best = max(best, Int.max) }
                // A one-word name counts when it is a model number ("4090"), not a letter or "max".
                let specific =
                    have.count >= 2 || (have.first.map { $0.count >= 3 && $0.contains(where: \.isNumber) } ?? false)
                if specific, Self.contains(want, have) { best = max(best, have.count) }
            }
            if best > 0 { scored.append((s, best)) }
        }
        let top = scored.map(\.words).max() ?? 0
        return scored.filter { $0.words == top || $0.words == Int.max }.map(\.spec)
    }

    /// Whether `whole` holds `part` as a run of consecutive words.
    static func contains(_ whole: [String], _ part: [String]) -> Bool {
        guard !part.isEmpty, part.count <= whole.count else { return false }
        return (0...(whole.count - part.count)).contains { Array(whole[$0..<($0 + part.count)]) == part }
    }

    /// The entry for a detected device. A driver's name can be vague ("Navi 31 [Radeon RX 7900
    /// XT/7900 XTX]": two cards, one PCI id), so when the memory is known the entry must agree with
    /// it (within 1.5 GiB); among several names that fit, the model number and the memory decide.
    public func match(name: String, memory: ByteCount?) -> HardwareSpec? {
        func agrees(_ s: HardwareSpec) -> Bool {
            s.unifiedMemory || (memory.map { abs(s.deviceMemory.gib - $0.gib) < 1.5 } ?? true)
        }
        var options: [HardwareSpec]
        switch resolve(name) {
        case .found(let s): options = [s]
        case .ambiguous, .noVariant: options = candidates(name)
        case .unknown: options = candidates(name)
        }
        let agreeing = options.filter(agrees)
        if agreeing.count == 1 { return agreeing[0] }
        guard memory != nil, let number = Self.modelNumber(name) else { return nil }
        let vendors = Set(options.map(\.vendor))
        let byNumber = specs.filter { s in
            (vendors.isEmpty || vendors.contains(s.vendor)) && agrees(s)
                && ([s.name] + s.aliases).contains { Self.tokens($0).contains(number) }
        }
        return byNumber.count == 1 ? byNumber[0] : nil
    }

    /// The longest run of digits in a name: "7900" in "RX 7900 XT/7900 XTX".
    static func modelNumber(_ name: String) -> String? {
        var best = ""
        var run = ""
        for c in name + " " {
            if c.isNumber {
                run.append(c)
            } else {
                if run.count > best.count { best = run }
                run = ""
            }
        }
        return best.count >= 3 ? best : nil
    }

    /// What a typed name means: the one entry one of whose names has exactly its words, never a
    /// sibling that merely contains them ("A40" is not the A4000, "RTX 4090" not the laptop part,
    /// "RTX 3060 Ti" not the RTX 3060). Entries that contain the words are listed as candidates.
    public func resolve(_ name: String) -> Resolution {
        let want = Self.tokens(name)
        guard !want.isEmpty else { return .unknown(suggestions: []) }
        let exact = specs.filter { s in ([s.id, s.name] + s.aliases).contains { Self.tokens($0) == want } }
        if exact.count == 1 { return .found(exact[0]) }
        if exact.count > 1 { return .ambiguous(exact.map(\.name)) }
        let partial = specs.filter { s in
            ([s.id, s.name] + s.aliases).contains { Self.contains(Self.tokens($0), want) }
        }
        if !partial.isEmpty { return .ambiguous(partial.map(\.name)) }
        return .unknown(suggestions: suggestions(for: name))
    }

    /// A typed request: its name, and a memory size that picks the variant of a discrete card
    /// ("A100 40GB", "RTX 4060 Ti 8GB"); for unified-memory hardware the size is the RAM. A size
    /// no variant of the named card has is an error that lists the variants, never another card.
    public func resolve(_ request: HardwareRequest) -> Resolution {
        guard let asked = request.memory else { return resolve(request.name) }
        let gb = Int(asked.gib.rounded())
        if case .found(let s) = resolve("\(request.name) \(gb)GB") { return .found(s) }
        let named = resolve(request.name)
        func fits(_ s: HardwareSpec) -> Bool {
            abs(s.memoryGB - asked.gib) < 1.5 || abs(s.deviceMemory.gib - asked.gib) < 1.5
        }
        let want = Self.tokens(request.name)
        let siblings = specs.filter { s in
            !s.unifiedMemory && ([s.id, s.name] + s.aliases).contains { Self.contains(Self.tokens($0), want) }
        }
        // Variants named by their memory: "NVIDIA A100 40GB PCIe" for "A100 40GB".
        let sized = siblings.filter { s in
            fits(s) && ([s.name] + s.aliases).contains { Self.contains(Self.tokens($0), want + ["\(gb)", "gb"]) }
        }
        switch named {
        case .found(let s):
            if s.unifiedMemory || fits(s) { return .found(s) }
            if sized.count == 1 { return .found(sized[0]) }
            return .noVariant(name: s.name, asked: asked, variants: siblings.map(Self.described))
        case .ambiguous:
            // The memory tells the named card's variants apart: "A100" with 40 GB.
            let fitting = siblings.filter(fits)
            if fitting.count == 1 { return .found(fitting[0]) }
            return named
        default:
            return named
        }
    }

    static func described(_ s: HardwareSpec) -> String {
        let gb =
            s.memoryGB == s.memoryGB.rounded() ? String(Int(s.memoryGB)) : NumberText.format(s.memoryGB, digits: 1)
        return "\(s.name) (\(gb) GB)"
    }

    /// The three names closest in spelling.
    func suggestions(for name: String) -> [String] {
        let k = Self.key(name)
        var ranked: [(name: String, distance: Int)] = []
        for s in specs {
            let names: [String] = [s.id, s.name] + s.aliases
            let best: Int = names.map { ModelResolver.distance(k, Self.key($0)) }.min() ?? Int.max
            ranked.append((s.name, best))
        }
        ranked.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.name < $1.name }
        return ranked.prefix(3).map { $0.name }
    }
}

extension MachineDescription {
    /// Metal's default working-set limit, the most of RAM an Apple GPU keeps resident: about 2/3 up
    /// to 32 GiB, 3/4 above (Metal's `recommendedMaxWorkingSetSize`, which llama.cpp's Metal backend uses). The probe asks Metal itself where it can.
    public static func appleWorkingSet(ram: ByteCount) -> ByteCount {
        ByteCount(Int64(Double(ram.bytes) * (ram <= .gib(32) ? 2.0 / 3.0 : 0.75)))
    }

    /// A machine you do not have: `count` devices of `spec`. Discrete GPUs keep `host` as the CPU
    /// and RAM side; a unified-memory SoC replaces RAM with its own memory (`memory`, else the
    /// largest configuration), of which the GPU may use Apple's working-set share (about 2/3 up to
    /// 32 GiB, 3/4 above) or, elsewhere, all but 2 GiB for the system (an estimate).
    public static func hypothetical(_ spec: HardwareSpec, count: Int, memory: ByteCount?, host: MachineDescription)
        -> MachineDescription
    {
        var m = host
        m.gpus = []
        m.probes = [
            ProbeOutcome(
                probe: "hardware", status: .ok, detail: "\(count)x \(spec.name) from the catalog hardware table")
        ]
        m.warnings = []
        if spec.unifiedMemory {
            let ram = memory ?? .gib(spec.memoryGB)
            let share: ByteCount = spec.vendor == .apple ? Self.appleWorkingSet(ram: ram) : ram - .gib(2)
            m.memory = MemoryDescription(
                total: Fact(ram, source: .table),
                available: Fact(
                    share, source: .estimate,
                    detail: spec.vendor == .apple ? "Metal working-set limit" : "all but 2 GiB for the system"),
                swapTotal: .missing(.table, .absent), containerLimit: .missing(.table, .ok, "none"),
                containerUsage: .missing(.table, .absent), numaNodes: .missing(.table, .absent))
            let unknown = "an SoC from the hardware table: its CPU is not planned for yet"
            m.cpu = CPUDescription(
                model: Fact(spec.name, source: .table), architecture: .missing(.table, .absent, unknown),
                sockets: .missing(.table, .absent), physicalCores: .missing(.table, .absent, unknown),
                logicalCores: .missing(.table, .absent), vectorExtensions: .missing(.table, .absent))
        }
        for i in 0..<count {
            let mem = spec.deviceMemory
            m.gpus.append(
                GPUDescription(
                    index: i, vendor: spec.vendor, name: Fact(spec.name, source: .table), pciAddress: nil,
                    driver: .missing(.table, .absent),
                    memoryTotal: spec.unifiedMemory ? .missing(.table, .ok, "unified") : Fact(mem, source: .table),
                    memoryFree: spec.unifiedMemory
                        ? .missing(.table, .ok, "unified")
                        : Fact(mem, source: .table, detail: "an idle GPU: free = total"),
                    unifiedMemory: spec.unifiedMemory, backend: spec.backend))
        }
        return m
    }
}

extension MachineDescription {
    /// Fills what the driver does not tell from the hardware table, flagged `table`: memory
    /// bandwidth of each GPU whose name resolves to exactly one entry.
    public func withTableFacts(_ resolver: HardwareResolver) -> MachineDescription {
        var m = self
        for i in m.gpus.indices where m.gpus[i].memoryBandwidthGBs?.value == nil {
            guard let name = m.gpus[i].name.value ?? m.gpus[i].pciName else { continue }
            if let (spec, how) = m.gpus[i].tableEntry(resolver) {
                m.gpus[i].memoryBandwidthGBs = Fact(
                    spec.bandwidthGBs, source: .table, detail: "catalog hardware table: \(spec.name)\(how)")
                // A driver that does not report VRAM (i915 on Arc): the table's size, flagged. One
                // that reported an error or a size no GPU has is not papered over: the GPU may be unwell.
                if m.gpus[i].memoryTotal.value == nil, m.gpus[i].memoryTotal.status == .absent,
                    !m.gpus[i].unifiedMemory, !spec.unifiedMemory
                {
                    m.gpus[i].memoryTotal = Fact(
                        spec.deviceMemory, source: .table,
                        detail: "the driver does not report VRAM; catalog hardware table: \(spec.name)")
                }
            } else {
                m.gpus[i].memoryBandwidthGBs = .missing(
                    .table, .absent,
                    "\(name)\(m.gpus[i].pciID.map { " (PCI \($0))" } ?? "") is not in the catalog hardware table")
            }
        }
        return m
    }
}

extension GPUDescription {
    /// "Radeon RX 7900 XT/7900 XTX" -> "Radeon RX 7900 XT", "Radeon RX 7900 XTX": each later
    /// alternative takes the words of the first that come before its own first word.
    public static func alternatives(_ text: String) -> [String] {
        let parts = text.split(separator: "/").map { $0.split(separator: " ").joined(separator: " ") }.filter {
            !$0.isEmpty
        }
        guard let first = parts.first else { return [] }
        let words = first.split(separator: " ").map(String.init)
        return [first]
            + parts.dropFirst().map { alt in
                let lead = alt.split(separator: " ").first.map(String.init) ?? alt
                let prefix = words.firstIndex(of: lead).map { Array(words[..<$0]) } ?? Array(words.dropLast())
                return (prefix + [alt]).joined(separator: " ")
            }
    }

    /// The hardware table's entry for this GPU: by the driver's name (Apple's by its bin of GPU
    /// cores first), else by its PCI name, the marketing name pci.ids gives in brackets
    /// (`AD102 [GeForce RTX 4090]`) or fit's table of GPUs newer than pci.ids. The second value
    /// says how it matched when not by the driver's name.
    public func tableEntry(_ resolver: HardwareResolver) -> (HardwareSpec, how: String)? {
        if let name = name.value {
            // Apple names its bins by GPU cores: "Apple M4 Max (40-core GPU)" before "Apple M4 Max".
            if let cores = gpuCores?.value, let s = resolver.match(name: "\(name) (\(cores)-core GPU)", memory: nil) {
                return (s, "")
            }
            if let s = resolver.match(name: name, memory: memoryTotal.value) { return (s, "") }
        }
        // pci.ids spells the marketing name in brackets after the chip, with alternatives after a
        // slash ("Navi 31 [Radeon RX 7900 XT/7900 XTX]"): each is tried, and the memory size must
        // leave exactly one entry.
        for (text, how) in [(name.value, ""), (pciName, ", matched by its PCI name")] {
            guard let text, let open = text.lastIndex(of: "["), let close = text.lastIndex(of: "]"), open < close
            else { continue }
            let alternatives = Self.alternatives(String(text[text.index(after: open)..<close]))
            let specs = alternatives.compactMap { resolver.match(name: $0, memory: memoryTotal.value) }
            if let first = specs.first, specs.allSatisfy({ $0.id == first.id }) {
                return (first, how.isEmpty ? "" : "\(how) \(text)\(pciID.map { " (\($0))" } ?? "")")
            }
        }
        if let pci = pciName, pci != name.value, !pci.contains("["),
            let s = resolver.match(name: pci, memory: memoryTotal.value)
        {
            return (s, ", matched by its PCI name \(pci)\(pciID.map { " (\($0))" } ?? "")")
        }
        return nil
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty, target.count <= count else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
