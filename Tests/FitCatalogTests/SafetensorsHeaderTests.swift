import FitCatalog
import FitTestSupport
import Foundation
import Testing

@Suite("safetensors headers: the exact bytes of the weights, without the weights", .onWorkerThreads)
struct SafetensorsHeaderTests {
    static func bytes(_ json: String) -> [UInt8] { Array(json.utf8) }

    @Test("each tensor's dtype, shape and bytes; their sum is what the weights weigh")
    func parses() throws {
        let h = try SafetensorsHeader.parse(
            Self.bytes(
                #"{"__metadata__": {"format": "pt"}, "b": {"dtype": "F32", "shape": [4096], "data_offsets": [8192, 24576]}, "a": {"dtype": "BF16", "shape": [64, 64], "data_offsets": [0, 8192]}}"#
            ))
        #expect(h.tensors.map(\.name) == ["a", "b"])
        #expect(h.tensors[0].shape == [64, 64] && h.tensors[0].dtype == "BF16")
        #expect(h.dataBytes == 24576)
    }

    @Test(
        "headers no file has are refused with the reason",
        arguments: [
            (#"[1, 2]"#, "not a JSON object"),
            (#"{}"#, "names no tensors"),
            (#"{"a": {"dtype": "F16", "shape": [2, 2]}}"#, "has no dtype, shape and data_offsets"),
            (#"{"a": {"dtype": "F16", "shape": [2, 2], "data_offsets": [8, 0]}}"#, "no tensor has"),
            (#"{"a": {"dtype": "F16", "shape": [-2, 2], "data_offsets": [0, 8]}}"#, "no tensor has"),
            (#"{"a": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 9]}}"#, "spans 9 bytes, not 8"),
            (
                #"{"a": {"dtype": "F16", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 8]}}"#,
                "more than 2^50 elements"
            ),
        ])
    func refused(_ json: String, _ says: String) {
        #expect(throws: SafetensorsHeader.Problem.self) { try SafetensorsHeader.parse(Self.bytes(json)) }
        do {
            _ = try SafetensorsHeader.parse(Self.bytes(json))
        } catch {
            #expect(error.reason.contains(says), "\(error.reason)")
        }
    }

    @Test("the length in the first 8 bytes is little-endian and at most the format's 100 MB")
    func length() throws {
        #expect(try SafetensorsHeader.headerLength([0x10, 0x27, 0, 0, 0, 0, 0, 0]) == 10_000)
        #expect(throws: SafetensorsHeader.Problem.self) {
            try SafetensorsHeader.headerLength([0, 0, 0, 0, 0, 0, 0, 1])
        }
        #expect(throws: SafetensorsHeader.Problem.self) { try SafetensorsHeader.headerLength([1, 2, 3]) }
    }
}
