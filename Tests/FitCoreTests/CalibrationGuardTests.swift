import Testing

@testable import FitCore

@Suite("a measurement never poisons this machine's calibration")
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
}
