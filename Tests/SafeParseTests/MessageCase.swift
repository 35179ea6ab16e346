import Testing
import SafeParse

/// One row of a message table: raw bytes, how to parse them, and the exact transcript expected
/// (every message's head, target, framing, decoded body and trailers, then the error if any).
/// The tables (`RequestCases`, `ResponseCases`, `ChunkedCases`, `LimitCases`) are also the input
/// of the split-invariance property test.
struct MessageCase: Sendable, CustomTestStringConvertible {
    enum Role: Sendable, Equatable {
        case request
        /// A response to a request with this method (HEAD and CONNECT change the framing).
        case response(to: Method)
    }

    var name: String
    var role: Role
    var raw: [UInt8]
    /// Whether the stream ends after `raw` (the driver then calls `finish()`).
    var eof: Bool
    var limits: Limits
    var messages: [ParseTranscript.Message]
    var error: ParseError?

    var testDescription: String { name }

    /// The transcript a correct parser produces. On success all input is consumed.
    var expected: ParseTranscript {
        var t = ParseTranscript()
        t.messages = messages
        t.error = error
        t.consumed = error == nil ? raw.count : -1
        return t
    }

    /// Parses `raw` fed as `chunks` (which must concatenate to `raw`).
    func run(_ chunks: [[UInt8]]) -> ParseTranscript {
        switch role {
        case .request: Drive.request(chunks, limits: limits, eof: eof)
        case .response(let method): Drive.response(chunks, method: method, limits: limits, eof: eof)
        }
    }

    /// Parses `raw` in one piece.
    func run() -> ParseTranscript { run([raw]) }

    /// Checks the one-piece parse against the expectation.
    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        let t = run()
        #expect(t.error == error, "error", sourceLocation: sourceLocation)
        if raw.count <= 2000 {
            #expect(t.messages == messages, "messages", sourceLocation: sourceLocation)
        } else {
            // Large rows: report where the transcripts differ, not the whole heads.
            let difference = ParseTranscript.firstDifference(t.messages, messages)
            #expect(difference == nil, "messages", sourceLocation: sourceLocation)
        }
        if error == nil {
            #expect(t.consumed == raw.count, "all input consumed", sourceLocation: sourceLocation)
        }
    }
}

// MARK: - Building rows

extension MessageCase {
    static func request(_ name: String, _ raw: String, eof: Bool = false, limits: Limits = .default,
                        messages: [ParseTranscript.Message], error: ParseError? = nil) -> MessageCase {
        MessageCase(name: name, role: .request, raw: Array(raw.utf8), eof: eof, limits: limits,
                    messages: messages, error: error)
    }

    static func response(_ name: String, _ raw: String, to method: Method = .get, eof: Bool = false,
                         limits: Limits = .default, messages: [ParseTranscript.Message],
                         error: ParseError? = nil) -> MessageCase {
        MessageCase(name: name, role: .response(to: method), raw: Array(raw.utf8), eof: eof, limits: limits,
                    messages: messages, error: error)
    }

    static func request(_ name: String, _ raw: String, eof: Bool = false, limits: Limits = .default,
                        _ messages: ParseTranscript.Message..., error: ParseError? = nil) -> MessageCase {
        MessageCase(name: name, role: .request, raw: Array(raw.utf8), eof: eof, limits: limits,
                    messages: messages, error: error)
    }

    static func request(_ name: String, bytes raw: [UInt8], eof: Bool = false, limits: Limits = .default,
                        _ messages: ParseTranscript.Message..., error: ParseError? = nil) -> MessageCase {
        MessageCase(name: name, role: .request, raw: raw, eof: eof, limits: limits, messages: messages, error: error)
    }

    static func response(_ name: String, _ raw: String, to method: Method = .get, eof: Bool = false,
                         limits: Limits = .default, _ messages: ParseTranscript.Message...,
                         error: ParseError? = nil) -> MessageCase {
        MessageCase(name: name, role: .response(to: method), raw: Array(raw.utf8), eof: eof, limits: limits,
                    messages: messages, error: error)
    }

    static func response(_ name: String, bytes raw: [UInt8], to method: Method = .get, eof: Bool = false,
                         limits: Limits = .default, _ messages: ParseTranscript.Message...,
                         error: ParseError? = nil) -> MessageCase {
        MessageCase(name: name, role: .response(to: method), raw: raw, eof: eof, limits: limits,
                    messages: messages, error: error)
    }
}

/// An expected message. `head` is `Drive.describe` ("GET / http11; Host: a"); `target` is
/// `Drive.describeTarget` for requests and "" for responses.
func msg(_ head: String, _ target: String = "", _ framing: BodyFraming = .none, body: String = "",
         trailers: [String] = [], complete: Bool = true) -> ParseTranscript.Message {
    ParseTranscript.Message(head: head, target: target, framing: framing, body: Array(body.utf8),
                            trailers: trailers, complete: complete)
}

/// An expected message with a binary body.
func msg(_ head: String, _ target: String = "", _ framing: BodyFraming, bodyBytes: [UInt8],
         trailers: [String] = [], complete: Bool = true) -> ParseTranscript.Message {
    ParseTranscript.Message(head: head, target: target, framing: framing, body: bodyBytes,
                            trailers: trailers, complete: complete)
}

/// Bytes of `text` followed by `bytes`, then `tail` (for inputs that are not UTF-8).
func bytes(_ text: String, _ bytes: [UInt8], _ tail: String = "") -> [UInt8] {
    Array(text.utf8) + bytes + Array(tail.utf8)
}

/// `Limits.default` with some values changed.
func limits(_ edit: (inout Limits) -> Void) -> Limits {
    var l = Limits()
    edit(&l)
    return l
}

@Suite struct MessageTableTests {
    static let tables = RequestCases.all + ResponseCases.all + ChunkedCases.all

    @Test func theTablesHoldAtLeast150DistinctMessages() {
        let distinct = Set(Self.tables.map { "\($0.role) \($0.eof) " + String(decoding: $0.raw, as: UTF8.self) })
        #expect(distinct.count == Self.tables.count, "every row is a different input")
        #expect(distinct.count >= 150)
        let valid = Self.tables.filter { $0.error == nil }.count
        #expect(valid >= 50 && Self.tables.count - valid >= 100, "\(valid) valid rows")
    }

    @Test func rowNamesAreUnique() {
        let rows = Self.tables + LimitCases.small + LimitCases.defaults
        var seen: Set<String> = []
        let repeated = rows.map(\.name).filter { !seen.insert($0).inserted }
        #expect(repeated == [])
    }
}
