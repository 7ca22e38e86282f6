/// What `fit bench hardware` measures on this machine.
public struct HardwareMeasurement: Codable, Sendable, Equatable {
    public var measuredAt: String
    public var threads: Int
    /// STREAM-style copy and triad over buffers far beyond the caches, all threads, GB/s (10^9).
    public var copyGBs: Double
    public var triadGBs: Double
    /// FP32 FMA throughput on one core and on all, GFLOP/s.
    public var singleCoreGFLOPS: Double
    public var allCoresGFLOPS: Double
    /// A Q8_0 matrix-vector pass over `decodeWeightBytes`: the CPU's decode ceiling for a model that size.
    public var decodeWeightBytes: Int64
    public var decodeGBs: Double
    public var decodeTokensPerSecond: Double
    public var seconds: Double

    public init(
        measuredAt: String, threads: Int, copyGBs: Double, triadGBs: Double, singleCoreGFLOPS: Double,
        allCoresGFLOPS: Double,
        decodeWeightBytes: Int64, decodeGBs: Double, decodeTokensPerSecond: Double, seconds: Double
    ) {
        self.measuredAt = measuredAt
        self.threads = threads
        self.copyGBs = copyGBs
        self.triadGBs = triadGBs
        self.singleCoreGFLOPS = singleCoreGFLOPS
        self.allCoresGFLOPS = allCoresGFLOPS
        self.decodeWeightBytes = decodeWeightBytes
        self.decodeGBs = decodeGBs
        self.decodeTokensPerSecond = decodeTokensPerSecond
        self.seconds = seconds
    }

    /// The host speed the estimator uses from now on: the triad bandwidth (reads and writes, like
    /// decode's mix of weight reads and activation writes) and the portable FP32 FMA figure for
    /// prefill: llama.cpp's AVX2/int8 kernels reach about that much (SmolLM2-135M on the
    /// development VM: 231 t/s measured against 277 predicted from 60 GFLOP/s).
    public var hostSpeed: HostSpeed {
        HostSpeed(bandwidthGBs: triadGBs, gflops: allCoresGFLOPS, measured: true)
    }
}

/// A real runtime's tokens/s beside fit's prediction.
public struct RuntimeMeasurement: Codable, Sendable, Equatable {
    public var model: String
    public var quant: String?
    /// "llama-bench" or the endpoint's URL.
    public var runtime: String
    public var measuredAt: String
    public var promptTokens: Int
    public var generatedTokens: Int
    public var prefillTokensPerSecond: Double?
    public var decodeTokensPerSecond: Double?
    public var predictedPrefillTokensPerSecond: Double?
    public var predictedDecodeTokensPerSecond: Double?
    /// Where the prediction placed the model: fits-on-gpu, partial-offload, ram-only.
    public var placement: String?
    /// Why this measurement is kept but not used to recalibrate (the machine was busy, the
    /// repeats spread too far); nil for a trusted one.
    public var untrusted: String?

    public init(
        model: String, quant: String?, runtime: String, measuredAt: String, promptTokens: Int, generatedTokens: Int,
        prefillTokensPerSecond: Double?, decodeTokensPerSecond: Double?, predictedPrefillTokensPerSecond: Double?,
        predictedDecodeTokensPerSecond: Double?, placement: String?
    ) {
        self.model = model
        self.quant = quant
        self.runtime = runtime
        self.measuredAt = measuredAt
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.prefillTokensPerSecond = prefillTokensPerSecond
        self.decodeTokensPerSecond = decodeTokensPerSecond
        self.predictedPrefillTokensPerSecond = predictedPrefillTokensPerSecond
        self.predictedDecodeTokensPerSecond = predictedDecodeTokensPerSecond
        self.placement = placement
    }
}

/// One prediction checked against a measurement: the verdict `fit bench` ends with.
public struct PredictionCheck: Codable, Sendable, Equatable {
    public var what: String
    public var measured: Double
    public var predicted: Double
    /// measured / predicted - 1.
    public var error: Double
    public var sentence: String
    /// When the miss is over 25%: the input that was likely wrong.
    public var likelyCause: String?

    /// Misses beyond this are explained and recalibrated.
    public static let tolerance = 0.25

    public static func check(
        _ what: String, unit: String, measured: Double, predicted: Double, placement: String?, hostMeasured: Bool
    ) -> PredictionCheck {
        let err = measured / predicted - 1
        let m = NumberText.format(measured, digits: measured < 10 ? 1 : 0)
        let p = NumberText.format(predicted, digits: predicted < 10 ? 1 : 0)
        let pct = Int((abs(err) * 100).rounded())
        var sentence =
            "\(what) \(m) \(unit) measured vs \(p) predicted: "
            + (abs(err) <= tolerance
                ? "within \(pct)%" : "\(err > 0 ? "\(pct)% faster" : "\(pct)% slower") than predicted")
        var cause: String?
        if abs(err) > tolerance {
            switch placement {
            case "ram-only" where !hostMeasured:
                cause =
                    what == "prefill"
                    ? "compute: the CPU's FLOP/s were assumed, not measured (run `fit bench hardware`)"
                    : "bandwidth: the RAM bandwidth was assumed, not measured (run `fit bench hardware`)"
            case "ram-only":
                cause =
                    what == "prefill"
                    ? "efficiency: the CPU's achieved share of its FMA peak"
                    : "efficiency: small models on few cores are bound by per-layer overhead, not by bandwidth"
            case "partial-offload":
                cause = "offload: the split between GPU and RAM, and the PCIe traffic it causes"
            default:
                cause = "efficiency: the share of the GPU's peak this runtime reaches (fitted on other machines)"
            }
            sentence += "; likely cause: \(cause ?? "")"
        }
        return PredictionCheck(
            what: what, measured: measured, predicted: predicted, error: err, sentence: sentence, likelyCause: cause)
    }
}

