import Foundation
import Testing

/// The real `proxy` binary, one per concurrency model, between real `curl` and the test
/// origin: every body compared byte for byte, every head compared with what the origin sent.
@Suite("End to end with curl")
struct EndToEndCurlTests {
    @Test("Fixed-length bodies arrive byte for byte", arguments: Harness.models)
    func fixedBodies(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        for size in [0, 1, 65521, 300_000] {
            let result = try h.curl("/fixed/\(size)")
            #expect(result.succeeded, "\(model) /fixed/\(size): \(result.stderr)")
            let transfer = try #require(result.transfers.first)
            #expect(transfer.status == 200)
            #expect(transfer.head.value("Content-Length") == String(size))
            #expect(BodyPattern.firstMismatch(transfer.body, expected: size) == nil, "\(model) /fixed/\(size)")
        }
    }

    @Test("Response head: end-to-end fields kept in order, hop-by-hop removed, Via added", arguments: Harness.models)
    func responseHead(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let direct = try Curl.fetch(h.origin.url("/fixed/1000"), proxyPort: nil, in: h.directory)
        let proxied = try h.curl("/fixed/1000")
        let origin = try #require(direct.transfers.first).head
        let relayed = try #require(proxied.transfers.first).head
        let hopByHop: Set<String> = ["connection", "keep-alive", "x-hop-test"]
        let expected = origin.fields.filter { !hopByHop.contains($0.name.lowercased()) }
            + [("Via", "1.1 \(ProxyUnderTest.viaName)"), ("X-Proxy-Cache", "MISS")] // a GET the cache looked up and did not have
        #expect(origin.value("X-Hop-Test") == "must-not-pass", "the origin sends the field the proxy must drop")
        #expect(relayed.statusLine == "HTTP/1.1 200 OK")
        #expect(relayed.fields.map { "\($0.name): \($0.value)" } == expected.map { "\($0.name): \($0.value)" })
        #expect(relayed.values("X-Multi") == ["one", "two"])
        #expect(try #require(proxied.transfers.first).body == (try #require(direct.transfers.first)).body)
    }

    @Test("Chunked bodies are re-chunked for HTTP/1.1 and close-delimited for HTTP/1.0", arguments: Harness.models)
    func chunkedBodies(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        for size in [0, 5, 200_000] {
            let result = try h.curl("/chunked/\(size)")
            let transfer = try #require(result.transfers.first)
            #expect(result.succeeded && transfer.status == 200, "\(model): \(result.stderr)")
            #expect(transfer.head.value("Transfer-Encoding") == "chunked")
            #expect(transfer.head.value("Content-Length") == nil)
            #expect(BodyPattern.firstMismatch(transfer.body, expected: size) == nil, "\(model) /chunked/\(size)")
        }
        let old = try h.curl("/chunked/100000", options: ["--http1.0"])
        let transfer = try #require(old.transfers.first)
        #expect(old.succeeded && transfer.status == 200, "\(model) HTTP/1.0: \(old.stderr)")
        #expect(transfer.head.value("Transfer-Encoding") == nil)
        #expect(transfer.head.value("Connection") == "close")
        #expect(BodyPattern.firstMismatch(transfer.body, expected: 100_000) == nil)
    }

    @Test("Slow drips, fixed and chunked, arrive whole", arguments: Harness.models)
    func slowDrips(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        for path in ["/drip/40000?pieces=8&delay=40", "/drip/40000?pieces=8&delay=40&chunked=1"] {
            let result = try h.curl(path)
            let transfer = try #require(result.transfers.first)
            #expect(result.succeeded && transfer.status == 200, "\(model) \(path): \(result.stderr)")
            #expect(BodyPattern.firstMismatch(transfer.body, expected: 40_000) == nil, "\(model) \(path)")
        }
    }

