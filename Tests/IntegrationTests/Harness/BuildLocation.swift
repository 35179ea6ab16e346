import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the binaries and sources under test are, found at run time.
///
/// SwiftPM puts every product of a build next to the test bundle
/// (`<scratch>/<triple>/debug/`, linked as `<scratch>/debug/`), so the `proxy` binary tested is
/// always the one built with the same flags as this test run: `.build/debug/proxy` in the plain
/// run, `.build-tsan/debug/proxy` under ThreadSanitizer, whatever `--scratch-path` was given.
/// The test executable's own path comes from /proc/self/exe, not from `#filePath`, which names
/// the source tree and says nothing of the build. `PORTCULLIS_PROXY` overrides the binary.
enum BuildLocation {
    /// The directory holding the running test executable.
    static let productsDirectory: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Swift.CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
    }()

    /// The `proxy` executable under test.
    static let proxyBinary: URL = {
        if let path = ProcessInfo.processInfo.environment["PORTCULLIS_PROXY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return productsDirectory.appendingPathComponent("proxy")
    }()

    /// The repository root, from this source file's path (for the origin script and the shim
    /// source, which are not build products).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // Harness
        .deletingLastPathComponent()   // IntegrationTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()

    static let originScript = repositoryRoot.appendingPathComponent("Tests/Support/origin.py")
    static let faultyIOSource = repositoryRoot.appendingPathComponent("Tests/Shims/faulty_io.c")

    /// The sanitizer this test run (and so the proxy next to it) was built with, if any.
    /// The runtime's entry symbol is looked up in the running process; the build directory's
    /// name (`.build-asan`, `.build-tsan`, as scripts/test-all names them) is a fallback.
    static let sanitizer: String? = {
        if unsafe dlsym(dlopen(nil, RTLD_NOW), "__tsan_init") != nil { return "thread" }
        if unsafe dlsym(dlopen(nil, RTLD_NOW), "__asan_init") != nil { return "address" }
        let path = productsDirectory.path
        if path.contains("tsan") { return "thread" }
        if path.contains("asan") { return "address" }
        return nil
    }()

    static var isSanitized: Bool { sanitizer != nil }
}
