import FitTestSupport
import Testing

@testable import FitCore

@Suite("a measurement never poisons this machine's calibration", .onWorkerThreads)
struct CalibrationGuardTests {
    func measurement(prefill: Double?, decode: Double?) -> RuntimeMeasurement {
        RuntimeMeasurement(
            model: "m.gguf", quant: "Q4_K_M", runtime: "http://127.0.0.1:8080", measuredAt: "2026-12-02T00:00:00Z",
            promptTokens: 512, generatedTokens: 64, prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode,
            predictedPrefillTokensPerSecond: 1000, predictedDecodeTokensPerSecond: 50, placement: "fits-on-gpu")
    }

    @Test("a real miss corrects the estimate: measured / predicted")
    func realMiss() throws {
        let c = try #require(MachineCalibration.from(measurement(prefill: 500, decode: 100)))
        #expect(c.prefillFactor == 0.5 && c.decodeFactor == 2)
    }

    @Test(
        "an absurd timing (near zero, infinite, negative) is ignored, never stored as a correction",
        arguments: [
            1e-9, -1, 0, Double.infinity, Double.nan, 1e9,
        ])
    func absurd(_ value: Double) {
        #expect(MachineCalibration.from(measurement(prefill: value, decode: value)) == nil)
    }

    func run(_ decode: Double, at minute: Int, untrusted: String? = nil) -> RuntimeMeasurement {
        var m = measurement(prefill: 1000, decode: decode)
        m.measuredAt = "2026-12-02T00:\(minute < 10 ? "0" : "")\(minute):00Z"
        m.untrusted = untrusted
        return m
    }

    @Test("the correction is the median of the newest runs: one odd run among three moves it not at all")
    func median() throws {
        let history = [run(25, at: 1), run(26, at: 2), run(400, at: 3)]
        let c = try #require(MachineCalibration.robust(history, placement: "fits-on-gpu"))
        #expect(c.decodeFactor == 26.0 / 50 && c.prefillFactor == 1 && c.runs == 3)
    }

    @Test("a run flagged as busy is kept but never counted; runs before a reset are not either")
    func flaggedAndReset() throws {
        let busy = [run(25, at: 1), run(5, at: 2, untrusted: "the machine was busy")]
        #expect(try #require(MachineCalibration.robust(busy, placement: "fits-on-gpu")).decodeFactor == 0.5)
        #expect(MachineCalibration.robust(busy, placement: "fits-on-gpu", since: "2026-12-02T00:01:30Z") == nil)
        // another placement's runs say nothing about this one
        #expect(MachineCalibration.robust(busy, placement: "ram-only") == nil)
    }

    @Test("only the newest five runs count: a machine that got faster is followed")
    func window() throws {
        let history = (1...5).map { run(25, at: $0) } + (6...10).map { run(50, at: $0) }
        #expect(MachineCalibration.robust(history, placement: "fits-on-gpu") == nil)
    }
}
