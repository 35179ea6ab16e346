// swift-tools-version:6.2
//
// Portcullis: a hardened, observable, caching HTTP/1.x proxy.
//
// Module map (see ARCHITECTURE.md):
//   SafeParse  - sans-I/O HTTP/1.x parser; no dependencies, no Foundation.
//   CSeccomp   - C shims over libseccomp (variadic calls and macros Swift cannot reach).
//   Proxy      - the engine: connection state machine, drivers, cache, logs.
//   ProxyCLI   - the `proxy` executable: command line, signals, start-up.
import PackageDescription

let strict: [SwiftSetting] = [
    .strictMemorySafety(),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Portcullis",
    products: [
        .library(name: "SafeParse", targets: ["SafeParse"]),
        .library(name: "Proxy", targets: ["Proxy"]),
        .executable(name: "proxy", targets: ["ProxyCLI"]),
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    targets: [
        .target(name: "SafeParse", swiftSettings: strict),
        .target(name: "CSeccomp", linkerSettings: [.linkedLibrary("seccomp")]),
        .target(name: "CSystemShims"),
        .target(name: "Proxy", dependencies: ["SafeParse", "CSeccomp", "CSystemShims"], swiftSettings: strict),
        .executableTarget(name: "ProxyCLI", dependencies: ["Proxy"], swiftSettings: strict),
        .testTarget(name: "SafeParseTests", dependencies: ["SafeParse"], swiftSettings: strict),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "SafeParse"], swiftSettings: strict),
        .testTarget(name: "IntegrationTests", dependencies: [], swiftSettings: strict),
        .target(name: "FuzzTargets", dependencies: ["SafeParse", "Proxy"], swiftSettings: strict),
        .testTarget(name: "FuzzReplayTests", dependencies: ["FuzzTargets"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
