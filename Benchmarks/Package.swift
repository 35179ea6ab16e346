// swift-tools-version: 6.2
//
// Parser benchmarks for Portcullis: SafeParse beside llhttp as shipped in SwiftNIO (CNIOLLHTTP),
// parsing the same bytes. A separate package so that the root package (and CI) never builds
// swift-nio or the benchmark harness. Run `Benchmarks/run` (see docs/BENCHMARKS.md).
//
//   ParserBenchKit    - the inputs (realistic requests and responses) and one driver per parser.
//   ParserBenchmarks  - ordo-one/benchmark suite: wall clock, throughput, mallocs per message.
//   ParserThroughput  - stand-alone table: MB/s, messages/s, mallocs per message.
//   CacheStoreContention - cache store operations/s by thread count, one shard against several.
import PackageDescription

let package = Package(
    name: "PortcullisBenchmarks",
    dependencies: [
        .package(name: "Portcullis", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // CNIOLLHTTP is a target, not a product, of swift-nio: depending on the NIOHTTP1 product
        // builds it and makes its module importable (`import CNIOLLHTTP`). Only its C API is used.
        .target(
            name: "ParserBenchKit",
            dependencies: [
                .product(name: "SafeParse", package: "Portcullis"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ParserBenchmarks",
            dependencies: [
                "ParserBenchKit",
                .product(name: "SafeParse", package: "Portcullis"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ParserBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Cache store lock contention: one shard (one lock) against several, threads racing.
        .executableTarget(
            name: "CacheStoreContention",
            dependencies: [.product(name: "Proxy", package: "Portcullis")]
        ),
        .executableTarget(
            name: "ParserThroughput",
            dependencies: [
                "ParserBenchKit",
                .product(name: "SafeParse", package: "Portcullis"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
