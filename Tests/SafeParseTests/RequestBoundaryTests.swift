import Testing
import SafeParse

/// `RequestParser.isBetweenMessages`: a complete request (reported or not yet) with no byte of
/// the next one, as opposed to `isIdle`, which a bodiless request reaches only with the next call.
@Suite struct RequestBoundaryTests {
    static func parse(_ parser: inout RequestParser, _ text: String) throws -> ParseStep {
        let bytes = Array(text.utf8)
        return try parser.parse(bytes.span)
    }

    @Test func aBodilessRequestIsCompleteAtItsHead() throws {
        var parser = RequestParser()
        let step = try Self.parse(&parser, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(step.event == .headComplete)
        #expect(parser.isBetweenMessages)
        #expect(!parser.isIdle, "the end is reported by the next call")
        #expect(try Self.parse(&parser, "").event == .messageComplete)
        #expect(parser.isBetweenMessages && parser.isIdle)
    }

    @Test func aRequestWithItsBodyDueOrTheNextHeadStartedIsNot() throws {
        var parser = RequestParser()
        #expect(try Self.parse(&parser, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n").event == .headComplete)
        #expect(!parser.isBetweenMessages)
        #expect(try Self.parse(&parser, "ab").event == .body(0..<2))
        #expect(!parser.isBetweenMessages)
        #expect(try Self.parse(&parser, "cd").event == .body(0..<2))
        #expect(try Self.parse(&parser, "").event == .messageComplete)
        #expect(parser.isBetweenMessages)
        _ = try Self.parse(&parser, "GE")
        #expect(!parser.isBetweenMessages)
    }
}
