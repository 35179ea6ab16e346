import Foundation
import Testing

/// Checks of the harness itself, so a passing integration test means what it says.
@Suite("Integration harness")
struct HarnessSelfTests {
    @Test("The proxy under test is the binary built next to this test bundle")
    func binaryLocation() {
        let binary = BuildLocation.proxyBinary
        #expect(FileManager.default.isExecutableFile(atPath: binary.path), "missing \(binary.path)")
        if ProcessInfo.processInfo.environment["PORTCULLIS_PROXY"] == nil {
            #expect(binary.deletingLastPathComponent() == BuildLocation.productsDirectory)
        }
        let path = BuildLocation.productsDirectory.path
        if path.contains(".build-tsan") { #expect(BuildLocation.sanitizer == "thread") }
        if path.contains(".build-asan") { #expect(BuildLocation.sanitizer == "address") }
    }

    @Test("The log parser accepts the documented format and rejects forged or broken lines")
    func logParser() throws {
        let good = try #require(LogLine(#"[2024-01-15T10:00:15.123Z] [INFO] [worker-3] request_complete status=200 bytes=259 latency_ms=8 cache=BYPASS upstream=new"#))
        #expect(good.event == "request_complete" && good.thread == "worker-3" && good.level == "INFO")
        #expect(good.keys == ["status", "bytes", "latency_ms", "cache", "upstream"])
        #expect(good.fields["latency_ms"] == "8")
        let quoted = try #require(LogLine(#"[2024-01-15T10:00:15.123Z] [WARN] [main] x uri="a \"b\" \\ \n \x7f" n=1"#))
        #expect(quoted.fields["uri"] == "a \"b\" \\ \n \u{7f}")
        #expect(LogLine(#"[2024-01-15T10:00:15.123Z] [INFO] [main] Listening on 127.0.0.1:8080"#)?.event == "Listening on 127.0.0.1:8080")
        let broken = [
            #"[2024-01-15T10:00:15.123Z] [INFO] [main] x uri="a"b" n=1"#,      // unescaped quote
            #"[2024-01-15T10:00:15.123Z] [INFO] [main] x uri="open"#,          // unterminated
            #"[2024-01-15T10:00:15.123Z] [INFO] [main] x a=1 a=2"#,            // repeated key
            #"[2024-01-15T10:00:15.123Z] [INFO] [main] x a=1 word"#,           // word after a field
            #"[2024-01-15T10:00:15.123Z] [INFO] [main] x a=b=c"#,              // '=' in a bare value
            #"[2024-01-15T10:00:15.123] [INFO] [main] x"#,                     // timestamp without Z
            #"[2024-01-15T10:00:15.123Z] [NOTICE] [main] x"#,                  // unknown level
            #"WARNING: ThreadSanitizer: data race (pid=1)"#,
        ]
        for line in broken {
            #expect(LogLine(line) == nil, "accepted \(line)")
        }
    }

    @Test("The body pattern matches the origin's and finds a changed byte")
    func bodyPattern() throws {
        var body = BodyPattern.bytes(200_000)
        #expect(BodyPattern.firstMismatch(body, expected: 200_000) == nil)
        body[131_042] ^= 1
        #expect(BodyPattern.firstMismatch(body, expected: 200_000) == "byte 131042 is \(body[131_042]), expected \(body[131_042] ^ 1)")
        #expect(BodyPattern.firstMismatch(Array(body.prefix(10)), expected: 11) != nil)
        // The origin's own bytes: /fixed/<n> straight from it, no proxy.
        let directory = try TemporaryDirectory("pattern")
        defer { directory.remove() }
        let origin = try TestOrigin()
        defer { origin.stop() }
        let direct = try Curl.fetch(origin.url("/huge/300000"), proxyPort: nil, in: directory)
        let transfer = try #require(direct.transfers.first)
        #expect(BodyPattern.firstMismatch(file: transfer.bodyFile, expected: 300_000) == nil)
    }
}