    @Test("A body the origin ends with connection close is delivered whole, chunked", arguments: Harness.models)
    func closeDelimited(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let result = try h.curl("/close/150000")
        let transfer = try #require(result.transfers.first)
        #expect(result.succeeded && transfer.status == 200, "\(model): \(result.stderr)")
        #expect(transfer.head.value("Transfer-Encoding") == "chunked")
        #expect(BodyPattern.firstMismatch(transfer.body, expected: 150_000) == nil)
    }

    @Test("An origin reset mid-body cuts the client short; the proxy keeps serving", arguments: Harness.models)
    func resetMidBody(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let result = try h.curl("/reset/400000")
        #expect(!result.succeeded, "curl must see the truncation (\(model))")
        let received = try #require(result.transfers.first).body
        #expect(received.count < 400_000)
        #expect(BodyPattern.firstMismatch(received, expected: received.count) == nil, "the bytes before the reset are intact")
        let after = try h.curl("/fixed/1000")
        #expect(after.succeeded && after.transfers.first?.status == 200, "\(model) after reset: \(after.stderr)")
        #expect(h.proxy.waitForLog { $0.contains("] request_aborted ") })
    }

    @Test("A 16 MiB body streams through byte for byte", arguments: Harness.models)
    func hugeBody(model: String) throws {
        let size = 16 << 20
        let h = try Harness(model: model)
        defer { h.finish() }
        let result = try h.curl("/huge/\(size)", maxSeconds: 120)
        let transfer = try #require(result.transfers.first)
        #expect(result.succeeded && transfer.status == 200, "\(model): \(result.stderr)")
        #expect(BodyPattern.firstMismatch(file: transfer.bodyFile, expected: size) == nil)
    }

    @Test("Keep-alive: four requests share one client and one origin connection", arguments: Harness.models)
    func keepAlive(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let paths = ["/fixed/10", "/chunked/3000", "/fixed/70000", "/status/204"]
        let result = try h.curl(paths)
        #expect(result.succeeded, "\(model): \(result.stderr)")
        #expect(result.transfers.map(\.status) == [200, 200, 200, 204])
        #expect(result.connectionsOpened == 1, "curl opened \(result.connectionsOpened) connections (\(model))")
        let sizes = [10, 3000, 70000, 0]
        for (transfer, size) in zip(result.transfers, sizes) {
            #expect(BodyPattern.firstMismatch(transfer.body, expected: size) == nil)
        }
        #expect(try h.origin.connectionCount == 1, "the upstream connection is reused (\(model))")
        h.proxy.waitForCompleted(4)
        let upstream = h.proxy.records("request_complete").compactMap { $0.fields["upstream"] }
        #expect(upstream == ["new", "reused", "reused", "reused"], "\(model)")
    }

    @Test("Request bodies, Content-Length and chunked, reach the origin byte for byte", arguments: Harness.models)
    func requestBodies(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let upload = h.directory.file("upload.bin")
        let size = 1_000_000
        try Files.write(BodyPattern.bytes(size), to: upload.path)
        for extra in [[], ["-H", "Transfer-Encoding: chunked"]] {
            let result = try h.curl("/echo-body", options: ["--data-binary", "@\(upload.path)", "-H", "Expect:"] + extra)
            let transfer = try #require(result.transfers.first)
            #expect(result.succeeded && transfer.status == 200, "\(model) \(extra): \(result.stderr)")
            #expect(BodyPattern.firstMismatch(transfer.body, expected: size) == nil, "\(model) \(extra)")
        }
    }

    @Test("HEAD gets the head without a body and the connection stays usable", arguments: Harness.models)
    func headRequest(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let result = try h.curl(["/fixed/5000", "/chunked/5000"], options: ["-I"])
        #expect(result.succeeded, "\(model): \(result.stderr)")
        #expect(result.transfers.map(\.status) == [200, 200])
        #expect(result.transfers.first?.head.value("Content-Length") == "5000")
        // With -I curl writes the head to the output: no body byte may follow it.
        #expect(result.transfers.allSatisfy { String(decoding: $0.body, as: UTF8.self).hasSuffix("X-Proxy-Cache: MISS\r\n\r\n") })
        #expect(result.connectionsOpened == 1)
    }
}
