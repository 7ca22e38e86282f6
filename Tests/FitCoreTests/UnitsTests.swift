import FitCore
import FitTestSupport
import Testing

@Suite("Units parse at the edge and print for people", .onWorkerThreads)
struct UnitsTests {
    @Test(
        "context lengths people type",
        arguments: [
            ("65536", 65536), ("64k", 65536), ("128K", 131072), ("1M", 1_048_576), (" 4096 ", 4096),
        ])
    func contexts(_ text: String, _ tokens: Int) {
        #expect(TokenCount.parse(text) == TokenCount(tokens))
    }

    @Test("what is not a context", arguments: ["-1", "10G", "", "k", "1.5k", "64 k", "sixty"])
    func notContexts(_ text: String) {
        #expect(TokenCount.parse(text) == nil)
    }

    @Test(
        "GB is 10^9 and GiB is 2^30",
        arguments: [
            ("24GiB", Int64(24) << 30), ("24GB", 24_000_000_000), ("24 GB", 24_000_000_000),
            ("512MiB", Int64(512) << 20),
            ("1.5TB", 1_500_000_000_000), ("1073741824", 1_073_741_824), ("24G", Int64(24) << 30),
        ])
    func sizes(_ text: String, _ bytes: Int64) {
        #expect(ByteCount.parse(text) == ByteCount(bytes))
    }

    @Test("what is not a size", arguments: ["24XB", "-3GB", "GB", "", "1e30GB"])
    func notSizes(_ text: String) {
        #expect(ByteCount.parse(text) == nil)
    }

    @Test("sizes print in binary units")
    func formatting() {
        #expect(ByteCount.gib(17.34).description == "17.3 GiB")
        #expect(ByteCount.mib(512).description == "512 MiB")
        #expect(TokenCount(65536).description == "65,536")
        #expect(TokenCount(65536).short == "64k")
        #expect(TokenCount(151_296).short == "147k")
    }
}
