/// ggml tensor types and llama.cpp's named quantization mixes.
/// Source: llama.cpp ggml/src/ggml.c type traits and src/llama-quant.cpp.

/// A ggml storage type: elements per block and bytes per block.
public enum GGMLType: String, CaseIterable, Sendable, Codable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case q4_0 = "Q4_0"
    case q4_1 = "Q4_1"
    case q5_0 = "Q5_0"
    case q5_1 = "Q5_1"
    case q8_0 = "Q8_0"
    case q2_K = "Q2_K"
    case q3_K = "Q3_K"
    case q4_K = "Q4_K"
    case q5_K = "Q5_K"
    case q6_K = "Q6_K"
    case q8_K = "Q8_K"
    case iq1_S = "IQ1_S"
    case iq1_M = "IQ1_M"
    case iq2_XXS = "IQ2_XXS"
    case iq2_XS = "IQ2_XS"
    case iq2_S = "IQ2_S"
    case iq3_XXS = "IQ3_XXS"
    case iq3_S = "IQ3_S"
    case iq4_NL = "IQ4_NL"
    case iq4_XS = "IQ4_XS"
    case tq1_0 = "TQ1_0"
    case tq2_0 = "TQ2_0"
    case mxfp4 = "MXFP4"
    case nvfp4 = "NVFP4"
    case q8_1 = "Q8_1"
    case i8 = "I8"
    case i16 = "I16"
    case i32 = "I32"
    case i64 = "I64"
    case f64 = "F64"

    /// ggml's numeric type ids, as stored in GGUF tensor tables (ggml.h `enum ggml_type`).
    static let byID: [UInt32: GGMLType] = [
        0: .f32, 1: .f16, 2: .q4_0, 3: .q4_1, 6: .q5_0, 7: .q5_1, 8: .q8_0, 9: .q8_1, 10: .q2_K, 11: .q3_K,
        12: .q4_K, 13: .q5_K, 14: .q6_K, 15: .q8_K, 16: .iq2_XXS, 17: .iq2_XS, 18: .iq3_XXS, 19: .iq1_S,
        20: .iq4_NL, 21: .iq3_S, 22: .iq2_S, 23: .iq4_XS, 24: .i8, 25: .i16, 26: .i32, 27: .i64, 28: .f64,
        29: .iq1_M, 30: .bf16, 34: .tq1_0, 35: .tq2_0, 39: .mxfp4,
    ]
    static let ids: [GGMLType: UInt32] = Dictionary(uniqueKeysWithValues: byID.map { ($0.value, $0.key) })

    public init?(ggmlTypeID id: UInt32) {
        guard let t = Self.byID[id] else { return nil }
        self = t
    }

    /// The id GGUF stores for this type (0, F32, for the few ggml has no id for here).
    public var ggmlTypeID: UInt32 { Self.ids[self] ?? 0 }

    /// (elements per block, bytes per block)
    public var block: (elements: Int, bytes: Int) {
        switch self {
        case .f32: (1, 4)
        case .f16, .bf16: (1, 2)
        case .q4_0: (32, 18)
        case .q4_1: (32, 20)
        case .q5_0: (32, 22)
        case .q5_1: (32, 24)
        case .q8_0: (32, 34)
        case .q2_K: (256, 84)
        case .q3_K: (256, 110)
        case .q4_K: (256, 144)
        case .q5_K: (256, 176)
        case .q6_K: (256, 210)
        case .q8_K: (256, 292)
        case .iq1_S: (256, 50)
        case .iq1_M: (256, 56)
        case .iq2_XXS: (256, 66)
        case .iq2_XS: (256, 74)
        case .iq2_S: (256, 82)
        case .iq3_XXS: (256, 98)
        case .iq3_S: (256, 110)
        case .iq4_NL: (32, 18)
        case .iq4_XS: (256, 136)
        case .tq1_0: (256, 54)
        case .tq2_0: (256, 66)
        case .mxfp4: (32, 17)
        case .nvfp4: (64, 36)
        case .q8_1: (32, 36)
        case .i8: (1, 1)
        case .i16: (1, 2)
        case .i32: (1, 4)
        case .i64, .f64: (1, 8)
        }
    }

    public var bitsPerWeight: Double { Double(block.bytes * 8) / Double(block.elements) }

    /// Bytes for `elements` values of this type (elements must be a multiple of the block).
    public func bytes(elements: Int64) -> Int64 {
        elements / Int64(block.elements) * Int64(block.bytes)
    }

    /// llama.cpp's fallback when a row is not a multiple of the block (llama-quant.cpp).
    var fallbackForIncompatibleRows: GGMLType {
        switch self {
        case .tq1_0, .tq2_0: .q4_0
        case .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S, .iq1_S, .iq1_M, .q2_K, .q3_K, .iq4_XS: .iq4_NL
        case .q4_K: .q5_0
        case .q5_K: .q5_1
        case .q6_K: .q8_0
        default: .f16
        }
    }
}

