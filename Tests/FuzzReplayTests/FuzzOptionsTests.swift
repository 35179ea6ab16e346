@testable import FuzzTargets
import SafeParse
import Testing

/// The frozen input encoding and the harness itself: a replay that passes must have parsed.
@Suite struct FuzzOptionsTests {
    @Test("Every split pattern cuts the payload into consecutive pieces covering it")
    func splitPatternsCoverThePayload() {
        for byte in UInt8.min...UInt8.max {
            for count in [0, 1, 2, 5, 63, 64, 100, 1000] {
                let pieces = SplitPattern(byte).pieces(count: count)
                #expect(pieces.first?.lowerBound == 0 && pieces.last?.upperBound == count)
                #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            }
        }
    }

    @Test("Split patterns are what the frozen encoding says")
    func splitPatternsAreFrozen() {
        #expect(SplitPattern(0x00).pieces(count: 10) == [0..<0, 0..<10])
        #expect(SplitPattern(0x3F).pieces(count: 10) == [0..<10, 10..<10])
        #expect(SplitPattern(0x20).pieces(count: 63) == [0..<32, 32..<63])
        #expect(SplitPattern(0x42).pieces(count: 7) == [0..<3, 3..<6, 6..<7])
        #expect(SplitPattern(0xC3).pieces(count: 5) == [0..<1, 1..<2, 2..<3, 3..<5])
        #expect(SplitPattern(0x81).pieces(count: 4).map(\.count).reduce(0, +) == 4)
    }

    @Test("Option byte: limits profile, finish, method; reserved bits skip the input")
    func optionByte() throws {
        let (plain, payload) = try #require(MessageOptions.decode([0x00, 0x00, 0x41], usesMethod: true))
        #expect(plain.limits == .default && !plain.callsFinish && plain.requestMethod == .get && payload == [0x41])
        let (options, _) = try #require(MessageOptions.decode([0b0001_0101, 0x00], usesMethod: true))
        #expect(options.limits == LimitsProfile.small.limits && options.callsFinish && options.requestMethod == .connect)
        #expect(MessageOptions.decode([0b0000_1000, 0x00], usesMethod: true)?.options.requestMethod == .head)
        #expect(MessageOptions.decode([0b0000_1000, 0x00], usesMethod: false) == nil)
        #expect(MessageOptions.decode([0b0010_0000, 0x00], usesMethod: true) == nil)
        #expect(MessageOptions.decode([0x00], usesMethod: true) == nil)
    }

    @Test("The driver records heads, bodies and trailers (the replay is not vacuous)")
    func driverRecordsMessages() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
        let driver = MessageDriver(makeParser: { ResponseParser() }, callsFinish: true, onHead: nil)
        let t = try driver.run(Array(text.utf8), pieces: [0..<text.utf8.count])
        #expect(t.error == nil && t.consumed == text.utf8.count && t.idleAtEnd)
        #expect(t.events.count == 4)
        #expect(t.events[1] == .body(Array("hello".utf8)))
        guard case .messageComplete(let trailers) = t.events[2] else { Issue.record("no messageComplete"); return }
        #expect(trailers.fields.count == 1)
        #expect(t.events[3] == .finished(.needMore))
    }

    @Test("Transcripts that end in an error agree up to the body in progress")
    func errorTranscriptsAgreeOnPrefixes() {
        var a = Transcript<Int>(), b = Transcript<Int>()
        a.events = [.head(1), .body([1, 2, 3])]; a.error = .bodyTooLarge
        b.events = [.head(1)]; b.error = .bodyTooLarge; b.consumed = 7
        #expect(a.agrees(with: b) && b.agrees(with: a))
        b.events = [.head(1), .body([1, 9])]
        #expect(!a.agrees(with: b))
        b.events = [.head(2)]
        #expect(!a.agrees(with: b))
        a.error = nil; b.error = nil; a.events = [.head(1)]; b.events = [.head(1)]
        #expect(!a.agrees(with: b)) // consumed differs without an error
    }

    @Test("A well-formed input passes; a failed requirement throws its message")
    func checksReport() {
        #expect(FuzzTarget.responseParser.check([0x00, 0x00] + Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)) == nil)
        #expect(throws: InvariantViolation("expected")) { try require(false, "expected") }
    }
}