/// This machine's correction to the estimator: measured / predicted, kept per placement.
public struct MachineCalibration: Codable, Sendable, Equatable {
    public var decodeFactor: Double
    public var prefillFactor: Double
    public var placement: String
    public var measuredAt: String
    public init(decodeFactor: Double, prefillFactor: Double, placement: String, measuredAt: String) {
        self.decodeFactor = decodeFactor
        self.prefillFactor = prefillFactor
        self.placement = placement
        self.measuredAt = measuredAt
    }

    /// The largest correction fit accepts either way: beyond it, a measurement says more about the
    /// measurement (a wedged server, a timing of zero) than about this machine.
    public static let plausibleFactors = (1.0 / 50)...50.0

    /// Measurements the correction is the median of: the newest of one placement.
    public static let window = 5
    /// The repeats of one measurement may spread this much (standard deviation / mean) before it
    /// is not trusted to recalibrate.
    public static let maxSpread = 0.10

    /// This machine's correction for a placement: the median, over its newest `window` trusted
    /// measurements (after `since`, a reset), of measured / predicted, for decode and prefill
    /// apart. One odd run moves a median of three or more not at all; an absurd ratio is never
    /// counted. Nil when nothing needs correcting.
    public static func robust(_ history: [RuntimeMeasurement], placement: String, since: String? = nil)
        -> MachineCalibration?
    {
        let runs = history.filter { m in
            m.placement == placement && m.untrusted == nil && (since.map { m.measuredAt > $0 } ?? true)
        }.suffix(window)
        guard let newest = runs.last else { return nil }
        func median(_ ratios: [Double]) -> Double {
            let r = ratios.filter { $0.isFinite && plausibleFactors.contains($0) }.sorted()
            guard !r.isEmpty else { return 1 }
            let m = r.count % 2 == 1 ? r[r.count / 2] : (r[r.count / 2 - 1] + r[r.count / 2]) / 2
            return abs(m - 1) > PredictionCheck.tolerance ? m : 1
        }
        func ratio(_ measured: Double?, _ predicted: Double?) -> Double? {
            guard let measured, let predicted, measured > 0, predicted > 0 else { return nil }
            return measured / predicted
        }
        let d = median(runs.compactMap { ratio($0.decodeTokensPerSecond, $0.predictedDecodeTokensPerSecond) })
        let p = median(runs.compactMap { ratio($0.prefillTokensPerSecond, $0.predictedPrefillTokensPerSecond) })
        guard d != 1 || p != 1 else { return nil }
        var c = MachineCalibration(
            decodeFactor: d, prefillFactor: p, placement: placement, measuredAt: newest.measuredAt)
        c.runs = runs.count
        return c
    }

    /// How many measurements the factors are the median of (nil: one, from before medians).
    public var runs: Int?

    /// From a runtime measurement: only the predictions that missed by more than the tolerance are
    /// corrected, and only by a plausible factor (an absurd one is ignored, never stored).
    public static func from(_ m: RuntimeMeasurement) -> MachineCalibration? {
        func factor(_ measured: Double?, _ predicted: Double?) -> Double {
            guard let measured, let predicted, predicted.isFinite, measured.isFinite, predicted > 0, measured > 0 else {
                return 1
            }
            let f = measured / predicted
            guard plausibleFactors.contains(f) else { return 1 }
            return abs(f - 1) > PredictionCheck.tolerance ? f : 1
        }
        let d = factor(m.decodeTokensPerSecond, m.predictedDecodeTokensPerSecond)
        let p = factor(m.prefillTokensPerSecond, m.predictedPrefillTokensPerSecond)
        guard d != 1 || p != 1, let placement = m.placement else { return nil }
        return MachineCalibration(decodeFactor: d, prefillFactor: p, placement: placement, measuredAt: m.measuredAt)
    }
}

extension MachineDescription {
    /// Identifies this machine in the user's database: CPU, RAM size and GPUs (not the host name,
    /// which changes with containers and DHCP).
    public var benchKey: String {
        let ram = memory.total.value.map { String($0.bytes / (1 << 30)) } ?? "?"
        let gpus = gpus.map { ($0.name.value ?? "gpu") + "/" + String(($0.memoryTotal.value?.bytes ?? 0) / (1 << 30)) }
            .joined(separator: ",")
        return "\(cpu.model.value ?? "cpu")|\(cpu.logicalCores.value ?? 0)|\(ram)GiB|\(gpus)"
    }
}
