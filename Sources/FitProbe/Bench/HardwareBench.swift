import CFitShim
import FitCore
import Foundation

/// `fit bench hardware`: memory bandwidth, compute and a synthetic decode pass, measured by the
/// C kernels in CFitShim (fit_bench.c) on every core.
public enum HardwareBench {
    public struct Sizes: Sendable {
        /// Bytes per STREAM array (three arrays for triad).
        public var arrayBytes: Int
        /// The synthetic model's weights.
        public var weightBytes: Int
        public var threads: Int
        public init(arrayBytes: Int, weightBytes: Int, threads: Int) {
            self.arrayBytes = arrayBytes
            self.weightBytes = weightBytes
            self.threads = threads
        }

        /// Far beyond any cache (256 MiB per array), a 1 GiB model, every logical core; both
        /// capped by what RAM is free so the benchmark never pushes the machine into swap.
        public static func defaults(availableRAM: Int64?, threads: Int, weightBytes: Int? = nil) -> Sizes {
            let free = Int(availableRAM ?? (4 << 30))
            return Sizes(
                arrayBytes: min(256 << 20, max(16 << 20, free / 16)),
                weightBytes: min(weightBytes ?? (1 << 30), max(64 << 20, free / 4)),
                threads: max(1, threads))
        }
    }

    public struct Failure: Error, Sendable { public var sentence: String }

    nonisolated(unsafe) static var cancelFlag: Int32 = 0

    /// Stops a running measurement at its next repetition (safe to call from a signal handler).
    public static func cancel() { cancelFlag = 1 }

    static func check(_ rc: Int32, _ what: String) throws {
        switch rc {
        case 0: return
        case -1:
            throw Failure(
                sentence:
                    "\(what): not enough memory for the benchmark's buffers; free some RAM or pass a smaller --weights")
        case -2: throw Failure(sentence: "\(what): interrupted")
        case -5: throw Failure(sentence: "\(what): the kernel computed a wrong result (the measurement is not trusted)")
        default: throw Failure(sentence: "\(what) failed (code \(rc))")
        }
    }

    /// Runs every measurement, reporting each step's name before it starts.
    public static func run(_ s: Sizes, measuredAt: String, progress: (String) -> Void) throws -> HardwareMeasurement {
        withUnsafeMutablePointer(to: &cancelFlag) { fit_bench_set_cancel_flag($0) }
        let start = ContinuousClock.now
        var copy = fit_bench_bw()
        var triad = fit_bench_bw()
        var one = fit_bench_flops()
        var all = fit_bench_flops()
        var dec = fit_bench_decode()
        progress("memory bandwidth: copy, \(s.threads) threads, 2 x \(s.arrayBytes >> 20) MiB")
        try check(fit_bench_copy(s.arrayBytes, Int32(s.threads), 5, &copy), "copy")
        progress("memory bandwidth: triad, 3 x \(s.arrayBytes >> 20) MiB")
        try check(fit_bench_triad(s.arrayBytes, Int32(s.threads), 5, &triad), "triad")
        progress("compute: FP32 FMA, one core")
        try check(fit_bench_fma(1, 20_000_000, &one), "single-core FMA")
        progress("compute: FP32 FMA, \(s.threads) threads")
        try check(fit_bench_fma(Int32(s.threads), 20_000_000, &all), "multi-core FMA")
        progress("decode: Q8_0 matrix-vector over \(s.weightBytes >> 20) MiB of weights")
        try check(fit_bench_q8_matvec(s.weightBytes, 4096, Int32(s.threads), 5, &dec), "synthetic decode")
        let d = ContinuousClock.now - start
        return HardwareMeasurement(
            measuredAt: measuredAt, threads: s.threads, copyGBs: copy.gbPerSecond, triadGBs: triad.gbPerSecond,
            singleCoreGFLOPS: one.gflops, allCoresGFLOPS: all.gflops, decodeWeightBytes: Int64(s.weightBytes),
            decodeGBs: dec.gbPerSecond, decodeTokensPerSecond: dec.tokensPerSecond,
            seconds: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
}
