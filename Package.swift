// swift-tools-version: 6.2
// fit: which local LLM (or cloud model) to use on this machine, and why.
import PackageDescription

let package = Package(
    name: "fit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fit", targets: ["fit"]),
        .library(name: "FitCore", targets: ["FitCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // The executable: `@main` and nothing else.
        .executableTarget(name: "fit", dependencies: ["FitCLI"]),

        // Fuzz targets, one per parser of untrusted input (scripts/fuzz.sh builds them with
        // libFuzzer; an ordinary build replays saved inputs).
        .executableTarget(
            name: "fit-fuzz", dependencies: ["FitCore", "FitCatalog", "FitProbe"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),

        // Commands, rendering, exit codes.
        .target(
            name: "FitCLI",
            dependencies: [
                "FitCore", "FitCatalog", "FitProbe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The pure core: units, quant tables, architectures, machines, memory math. No I/O, no C.
        .target(name: "FitCore"),

        // Catalog text (YAML) -> SQLite (GRDB), with a content-addressed cache.
        .target(
            name: "FitCatalog",
            dependencies: [
                "FitCore", "FitHTTP",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // HTTP over URLSession (FoundationNetworking) with bounded replies: the Hub, the Ollama
        // registry, chat endpoints.
        .target(name: "FitHTTP"),

        // Probes: procfs, sysfs, cgroups, nvidia-smi, libpci, libnuma. The only module that touches C.
        .target(
            name: "FitProbe",
            dependencies: [
                "FitCore", "FitHTTP", "CFitShim", "CNuma",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]),
        // C: the libpci shim and the benchmark kernels, optimised even in debug builds (a -O0
        // benchmark would measure the compiler, not the machine).
        .target(name: "CFitShim", dependencies: ["CLibPCI"], cSettings: [.unsafeFlags(["-O2"])]),
        .systemLibrary(
            name: "CLibPCI", pkgConfig: "libpci",
            providers: [.apt(["libpci-dev"])]),
        .systemLibrary(
            name: "CNuma", pkgConfig: "numa",
            providers: [.apt(["libnuma-dev"])]),

        // Reference architectures shared by the test suites (transcribed from config.json).
        .target(name: "FitTestSupport", dependencies: ["FitCore"], path: "Tests/FitTestSupport"),
        .testTarget(name: "FitCoreTests", dependencies: ["FitCore", "FitTestSupport"]),
        .testTarget(
            name: "FitCatalogTests", dependencies: ["FitCatalog", "FitCore", "FitTestSupport"]),
        .testTarget(
            name: "FitProbeTests",
            dependencies: ["FitProbe", "FitCore", "FitTestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "FitCLITests", dependencies: ["FitCLI", "FitCore", "FitCatalog", "FitProbe", "FitTestSupport"]),
    ]
)
