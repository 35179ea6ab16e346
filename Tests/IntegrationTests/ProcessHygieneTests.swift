import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the proxy process leaves behind and holds: descriptors, children, memory, and how it
/// ends on SIGTERM.
@Suite("Process hygiene")
struct ProcessHygieneTests {
    @Test("SIGTERM on an idle proxy: exit 0 within seconds, with a shutdown_complete summary", arguments: Harness.models)
    func sigtermIdle(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let ok = try h.curl(["/fixed/10", "/fixed/20"])
        #expect(ok.succeeded)
        #expect(h.proxy.waitForCompleted(2))
        let started = Clock.nowMs()
        let exit = h.proxy.stop()
        #expect(exit == .status(0), "\(model): \(exit?.description ?? "killed")")
        #expect(Clock.nowMs() - started < 5_000, "an idle proxy stops promptly")
        let summary = try #require(h.proxy.records("shutdown_complete").first)
        #expect(summary.fields["total_requests"] == "2")
        #expect(summary.fields["connections"] == "1")
        #expect(summary.fields["status_2xx"] == "2")
        #expect(summary.fields["upstream_reused"] == "1")
        #expect(h.proxy.records("shutdown_requested").first?.fields["signal"] == "15")
    }

    @Test("SIGTERM with an idle keep-alive client: the client is closed and the proxy exits promptly",
          arguments: Harness.models)
    func sigtermWithIdleClient(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let client = try h.connect()
        try client.send(h.get("/fixed/10"))
        let reader = HTTPReader(client)
        #expect(try reader.next().status == 200)
        #expect(h.proxy.waitForCompleted(1))
        let started = Clock.nowMs()
        let exit = h.proxy.stop(seconds: 15)
        let elapsed = Clock.nowMs() - started
        #expect(exit == .status(0), "\(model): \(exit?.description ?? "killed")")
        #expect(elapsed < 5_000, "\(model): took \(elapsed) ms with an idle client (client idle timeout is 75 s)")
        #expect(reader.serverClosed(timeoutMs: 5_000), "\(model): the idle connection is closed")
    }

