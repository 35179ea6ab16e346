import Testing
import SafeParse

/// Every byte value 0x00...0xFF tried at one position of an otherwise valid message; the test
/// states exactly which bytes are accepted (and what they parse to) and which error each other
/// byte gets.
@Suite struct AllBytesTests {
    enum Outcome: Equatable, CustomStringConvertible {
        /// Accepted; the bytes that the position under test parsed into.
        case accepted([UInt8])
        case rejected(ParseError)

        var description: String {
            switch self {
            case .accepted(let bytes): "accepted \(bytes)"
            case .rejected(let error): "rejected \(error.code)"
            }
        }
    }

    /// Runs `actual` and `expected` for all 256 bytes and lists every byte where they differ.
    static func mismatches(_ actual: (UInt8) -> Outcome, _ expected: (UInt8) -> Outcome) -> [String] {
        (0...255).compactMap { (i: Int) -> String? in
            let b = UInt8(i)
            let got = actual(b), want = expected(b)
            return got == want ? nil : "0x" + String(b, radix: 16) + ": got \(got), expected \(want)"
        }
    }

    /// The head of the first request in `raw` (or the error, or `truncatedMessage` if the head is incomplete).
    static func requestHead(_ raw: [UInt8]) -> Result<RequestHead, ParseError> {
        var parser = RequestParser()
        return Result { () throws(ParseError) -> RequestHead in
            let step = try parser.parse(raw.span)
            guard step.event == .headComplete else { throw .truncatedMessage }
            return parser.head
        }
    }

    static func responseHead(_ raw: [UInt8]) -> Result<ResponseHead, ParseError> {
        var parser = ResponseParser()
        return Result { () throws(ParseError) -> ResponseHead in
            let step = try parser.parse(raw.span)
            guard step.event == .headComplete else { throw .truncatedMessage }
            return parser.head
        }
    }

    static func outcome<T>(_ result: Result<T, ParseError>, _ part: (T) -> [UInt8]) -> Outcome {
        switch result {
        case .success(let value): .accepted(part(value))
        case .failure(let error): .rejected(error)
        }
    }

    static func isTChar(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
            || Array("!#$%&'*+-.^_`|~".utf8).contains(b)
    }

    static func isFieldContent(_ b: UInt8) -> Bool { b == 0x09 || (0x20...0x7E).contains(b) || b >= 0x80 }

    static let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A, sp: UInt8 = 0x20, htab: UInt8 = 0x09

    // MARK: Header fields

