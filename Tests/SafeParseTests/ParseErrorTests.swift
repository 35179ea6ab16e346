import Testing
import SafeParse

/// `ParseError`: the status each case maps to, stable codes, and the parser's behaviour after an
/// error (it stays failed).
@Suite struct ParseErrorTests {
    /// The status a server answers for each error. A new case must be added here on purpose.
    static let expectedStatus: [ParseError: Int] = [
        .invalidMethod: 400, .invalidRequestLine: 400, .invalidRequestTarget: 400, .requestLineTooLong: 414,
        .invalidVersion: 400, .unsupportedVersion: 505, .targetFormMismatch: 400, .userinfoInURI: 400,
        .invalidHost: 400, .invalidPort: 400, .invalidStatusLine: 502, .statusLineTooLong: 502,
        .bareCR: 400, .bareLF: 400,
        .invalidFieldName: 400, .whitespaceBeforeColon: 400, .obsoleteLineFolding: 400, .invalidFieldValue: 400,
        .fieldLineTooLong: 431, .tooManyFields: 431, .headTooLarge: 431, .missingHost: 400, .multipleHost: 400,
        .invalidContentLength: 400, .contentLengthOverflow: 400, .conflictingContentLength: 400,
        .transferEncodingWithContentLength: 400, .transferEncodingNotChunked: 400, .invalidTransferEncoding: 400,
        .chunkedAppliedTwice: 400, .unsupportedTransferCoding: 501, .transferEncodingInHTTP10: 400, .bodyTooLarge: 413,
        .invalidChunkSize: 400, .chunkSizeOverflow: 400, .invalidChunkExtension: 400, .chunkExtensionTooLong: 400,
        .invalidChunkTerminator: 400, .trailerTooLarge: 431, .tooManyTrailerFields: 431, .framingFieldInTrailer: 400,
        .invalidConnectionOption: 400,
        .truncatedMessage: 400,
    ]

    /// The errors the request and response parsers can raise; each must be the expected outcome
    /// of at least one table row.
    static let messageParserErrors: [ParseError] = [
        .invalidMethod, .invalidRequestLine, .invalidRequestTarget, .requestLineTooLong, .invalidVersion,
        .unsupportedVersion, .targetFormMismatch, .userinfoInURI, .invalidHost, .invalidPort, .invalidStatusLine,
        .statusLineTooLong, .bareCR, .bareLF, .invalidFieldName, .whitespaceBeforeColon, .obsoleteLineFolding,
        .invalidFieldValue, .fieldLineTooLong, .tooManyFields, .headTooLarge, .missingHost, .multipleHost,
        .invalidContentLength, .contentLengthOverflow, .conflictingContentLength, .transferEncodingWithContentLength,
        .transferEncodingNotChunked, .invalidTransferEncoding, .chunkedAppliedTwice, .unsupportedTransferCoding,
        .transferEncodingInHTTP10, .bodyTooLarge, .invalidChunkSize, .chunkSizeOverflow, .invalidChunkExtension,
        .chunkExtensionTooLong, .invalidChunkTerminator, .trailerTooLarge, .tooManyTrailerFields, .framingFieldInTrailer,
        .truncatedMessage,
    ]

    @Test(arguments: ParseError.allCases)
    func eachErrorHasItsDocumentedStatus(_ error: ParseError) {
        #expect(error.status == Self.expectedStatus[error], "\(error.code)")
    }

    @Test(arguments: [
        (ParseError.requestLineTooLong, 414), (.fieldLineTooLong, 431), (.tooManyFields, 431), (.headTooLarge, 431),
        (.trailerTooLarge, 431), (.tooManyTrailerFields, 431), (.bodyTooLarge, 413), (.unsupportedVersion, 505),
        (.unsupportedTransferCoding, 501), (.invalidVersion, 400), (.bareLF, 400), (.truncatedMessage, 400),
    ])
    func limitsVersionsAndCodingsMapToTheirRFCStatus(_ error: ParseError, _ status: Int) {
        #expect(error.status == status)
    }

    @Test func codesAreUniqueSnakeCaseAndReasonsAreFixedText() {
        let codes = ParseError.allCases.map(\.code)
        #expect(Set(codes).count == codes.count)
        for error in ParseError.allCases {
            #expect(error.code == error.rawValue)
            #expect(error.code.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F },
                    "\(error.code)")
            #expect(!error.reason.isEmpty)
        }
        #expect(Set(ParseError.allCases.map(\.reason)).count == ParseError.allCases.count)
    }

    @Test func everyMessageParserErrorIsExpectedByATableRow() {
        let rows = RequestCases.all + ResponseCases.all + ChunkedCases.all + LimitCases.small + LimitCases.defaults
        let covered = Set(rows.compactMap(\.error))
        let missing = Self.messageParserErrors.filter { !covered.contains($0) }.map(\.code)
        #expect(missing == [])
    }

    @Test func aFailedRequestParserRethrowsItsErrorForAnyLaterInput() {
        var parser = RequestParser()
        let bad = Array("GET / HTTP/1.1\r\nHost : a\r\n\r\n".utf8)
        let good = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        #expect(throws: ParseError.whitespaceBeforeColon) { try parser.parse(bad.span) }
        #expect(throws: ParseError.whitespaceBeforeColon) { try parser.parse(good.span) }
        #expect(throws: ParseError.whitespaceBeforeColon) { try parser.parse([UInt8]().span) }
        #expect(throws: ParseError.whitespaceBeforeColon) { try parser.finish() }
        #expect(parser.errorOffset != nil)
    }

    @Test func aFailedResponseParserRethrowsItsErrorAfterATruncation() {
        var parser = ResponseParser()
        let partial = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab".utf8)
        var events: [ParseEvent] = []
        var rest = partial[...]
        while true {
            let step = try? parser.parse(Array(rest).span)
            guard let step else { break }
            events.append(step.event)
            rest = rest.dropFirst(step.consumed)
            if step.event == .needMore { break }
        }
        #expect(events == [.headComplete, .body(0..<2), .needMore])
        #expect(throws: ParseError.truncatedMessage) { try parser.finish() }
        #expect(throws: ParseError.truncatedMessage) { try parser.parse(Array("cde".utf8).span) }
        #expect(parser.errorOffset == UInt64(partial.count))
    }

    @Test func aResponseStatusLineErrorIsNotARequestError() {
        // Responses fail with 502-class errors for a malformed status line; requests never do.
        #expect(Drive.response("HTTP/1.1 2x0 OK\r\n\r\n").error?.status == 502)
        #expect(Drive.request("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n").error?.status == 400)
    }
}
