// swift-tools-version:6.2
//
// libFuzzer executables for Portcullis, one per fuzz target. The targets themselves live in
// the root package (Sources/FuzzTargets), so `swift test` replays corpus/ through the same code.
//
// Build (Linux; sanitizers come from the command line, so no unsafeFlags are needed here):
//   swift build -c release -Xswiftc -sanitize=fuzzer,address --scratch-path ../.build-fuzz
// or simply use `Fuzz/run` (see Fuzz/README.md). Not `--sanitize=fuzzer --sanitize=address`:
// SwiftPM passes those as two -sanitize= flags, swiftc keeps only the last, and the code is
// built without coverage instrumentation (libFuzzer then finds nothing to explore).
// No -parse-as-library either: each executable's top-level code starts libFuzzer's driver
// (Sources/CLibFuzzer/include/CLibFuzzer.h says why libFuzzer's own main() cannot be used).
import PackageDescription

let settings: [SwiftSetting] = [.strictMemorySafety()]

let package = Package(
    name: "PortcullisFuzz",
    dependencies: [
        .package(name: "Portcullis", path: ".."),
        // llhttp as shipped in SwiftNIO, for the differential targets only (never in the root package).
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        // Declaration of libFuzzer's LLVMFuzzerRunDriver (no header ships with libFuzzer).
        .target(name: "CLibFuzzer"),
        // Shared entry: copy the input, run the target, report a broken invariant and trap.
        .target(name: "FuzzCommon",
                dependencies: ["CLibFuzzer", .product(name: "FuzzTargets", package: "Portcullis")],
                swiftSettings: settings),
        .executableTarget(name: "FuzzRequestParser", dependencies: ["FuzzCommon"], swiftSettings: settings),
        .executableTarget(name: "FuzzResponseParser", dependencies: ["FuzzCommon"], swiftSettings: settings),
        .executableTarget(name: "FuzzURI", dependencies: ["FuzzCommon"], swiftSettings: settings),
        .executableTarget(name: "FuzzSmallParsers", dependencies: ["FuzzCommon"], swiftSettings: settings),
        .executableTarget(name: "FuzzConnectionMachine", dependencies: ["FuzzCommon"], swiftSettings: settings),
        .executableTarget(name: "FuzzCacheOperations", dependencies: ["FuzzCommon"], swiftSettings: settings),
        // SafeParse beside llhttp. CNIOLLHTTP is a target, not a product, of swift-nio: depending on
        // the NIOHTTP1 product builds it and makes `import CNIOLLHTTP` work (only its C API is used).
        .target(name: "Differential",
                dependencies: ["FuzzCommon",
                               .product(name: "FuzzTargets", package: "Portcullis"),
                               .product(name: "SafeParse", package: "Portcullis"),
                               .product(name: "NIOHTTP1", package: "swift-nio")],
                swiftSettings: settings),
        .executableTarget(name: "FuzzDifferentialRequest", dependencies: ["Differential", "FuzzCommon"], swiftSettings: settings),
        .executableTarget(name: "FuzzDifferentialResponse", dependencies: ["Differential", "FuzzCommon"], swiftSettings: settings),
    ],
    swiftLanguageModes: [.v6]
)