    @Test func exactlyFieldContentBytesAreAcceptedInsideAFieldValue() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.requestHead(bytes("GET / HTTP/1.1\r\nHost: h\r\nX: a", [b], "a\r\n\r\n"))) { Array($0.fields.value(at: 1)) }
        }, { b in
            switch b {
            case Self.cr: .rejected(.bareCR)
            case Self.lf: .rejected(.bareLF)
            case _ where Self.isFieldContent(b): .accepted([0x61, b, 0x61])
            default: .rejected(.invalidFieldValue)
            }
        })
        #expect(problems == [])
    }

    @Test func aOneByteFieldValueIsAcceptedUnlessItIsAControlAndTrimmedIfWhitespace() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.requestHead(bytes("GET / HTTP/1.1\r\nHost: h\r\nX: ", [b], "\r\n\r\n"))) { Array($0.fields.value(at: 1)) }
        }, { b in
            switch b {
            case Self.cr: .rejected(.bareCR)
            case Self.lf: .rejected(.bareLF)
            case Self.sp, Self.htab: .accepted([])
            case _ where Self.isFieldContent(b): .accepted([b])
            default: .rejected(.invalidFieldValue)
            }
        })
        #expect(problems == [])
    }

    @Test func exactlyTokenBytesAreAcceptedInsideAFieldName() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.requestHead(bytes("GET / HTTP/1.1\r\nHost: h\r\nX", [b], "Y: v\r\n\r\n"))) { head in
                Array(head.fields.name(at: 1)) + [0x7C] + Array(head.fields.value(at: 1))
            }
        }, { b in
            switch b {
            case Self.cr: .rejected(.bareCR)
            case Self.lf: .rejected(.bareLF)
            case Self.sp, Self.htab: .rejected(.whitespaceBeforeColon)
            case 0x3A: .accepted(Array("X|Y: v".utf8)) // the first colon ends the name
            case _ where Self.isTChar(b): .accepted([0x58, b, 0x59, 0x7C, 0x76])
            default: .rejected(.invalidFieldName)
            }
        })
        #expect(problems == [])
    }

    @Test func aFieldLineMustStartWithATokenByte() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.requestHead(bytes("GET / HTTP/1.1\r\nHost: h\r\n", [b], "X: v\r\n\r\n"))) { Array($0.fields.name(at: 1)) }
        }, { b in
            switch b {
            case Self.cr: .rejected(.bareCR)
            case Self.lf: .rejected(.bareLF)
            case Self.sp, Self.htab: .rejected(.obsoleteLineFolding)
            case _ where Self.isTChar(b): .accepted([b, 0x58])
            default: .rejected(.invalidFieldName)
            }
        })
        #expect(problems == [])
    }

    // MARK: Request line

    @Test func exactlyTokenBytesAreAcceptedInAMethod() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.requestHead(bytes("G", [b], "T / HTTP/1.1\r\nHost: h\r\n\r\n"))) { Array($0.methodBytes) }
        }, { b in
            switch b {
            case Self.cr: .rejected(.bareCR)
            case Self.lf: .rejected(.bareLF)
            case Self.sp: .rejected(.invalidRequestLine) // "G T / HTTP/1.1": three parts after the method
            case _ where Self.isTChar(b): .accepted([0x47, b, 0x54])
            default: .rejected(.invalidMethod)
            }
        })
        #expect(problems == [])
    }

    @Test func exactlyVisibleASCIIExceptHashIsAcceptedInARequestTarget() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.requestHead(bytes("GET /a", [b], "b HTTP/1.1\r\nHost: h\r\n\r\n"))) { Array($0.targetBytes) }
        }, { b in
            switch b {
            case Self.cr: .rejected(.bareCR)
            case Self.lf: .rejected(.bareLF)
            case Self.sp: .rejected(.invalidRequestLine)
            case 0x23: .rejected(.invalidRequestTarget) // "#": no fragment in a request-target
            case 0x21...0x7E: .accepted([0x2F, 0x61, b, 0x62])
            default: .rejected(.invalidRequestTarget)
            }
        })
        #expect(problems == [])
    }

    @Test func exactlyUnreservedBytesAreAcceptedInAHostName() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.requestHead(bytes("GET / HTTP/1.1\r\nHost: a", [b], "b\r\n\r\n"))) { Array($0.fields.value(at: 0)) }
        }, { b in
            let unreserved = (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                || Array("-._~".utf8).contains(b)
            switch b {
            case Self.cr: return .rejected(.bareCR)
            case Self.lf: return .rejected(.bareLF)
            case 0x3A: return .rejected(.invalidPort)    // "a:b"
            case 0x40: return .rejected(.userinfoInURI)  // "a@b"
            case _ where unreserved: return .accepted([0x61, b, 0x62])
            case _ where !Self.isFieldContent(b): return .rejected(.invalidFieldValue)
            default: return .rejected(.invalidHost)
            }
        })
        #expect(problems == [])
    }

    @Test func exactlyFieldContentBytesAreAcceptedInAReasonPhrase() {
        let problems = Self.mismatches({ b in
            Self.outcome(Self.responseHead(bytes("HTTP/1.1 200 O", [b], "K\r\nContent-Length: 0\r\n\r\n"))) { Array($0.reasonBytes) }
        }, { b in
            switch b {
            case Self.cr: .rejected(.bareCR)
            case Self.lf: .rejected(.bareLF)
            case _ where Self.isFieldContent(b): .accepted([0x4F, b, 0x4B])
            default: .rejected(.invalidStatusLine)
            }
        })
        #expect(problems == [])
    }

    // MARK: Chunk extensions

    static func chunkOutcome(_ encoded: [UInt8]) -> Outcome {
        let t = Drive.request([Array(ChunkedCases.requestHead.utf8) + encoded])
        if let error = t.error { return .rejected(error) }
        guard let message = t.first, message.complete else { return .rejected(.truncatedMessage) }
        return .accepted(message.body)
    }

    @Test func exactlyQdtextIsAcceptedInAQuotedChunkExtensionValue() {
        let problems = Self.mismatches({ b in
            Self.chunkOutcome(bytes("1;a=\"", [b], "\"\r\nx\r\n0\r\n\r\n"))
        }, { b in
            switch b {
            case Self.lf: .rejected(.bareLF)
            case Self.htab, Self.sp, 0x21, 0x23...0x5B, 0x5D...0x7E, 0x80...0xFF: .accepted([0x78])
            default: .rejected(.invalidChunkExtension) // CTLs, DEL, and '"' or '\' that leave the quote open or closed early
            }
        })
        #expect(problems == [])
    }

    @Test func exactlyTokenBytesAndBWSAreAcceptedAfterAChunkExtensionName() {
        let problems = Self.mismatches({ b in
            Self.chunkOutcome(bytes("1;a", [b], "=v\r\nx\r\n0\r\n\r\n"))
        }, { b in
            switch b {
            case Self.lf: .rejected(.bareLF)
            case Self.cr: .rejected(.bareCR)            // the CR ends the line, "=" is not its LF
            case Self.sp, Self.htab: .accepted([0x78])  // BWS before "="
            case _ where Self.isTChar(b): .accepted([0x78])
            default: .rejected(.invalidChunkExtension)
            }
        })
        #expect(problems == [])
    }

    @Test func exactlyTokenBytesAndASemicolonAreAcceptedInsideAChunkExtensionTokenValue() {
        let problems = Self.mismatches({ b in
            Self.chunkOutcome(bytes("1;a=v", [b], "w\r\nx\r\n0\r\n\r\n"))
        }, { b in
            switch b {
            case Self.lf: .rejected(.bareLF)
            case Self.cr: .rejected(.bareCR)
            case 0x3B: .accepted([0x78])                // "a=v;w": a second extension named w
            case _ where Self.isTChar(b): .accepted([0x78])
            default: .rejected(.invalidChunkExtension)  // includes BWS: "a=v w" has no ";" before w
            }
        })
        #expect(problems == [])
    }

    @Test func exactlyHexDigitsAreAcceptedAsAChunkSize() {
        let problems = Self.mismatches({ b in
            // Only the chunk-size line: accepted means no error so far (data or trailers would follow).
            let t = Drive.request([Array(ChunkedCases.requestHead.utf8) + [b, Self.cr, Self.lf]])
            return t.error.map { .rejected($0) } ?? .accepted([])
        }, { b in
            switch b {
            case Self.lf: .rejected(.bareLF)
            case 0x30...0x39, 0x41...0x46, 0x61...0x66: .accepted([])
            default: .rejected(.invalidChunkSize)
            }
        })
        #expect(problems == [])
    }
}
