import Foundation
import Testing

/// Robust I/O, proven by library interposition: the proxy runs under Tests/Shims/faulty_io.c
/// (LD_PRELOAD), which makes its socket read/recv/write/send/writev calls return short counts,
/// EINTR and EAGAIN at random (seeded), and every body must still arrive byte for byte.
///
/// Plain debug run only: in the ASan and TSan runs the proxy carries the sanitizer runtime,
/// whose own interceptors of these calls conflict with a preloaded library. The seed is fixed
/// per model (set PORTCULLIS_FAULT_SEED to try another); it is in every failure message.
///
/// This suite runs a cross-section in every plain run. To run the whole integration suite
/// under the shim: `PORTCULLIS_FAULTY_IO=1 [PORTCULLIS_FAULT_SEED=n] [PORTCULLIS_FAULT_RATE=r]
/// swift test --skip-build --filter IntegrationTests` (see `ProxyUnderTest.faultyIOEverywhere`).
@Suite("Faulty socket I/O (LD_PRELOAD shim; plain debug run only)",
       .disabled(if: BuildLocation.isSanitized, "LD_PRELOAD conflicts with the sanitizer runtime"))
struct FaultyIOTests {
    static let rate = 0.3

    static func seed(for model: String) -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["PORTCULLIS_FAULT_SEED"], let seed = UInt64(text) { return seed }
        return UInt64(0xC0FFEE) &+ UInt64(Harness.models.firstIndex(of: model) ?? 0)
    }

    @Test("Bodies stay byte-identical when every socket call may be short, EINTR or EAGAIN", arguments: Harness.models)
    func traffic(model: String) throws {
        let seed = Self.seed(for: model)
        let tag = "\(model), seed \(seed)"
        let faultLog = FileManager.default.temporaryDirectory.appendingPathComponent("faulty-io-\(getpid())-\(model).txt")
        defer { try? FileManager.default.removeItem(at: faultLog) }
        let environment = try FaultyIOShim.environment(seed: seed, rate: Self.rate, faultLog: faultLog)
        let h = try Harness(model: model, options: ["-t", "8", "--queue-capacity", "256"], environment: environment)
        defer { h.finish() }

        // Downloads of every framing.
        let downloads: [(String, Int)] = [("/fixed/0", 0), ("/fixed/1", 1), ("/fixed/300000", 300_000),
                                          ("/chunked/200000", 200_000), ("/close/100000", 100_000),
                                          ("/drip/30000?pieces=6&delay=20", 30_000),
                                          ("/drip/30000?pieces=6&delay=20&chunked=1", 30_000), ("/huge/4194304", 4_194_304)]
        for (path, size) in downloads {
            let result = try h.curl(path, maxSeconds: 60)
            let transfer = try #require(result.transfers.first, "\(tag) \(path): \(result.stderr)")
            #expect(result.succeeded && transfer.status == 200, "\(tag) \(path): \(result.stderr)")
            #expect(BodyPattern.firstMismatch(file: transfer.bodyFile, expected: size) == nil, "\(tag) \(path)")
        }

        // Keep-alive through curl, and HEAD.
        let kept = try h.curl(["/fixed/10", "/chunked/3000", "/fixed/70000"])
        #expect(kept.succeeded && kept.transfers.map(\.status) == [200, 200, 200], "\(tag): \(kept.stderr)")
        #expect(kept.connectionsOpened == 1, "\(tag)")
        for (transfer, size) in zip(kept.transfers, [10, 3000, 70000]) {
            #expect(BodyPattern.firstMismatch(transfer.body, expected: size) == nil, "\(tag) keep-alive")
        }

        // Uploads, Content-Length and chunked.
        let upload = h.directory.file("upload.bin")
        try Files.write(BodyPattern.bytes(1_000_000), to: upload.path)
        for extra in [[], ["-H", "Transfer-Encoding: chunked"]] {
            let result = try h.curl("/echo-body", options: ["--data-binary", "@\(upload.path)", "-H", "Expect:"] + extra, maxSeconds: 60)
            let transfer = try #require(result.transfers.first, "\(tag) upload \(extra): \(result.stderr)")
            #expect(result.succeeded && transfer.status == 200, "\(tag) upload \(extra): \(result.stderr)")
            #expect(BodyPattern.firstMismatch(file: transfer.bodyFile, expected: 1_000_000) == nil, "\(tag) upload \(extra)")
        }

        // Pipelining, the request head echoed exactly.
        let client = try h.connect()
        try client.send(h.get("/fixed/100") + h.get("/echo-head", extra: ["X-Keep: 1"]) + h.get("/chunked/5000"))
        let reader = HTTPReader(client)
        let first = try reader.next(timeoutMs: 20_000)
        let second = try reader.next(timeoutMs: 20_000)
        let third = try reader.next(timeoutMs: 20_000)
        #expect(BodyPattern.firstMismatch(first.body, expected: 100) == nil, "\(tag) pipelined 1")
        #expect(second.bodyText == "GET /echo-head HTTP/1.1\r\nHost: 127.0.0.1:\(h.origin.port)\r\nX-Keep: 1\r\nVia: 1.1 \(ProxyUnderTest.viaName)\r\n\r\n",
                "\(tag) pipelined 2")
        #expect(BodyPattern.firstMismatch(third.body, expected: 5000) == nil, "\(tag) pipelined 3")
        client.close()

        // Malformed requests are still refused with the right status, without an upstream
        // connection (the parser sees them in random pieces).
        let connectionsBefore = try h.origin.connectionCount
        let o = "127.0.0.1:\(h.origin.port)"
        let malformed: [(String, Int)] = [
            ("POST http://\(o)/echo-body HTTP/1.1\r\nHost: \(o)\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("GET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\nX-Folded: a\r\n b\r\n\r\n", 400),
            ("GET http://\(o)/fixed/1 HTTP/2.0\r\nHost: \(o)\r\n\r\n", 505),
            ("GET /fixed/1 HTTP/1.1\r\nHost: \(o)\r\n\r\n", 400),
            ("GET http://\(o)/fixed/1?\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: \(o)\r\n\r\n", 414),
        ]
        for (request, status) in malformed {
            let c = try h.connect()
            try c.send(request)
            let response = try HTTPReader(c).next(timeoutMs: 20_000)
            #expect(response.status == status, "\(tag): \(request.prefix(60).debugDescription) got \(response.statusLine)")
            c.close()
        }
        #expect(try h.origin.connectionCount == connectionsBefore, "\(tag): a malformed request reached the origin")

        // Concurrent clients.
        let clients = model == "iterative" ? 10 : 50
        let plans = (0..<clients).map { i in
            ClientLoad.Plan(requests: [("/fixed/\(1 + i * 997)", 1 + i * 997), ("/chunked/\(i * 331)", i * 331)])
        }
        let outcome = ClientLoad.run(plans, proxyPort: h.proxy.port, originPort: h.origin.port).snapshot
        #expect(outcome.failures.isEmpty, "\(tag): \(outcome.failures.prefix(5))")
        #expect(outcome.responses == clients * 2, "\(tag)")

        // The shim really injected every kind of fault (counts written at the proxy's exit):
        // each kind at least half its expected share (`rate` / 3 of the socket calls; a driver
        // that makes fewer calls per request gets fewer faults, not a weaker run), over a run
        // of some hundreds of calls.
        h.finish()
        let counts = FaultyIOShim.counts(faultLog)
        let calls = counts["calls"] ?? 0
        let floor = Int(Double(calls) * Self.rate / 6)
        #expect(calls > 500, "\(tag): faults injected \(counts)")
        #expect((counts["eintr"] ?? 0) > floor && (counts["eagain"] ?? 0) > floor && (counts["short"] ?? 0) > floor,
                "\(tag): faults injected \(counts), each kind above \(floor)")
    }

    @Test("503 rejections at capacity arrive whole when sends may be short or EAGAIN",
          arguments: [("pool", ["-t", "1", "--queue-capacity", "1"]), ("thread", ["--max-connections", "1"]),
                      ("epoll", ["-t", "1", "--max-connections", "1"])])
    func overloadPages(model: String, options: [String]) throws {
        let seed = Self.seed(for: model) &+ 100
        let tag = "\(model), seed \(seed)"
        let faultLog = FileManager.default.temporaryDirectory.appendingPathComponent("faulty-io-\(getpid())-503-\(model).txt")
        defer { try? FileManager.default.removeItem(at: faultLog) }
        let environment = try FaultyIOShim.environment(seed: seed, rate: Self.rate, faultLog: faultLog)
        let h = try Harness(model: model, options: options + ["--response-timeout", "5000"], environment: environment)
        defer { h.finish() }
        let busy = try h.connect()
        try busy.send(h.get("/slow-head"))
        #expect(h.proxy.waitForLog { $0.contains("] server_connect ") })
        let queued = model == "pool" ? try h.connect() : nil
        usleep(200_000)
        for i in 0..<20 {
            let client = try h.connect()
            let reply = String(decoding: try client.readToEnd(timeoutMs: 10_000), as: UTF8.self)
            #expect(reply.hasPrefix("HTTP/1.1 503 ") && reply.hasSuffix("</html>\n"), "\(tag) #\(i): \(reply.debugDescription)")
        }
        busy.close()
        queued?.close()
    }
}