/// A named quantization as people download it ("Q4_K_M"): a recipe that picks a type per tensor.
public enum QuantScheme: String, CaseIterable, Sendable, Codable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case q8_0 = "Q8_0"
    case q6_K = "Q6_K"
    case q5_K_M = "Q5_K_M"
    case q5_K_S = "Q5_K_S"
    case q5_0 = "Q5_0"
    case q5_1 = "Q5_1"
    case q4_K_M = "Q4_K_M"
    case q4_K_S = "Q4_K_S"
    case q4_0 = "Q4_0"
    case q4_1 = "Q4_1"
    case q3_K_L = "Q3_K_L"
    case q3_K_M = "Q3_K_M"
    case q3_K_S = "Q3_K_S"
    case q2_K = "Q2_K"
    case iq4_XS = "IQ4_XS"
    case iq4_NL = "IQ4_NL"
    /// gpt-oss's native release: routed experts in MXFP4, everything else Q8_0 (ggml-org GGUFs).
    case mxfp4 = "MXFP4"

    /// Case-insensitive lookup of a name people type ("q4_k_m", "Q4_K_M").
    public static func named(_ name: String) -> QuantScheme? {
        let upper = name.uppercased()
        return allCases.first { $0.rawValue == upper }
    }

    /// The type most tensors get.
    public var baseType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q6_K: .q6_K
        case .q5_K_M, .q5_K_S: .q5_K
        case .q5_0: .q5_0
        case .q5_1: .q5_1
        case .q4_K_M, .q4_K_S: .q4_K
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q3_K_L, .q3_K_M, .q3_K_S: .q3_K
        case .q2_K: .q2_K
        case .iq4_XS: .iq4_XS
        case .iq4_NL: .iq4_NL
        case .mxfp4: .q8_0
        }
    }

    /// 2- and 3-bit K-quants: where agent work degrades (`fit choose` leaves them out).
    public var isBelowFourBits: Bool { [.q2_K, .q3_K_S, .q3_K_M, .q3_K_L].contains(self) }

    /// Nominal quality order, for sorting: more bits first.
    public var nominalBits: Double {
        switch self {
        case .f32: 32
        case .f16, .bf16: 16
        case .q8_0: 8.5
        case .q6_K: 6.56
        case .q5_K_M: 5.7
        case .q5_1: 6.0
        case .q5_K_S, .q5_0: 5.5
        case .q4_K_M: 4.85
        case .q4_1: 5.0
        case .mxfp4: 4.25
        case .q4_K_S, .iq4_NL, .q4_0: 4.5
        case .iq4_XS: 4.25
        case .q3_K_L: 4.27
        case .q3_K_M: 3.91
        case .q3_K_S: 3.5
        case .q2_K: 3.0
        }
    }

    public var isFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// The type of the KV cache (`--cache-type-k/-v`).
public enum KVCacheType: String, CaseIterable, Sendable, Codable {
    case f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl

    public var ggml: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q5_1: .q5_1
        case .q5_0: .q5_0
        case .q4_1: .q4_1
        case .q4_0: .q4_0
        case .iq4_nl: .iq4_NL
        }
    }

    public var isQuantized: Bool { !(self == .f32 || self == .f16 || self == .bf16) }

    /// Bytes for `elements` cache values (a row of head dims is always a multiple of 32).
    public func bytes(elements: Int64) -> Int64 {
        let b = ggml.block
        return (elements + Int64(b.elements) - 1) / Int64(b.elements) * Int64(b.bytes)
    }
}
