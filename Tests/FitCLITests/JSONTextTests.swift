import FitTestSupport
import Foundation
import Testing

@testable import FitCLI

@Suite("The hand-written JSON of fit --json", .onWorkerThreads)
struct JSONTextTests {
    @Test("strings with quotes, backslashes, control characters and non-ASCII round-trip through a JSON parser")
    func escaping() throws {
        let tricky = "a\"b\\c\nd\te\u{1}f é 😀"
        let value = JSONValue.object([
            "s": .string(tricky), "n": .int(-42), "b": .bool(true), "z": .null, "a": .array([.int(1), .array([])]),
        ])
        let parsed = try JSONSerialization.jsonObject(with: Data(value.bytes())) as? [String: Any]
        #expect(parsed?["s"] as? String == tricky)
        #expect(parsed?["n"] as? Int == -42)
        #expect(parsed?["b"] as? Bool == true)
        #expect(parsed?["z"] is NSNull)
        #expect((parsed?["a"] as? [Any])?.count == 2)
    }

    @Test("keys come out sorted, so the output is the same every run")
    func sorted() {
        let text = String(
            decoding: JSONValue.object(["b": .int(1), "a": .int(2), "c": .int(3)]).bytes(), as: UTF8.self)
        #expect(text == "{\n  \"a\" : 2,\n  \"b\" : 1,\n  \"c\" : 3\n}\n")
    }
}