    @Test("No descriptor leaks and no zombies after a mix of good, failed and abandoned exchanges",
          arguments: Harness.models)
    func noLeaks(model: String) throws {
        let h = try Harness(model: model, options: ["--response-timeout", "500", "--client-head-timeout", "1000"])
        defer { h.finish() }
        // Warm up (threads, log writer, lazy state), then take the baseline.
        _ = try h.curl("/fixed/10")
        #expect(h.proxy.waitForCompleted(1))
        let baseline = try #require(waitForSteadyDescriptors(h.proxy, atMost: nil))

        let o = "127.0.0.1:\(h.origin.port)"
        let closedPort = try ClosedPort.find()
        var expectedCompletions = 1
        for round in 0..<3 {
            // Keep-alive pair, then close.
            let a = try h.connect()
            try a.send(h.get("/fixed/5000") + h.get("/chunked/7000"))
            let ra = HTTPReader(a)
            #expect(try ra.next().status == 200)
            #expect(try ra.next().status == 200)
            a.close()
            expectedCompletions += 2
            // Origin reset mid-body.
            let b = try h.connect()
            try b.send(h.get("/reset/200000"))
            _ = try b.readToEnd(timeoutMs: 10_000)
            expectedCompletions += 1
            // Connection refused upstream (502), response timeout (504).
            let c = try h.connect()
            try c.send("GET http://127.0.0.1:\(closedPort)/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(String(decoding: try c.readToEnd(timeoutMs: 10_000), as: UTF8.self).hasPrefix("HTTP/1.1 502 "))
            let d = try h.connect()
            try d.send(h.get("/slow-head", extra: ["Connection: close"]))
            #expect(String(decoding: try d.readToEnd(timeoutMs: 10_000), as: UTF8.self).hasPrefix("HTTP/1.1 504 "))
            expectedCompletions += 2
            // Malformed.
            let e = try h.connect()
            try e.send("GET http://\(o)/ HTTP/1.1\r\nHost: \(o)\r\nX: a\r\n b\r\n\r\n")
            _ = try e.readToEnd(timeoutMs: 10_000)
            expectedCompletions += 1
            // Abandoned: connect and close; half a head then close; close in the middle of a
            // dripping response; close in the middle of a request body.
            try h.connect().close()
            let f = try h.connect()
            try f.send("GET http://\(o)/fixed/1 HTTP/1.1\r\nHo")
            f.close()
            let g = try h.connect()
            try g.send(h.get("/drip/30000?pieces=6&delay=50"))
            _ = try g.receive(timeoutMs: 10_000)
            g.close()
            expectedCompletions += 1
            let k = try h.connect()
            try k.send("POST http://\(o)/echo-body HTTP/1.1\r\nHost: \(o)\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "z", count: 3000))
            usleep(50_000)
            k.close()
            expectedCompletions += 1
            // A slow client: the head never completes (408 after --client-head-timeout).
            if round == 0 {
                let s = try h.connect()
                try s.send("GET http://\(o)/fixed/1 HTTP/1.1\r\n")
                #expect(String(decoding: try s.readToEnd(timeoutMs: 10_000), as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
                expectedCompletions += 1
            }
        }
        #expect(h.proxy.waitForCompleted(expectedCompletions, seconds: 15),
                "\(model): expected \(expectedCompletions) request_complete lines")
        let after = try #require(waitForSteadyDescriptors(h.proxy, atMost: baseline.count))
        #expect(after.count <= baseline.count, "\(model): descriptors before \(baseline), after \(after)")
        let zombies = h.proxy.childStates().filter { $0.state == "Z" }
        #expect(zombies.isEmpty, "\(model): zombie children \(zombies)")
        #expect(h.proxy.childStates().isEmpty, "\(model): the proxy started child processes")
    }

    /// The proxy's descriptors once the list held still for 300 ms (and, with `atMost`, has
    /// dropped to that many): a connection's descriptors go a little after the client's close.
    /// After 15 s, the list as it is (a leak then shows as a count above `atMost`).
    func waitForSteadyDescriptors(_ proxy: ProxyUnderTest, atMost: Int?) -> [String]? {
        let deadline = Clock.nowMs() + 15_000
        var previous = proxy.openDescriptors()
        var stableSince = Clock.nowMs()
        while Clock.nowMs() < deadline {
            usleep(50_000)
            let now = proxy.openDescriptors()
            if now != previous {
                previous = now
                stableSince = Clock.nowMs()
            } else if Clock.nowMs() - stableSince >= 300, atMost.map({ now.count <= $0 }) ?? true {
                return now
            }
        }
        return atMost == nil ? nil : previous
    }

    @Test("Memory stays bounded: 64 MiB down and 32 MiB up stream through without growing the peak RSS",
          arguments: Harness.models)
    func boundedMemory(model: String) throws {
        // ASan keeps freed blocks in a 256 MiB quarantine by default, which would measure the
        // allocator, not the proxy: keep it small for this test.
        var environment: [String: String] = [:]
        if BuildLocation.sanitizer == "address" {
            let inherited = ProcessInfo.processInfo.environment["ASAN_OPTIONS"].map { $0 + ":" } ?? ""
            environment["ASAN_OPTIONS"] = inherited + "quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
        }
        let h = try Harness(model: model, environment: environment)
        defer { h.finish() }
        let small = try h.curl("/fixed/2048")
        #expect(small.succeeded)
        let baseline = try #require(h.proxy.statusKiB("VmHWM"))

        let down = 64 << 20
        let result = try h.curl("/huge/\(down)", maxSeconds: 240)
        let transfer = try #require(result.transfers.first)
        #expect(result.succeeded && transfer.status == 200, "\(result.stderr)")
        #expect(BodyPattern.firstMismatch(file: transfer.bodyFile, expected: down) == nil)
        try? FileManager.default.removeItem(at: transfer.bodyFile)

        let up = 32 << 20
        let upload = h.directory.file("upload.bin")
        try Files.write(BodyPattern.bytes(up), to: upload.path)
        let echo = try h.curl("/echo-body", options: ["--data-binary", "@\(upload.path)", "-H", "Expect:"], maxSeconds: 240)
        let echoed = try #require(echo.transfers.first)
        #expect(echo.succeeded && echoed.status == 200, "\(echo.stderr)")
        #expect(BodyPattern.firstMismatch(file: echoed.bodyFile, expected: up) == nil)

        let peak = try #require(h.proxy.statusKiB("VmHWM"))
        let growth = peak - baseline
        // Buffering is one 16 KiB read per direction per connection; allow generous slack for
        // allocator behaviour, far below the 96 MiB that went through.
        let growthLimit = BuildLocation.isSanitized ? 48 * 1024 : 8 * 1024
        #expect(growth < growthLimit, "\(model): peak RSS grew \(growth) KiB (from \(baseline) to \(peak) KiB)")
        if !BuildLocation.isSanitized {
            #expect(peak < 64 * 1024, "\(model): peak RSS \(peak) KiB")
        }
    }
}
