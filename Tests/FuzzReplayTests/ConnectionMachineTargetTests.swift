@testable import FuzzTargets
import Proxy
import SafeParse
import Testing

/// The connection-machine harness itself: a replay that passes must have driven real
/// exchanges, and each invariant must be able to fail.
@Suite struct ConnectionMachineTargetTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func observerWithRequest() -> MachineObserver {
        var observer = MachineObserver(requestLimits: .default, responseLimits: .default, viaName: CannedMessages.viaName)
        observer.clientDelivered(bytes("GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\n\r\n"))
        return observer
    }

    /// Computed, not a stored static: LeakSanitizer cannot see the pointer inside a stored
    /// multi-payload enum (its spare bits carry the case) and reports it as leaked.
    static var requestStart: ConnectionAction {
        .log(LogRecord(.info, "request_start", [
            ("method", .bytes(bytes("GET"))), ("uri", .bytes(bytes("http://origin.test/"))),
        ]))
    }

    /// An engine as the target makes one for each input.
    static func engine() -> EngineContext {
        EngineContext(config: ConnectionMachineTarget.configurations[0],
                      wallClock: (ConnectionMachineTarget.wallSecondsAtStart, 1_000_000_000))
    }

    /// Drives one GET through a fresh engine: the client's request, the connect, `origin`'s
    /// pieces, then the end of the script.
    static func fetch(_ origin: [ScriptEvent]) throws -> (EngineContext, MachineDriverModel) {
        let engine = Self.engine()
        var driver = MachineDriverModel(engine: engine, client: ConnectionMachineTarget.allowedClient)
        try driver.start()
        for event in [.clientBytes(CannedMessages.requests[0]), .connectResult(.connected)] + origin {
            try driver.run(event)
        }
        try driver.finish()
        return (engine, driver)
    }

    static let cacheable = bytes("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 10\r\n\r\n0123456789")

    @Test("A complete cacheable response is stored, and the cached-bodies check accepts it")
    func completeResponseIsCached() throws {
        let (engine, driver) = try Self.fetch([.originBytes(Self.cacheable)])
        let entries = try #require(engine.cache?.store.snapshotByRecency())
        #expect(entries.map(\.body) == [Self.bytes("0123456789")])
        #expect(throws: Never.self) { try ConnectionMachineTarget.checkCachedBodies(engine, driver.observer) }
    }

    @Test("A cacheable response cut short by EOF or a reset is not stored", arguments: [ScriptEvent.originEOF, .originReset])
    func failedResponseIsNotCached(_ end: ScriptEvent) throws {
        let (engine, _) = try Self.fetch([.originBytes(Array(Self.cacheable.dropLast(4))), end])
        #expect(engine.cache?.store.entryCount == 0)
    }

    @Test("An entry no complete origin response carried is a violation")
    func cachedBodyWithoutOriginResponse() throws {
        let (engine, driver) = try Self.fetch([.originBytes(Self.cacheable)])
        let store = try #require(engine.cache?.store)
        let writer = try #require(store.beginStore(key: Self.bytes("http://origin.test/other"), variant: [], head: Self.bytes("h"),
                                                   expectedBodyBytes: 3))
        #expect(writer.append(Self.bytes("cut")) && writer.commit())
        #expect(throws: InvariantViolation.self) { try ConnectionMachineTarget.checkCachedBodies(engine, driver.observer) }
    }

    @Test("A keep-alive transcript forwards both requests and pairs both responses with the origin's")
    func transcriptIsObserved() throws {
        let engine = Self.engine()
        var driver = MachineDriverModel(engine: engine, client: ConnectionMachineTarget.allowedClient)
        try driver.start()
        for event: ScriptEvent in [.clientBytes(CannedMessages.requests[3]), .connectResult(.connected),
                                   .originBytes(CannedMessages.responses[0]), .clientBytes(CannedMessages.requests[4]),
                                   .originBytes(CannedMessages.responses[2])] {
            try driver.run(event)
        }
        try driver.finish()
        let observer = driver.observer
        #expect(observer.clientClosed && observer.connections.count == 1)
        let upstream = try #require(observer.connections.first)
        #expect(upstream.requests.messages.count == 2 && upstream.requests.messages.allSatisfy(\.isComplete))
        #expect(upstream.requests.messages.map(\.body) == [Self.bytes("hello world"), Self.bytes("hello world")])
        #expect(observer.toClient.messages.map(\.body) == [Self.bytes("hello"), Self.bytes("abc")])
        #expect(observer.pairs.count == 2)
    }

    @Test("A request written upstream before any connect is a violation")
    func writeWithoutConnect() {
        var observer = Self.observerWithRequest()
        #expect(throws: InvariantViolation.self) {
            try observer.observe([Self.requestStart, .writeUpstream(Self.bytes("GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n"))], relaying: false)
        }
    }

    @Test("A connect closed in the event that asked for it is a violation")
    func abandonedConnect() {
        var observer = Self.observerWithRequest()
        #expect(throws: InvariantViolation.self) {
            try observer.observe([Self.requestStart, .connectUpstream(host: "origin.test", port: 80, poolAllowed: true), .closeUpstream], relaying: false)
        }
    }

    @Test("Anything but a log after closeClient is a violation")
    func actionAfterClose() {
        var observer = Self.observerWithRequest()
        #expect(throws: InvariantViolation.self) {
            try observer.observe([.closeClient, .log(LogRecord(.info, "x")), .cancelTimer], relaying: false)
        }
    }

    @Test("Malformed output, hop-by-hop fields and bytes after a closing response are violations")
    func clientSideViolations() {
        let outputs: [[[UInt8]]] = [
            [Self.bytes("HTTP/1.1 200 OK\nContent-Length: 0\n\n")],
            [Self.bytes("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n")],
            [Self.bytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), Self.bytes("HTTP/1.1 200 OK\r\n")],
            [Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")],
        ]
        for writes in outputs {
            var observer = Self.observerWithRequest()
            let actions = [Self.requestStart] + writes.map { ConnectionAction.writeClient($0) }
            let violation: InvariantViolation?
            do throws(InvariantViolation) {
                try observer.observe(actions, relaying: false)
                violation = nil
            } catch {
                violation = error
            }
            #expect(violation != nil, "accepted \(writes.map { String(decoding: $0, as: UTF8.self) })")
        }
    }

    @Test("An upstream head that drops the client's framing is a violation")
    func upstreamFramingLost() throws {
        var parser = RequestParser()
        let client = Self.bytes("POST http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 5\r\n\r\n")
        _ = try parser.parse(client.span)
        let clientHead = parser.head
        var upstreamParser = RequestParser()
        _ = try upstreamParser.parse(Self.bytes("POST / HTTP/1.1\r\nHost: origin.test\r\nVia: 1.1 portcullis-fuzz\r\n\r\n").span)
        #expect(throws: InvariantViolation.self) {
            try UpstreamHeadRules.check(upstreamParser.head, forwarding: clientHead, viaName: CannedMessages.viaName)
        }
    }

    @Test("Script decoding: lengths, canned messages and reserved option bits")
    func scriptDecoding() throws {
        let (options, events) = try #require(MachineScript.decode([0b0001_0110, 0x00, 0x02, 0x41, 0x42, 0x47, 0x61, 0x80, 0xA3, 0xC0, 0xE4]))
        #expect(options.requestProfile == .tiny && options.responseProfile == .small && options.clientDenied)
        #expect(events == [.clientBytes([0x41, 0x42]), .clientBytes(CannedMessages.requests[7]), .originBytes(CannedMessages.responses[1]),
                           .connectResult(.connected), .originReset, .timerFires, .clockAdvances(seconds: 5)])
        #expect(MachineScript.decode([0b0010_0000]) == nil)
        #expect(CannedMessages.requests.count == 32 && CannedMessages.responses.count == 32)
    }
}
