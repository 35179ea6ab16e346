import Testing
import SafeParse

/// Chunked bodies (RFC 9112 §7.1): sizes, extensions, data terminators, trailers, truncation.
/// Most rows are a request with `Transfer-Encoding: chunked` followed by `encoded`.
enum ChunkedCases {
    static let all: [MessageCase] = sizes + extensions + terminators + trailers + messages

    static let requestHead = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    static let responseHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

    /// A chunked request whose body is `encoded`. The expected message has the decoded `body`;
    /// it is complete when no `error` is expected unless `complete` says otherwise.
    static func request(_ name: String, _ encoded: String, body: String = "", trailers: [String] = [],
                        eof: Bool = false, complete: Bool? = nil, error: ParseError? = nil) -> MessageCase {
        .request(name, requestHead + encoded, eof: eof,
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, body: body,
                     trailers: trailers, complete: complete ?? (error == nil)),
                 error: error)
    }

    static func request(_ name: String, bytes encoded: [UInt8], body: [UInt8], error: ParseError? = nil) -> MessageCase {
        .request(name, bytes: Array(requestHead.utf8) + encoded,
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, bodyBytes: body,
                     complete: error == nil),
                 error: error)
    }

    static func response(_ name: String, _ encoded: String, body: String = "", trailers: [String] = [],
                         eof: Bool = false, complete: Bool? = nil, error: ParseError? = nil) -> MessageCase {
        .response(name, responseHead + encoded, eof: eof,
                  msg("http11 200 OK; Transfer-Encoding: chunked", "", .chunked, body: body, trailers: trailers,
                      complete: complete ?? (error == nil)),
                  error: error)
    }

    // MARK: chunk-size = 1*HEXDIG

    static let sizes: [MessageCase] = [
        request("one chunk", "5\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("several chunks are concatenated", "3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n", body: "abcdef"),
        request("an upper-case hex size", "A\r\n0123456789\r\n0\r\n\r\n", body: "0123456789"),
        request("a lower-case hex size", "b\r\n0123456789a\r\n0\r\n\r\n", body: "0123456789a"),
        request("a two-digit mixed-case hex size", "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", body: "abcdefghijklmnopqrstuvwxyz"),
        request("sizes with leading zeros", "0005\r\nhello\r\n0000\r\n\r\n", body: "hello"),
        request("32 size digits with leading zeros are accepted", String(repeating: "0", count: 31) + "5\r\nhello\r\n0\r\n\r\n",
                body: "hello"),
        request("an empty chunked body", "0\r\n\r\n"),
        request("the largest chunk size is accepted and streamed", "FFFFFFFFFFFFFFFF\r\nabc", body: "abc", complete: false),
        request("a body that has not finished waits for more", "5\r\nhel", body: "hel", complete: false),

        request("a non-hex chunk size is rejected", "g\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
        request("a negative chunk size is rejected", "-1\r\nx\r\n0\r\n\r\n", error: .invalidChunkSize),
        request("a signed chunk size is rejected", "+1\r\nx\r\n0\r\n\r\n", error: .invalidChunkSize),
        request("a 0x prefix is rejected", "0x5\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
        request("an empty chunk-size line is rejected", "\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
        request("whitespace before the chunk size is rejected", " 5\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
        request("33 size digits are rejected even if zero", String(repeating: "0", count: 33) + "\r\n\r\n", error: .invalidChunkSize),
        request("a comma after the size is rejected", "5,\r\nhello\r\n0\r\n\r\n", error: .invalidChunkSize),
        request("a chunk size of 2^64 overflows", "10000000000000000\r\n", error: .chunkSizeOverflow),
        request("seventeen F digits overflow", "FFFFFFFFFFFFFFFFF\r\n", error: .chunkSizeOverflow),
    ]

    // MARK: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )

    static let extensions: [MessageCase] = [
        request("an extension name alone", "5;foo\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("an extension with a token value", "5;foo=bar\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("an extension with a quoted value", "5;foo=\"b a;r\"\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("a quoted value with an escaped quote", "5;q=\"a\\\"b\"\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("an empty quoted value", "5;q=\"\"\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("a quoted value with obs-text", "5;q=\"é\"\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("several extensions", "5;a=1;b;c=\"x\"\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("BWS before the semicolon", "5 ;a=1\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("BWS after the semicolon", "5; a=1\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("BWS around the equals sign", "5;a = 1\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("HTAB as BWS everywhere", "5\t;\ta\t=\t1\t;\tb\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("BWS between a quoted value and the next extension", "5;a=\"x\" ;b\r\nhello\r\n0\r\n\r\n", body: "hello"),
        request("an extension on the last chunk", "5\r\nhello\r\n0;end=1\r\n\r\n", body: "hello"),

        request("whitespace after the size without an extension is rejected", "5 \r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("a semicolon without a name is rejected", "5;\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("a value without a name is rejected", "5;=a\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("an equals sign without a value is rejected", "5;a=\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("two names without a separator are rejected", "5;a b\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("two values without a separator are rejected", "5;a=b c\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("an unterminated quoted value is rejected", "5;a=\"x\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("a token right after a quoted value is rejected", "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("a control character in a quoted value is rejected", "5;a=\"\u{1}\"\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("DEL in a quoted value is rejected", "5;a=\"\u{7F}\"\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("an escaped control character is rejected", "5;a=\"\\\u{0}\"\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("a non-token extension name is rejected", "5;a@=b\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("a non-token extension value is rejected", "5;a=b@c\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("non-ASCII in an extension name is rejected", "5;é\r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("whitespace after a token value is rejected", "5;a=b \r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("whitespace after an extension name is rejected", "5;a \r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
        request("whitespace after a quoted value is rejected", "5;a=\"x\" \r\nhello\r\n0\r\n\r\n", error: .invalidChunkExtension),
    ]

    // MARK: Line ends and chunk-data terminators

    static let terminators: [MessageCase] = [
        request("bare LF after the chunk size is rejected", "5\nhello\r\n0\r\n\r\n", error: .bareLF),
        request("bare LF after a chunk extension is rejected", "5;a=b\nhello\r\n0\r\n\r\n", error: .bareLF),
        request("bare LF after a quoted extension value is rejected", "5;a=\"b\"\nhello\r\n0\r\n\r\n", error: .bareLF),
        request("bare LF after chunk data is rejected", "5\r\nhello\n0\r\n\r\n", body: "hello", error: .bareLF),
        request("bare LF after the last chunk is rejected", "5\r\nhello\r\n0\n\r\n", body: "hello", error: .bareLF),
        request("bare LF ending the trailer section is rejected", "0\r\n\n", error: .bareLF),
        request("bare LF ending a trailer field is rejected", "0\r\nX: 1\n\r\n", error: .bareLF),
        request("bare CR after the chunk size is rejected", "5\rhello\r\n0\r\n\r\n", error: .bareCR),
        request("bare CR after a chunk extension is rejected", "5;a\rhello\r\n0\r\n\r\n", error: .bareCR),
        request("chunk data longer than its size is rejected", "3\r\nhello\r\n0\r\n\r\n", body: "hel", error: .invalidChunkTerminator),
        request("junk after chunk data is rejected", "5\r\nhelloXX\r\n0\r\n\r\n", body: "hello", error: .invalidChunkTerminator),
        request("CR without LF after chunk data is rejected", "5\r\nhello\rX0\r\n\r\n", body: "hello", error: .invalidChunkTerminator),
        request("chunk data may contain CRLF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", body: "\r\n\r\n"),
        request("chunk data is opaque bytes", bytes: Array("6\r\n".utf8) + [0x00, 0xFF, 0x0A, 0x0D, 0x7F, 0x80] + Array("\r\n0\r\n\r\n".utf8),
                body: [0x00, 0xFF, 0x0A, 0x0D, 0x7F, 0x80]),
    ]

    // MARK: trailer-section = *( field-line CRLF )

    static let trailers: [MessageCase] = [
        request("trailer fields are kept in order", "5\r\nhello\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n", body: "hello",
                trailers: ["X-T: 1", "Y: 2"]),
        request("trailer values are trimmed", "0\r\nX:   v  \r\n\r\n", trailers: ["X: v"]),
        request("a Content-Length trailer is rejected (RFC 9110 §6.5.1)", "2\r\nok\r\n0\r\nContent-Length: 5\r\n\r\n",
                body: "ok", error: .framingFieldInTrailer),
        request("an empty Content-Length trailer is rejected", "0\r\nA: e\r\nContent-Length:\r\n\r\n", error: .framingFieldInTrailer),
        request("a Transfer-Encoding trailer is rejected", "0\r\ntransfer-encoding: chunked\r\n\r\n", error: .framingFieldInTrailer),
        request("a trailer named like a framing field is kept", "0\r\nContent-Length-X: 5\r\n\r\n", trailers: ["Content-Length-X: 5"]),
        request("obs-fold in trailers is rejected", "0\r\nX: a\r\n b\r\n\r\n", error: .obsoleteLineFolding),
        request("an invalid trailer field name is rejected", "0\r\n(X): a\r\n\r\n", error: .invalidFieldName),
        request("whitespace before a trailer colon is rejected", "0\r\nX : a\r\n\r\n", error: .whitespaceBeforeColon),
        request("NUL in a trailer value is rejected", "0\r\nX: a\u{0}\r\n\r\n", error: .invalidFieldValue),
        request("bare CR in a trailer value is rejected", "0\r\nX: a\rb\r\n\r\n", error: .bareCR),
        request("a request line where trailers belong is rejected", "0\r\nGET / HTTP/1.1\r\n\r\n", error: .whitespaceBeforeColon),
    ]

    // MARK: Chunked messages in streams, responses and end of input

    static let messages: [MessageCase] = [
        .request("a chunked request followed by a pipelined GET",
                 requestHead + "3\r\nabc\r\n0\r\nT: v\r\n\r\nGET /n HTTP/1.1\r\nHost: a\r\n\r\n",
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, body: "abc", trailers: ["T: v"]),
                 msg("GET /n http11; Host: a", "get origin /n")),
        .request("chunked, Content-Length and bodiless requests pipelined",
                 requestHead + "1\r\na\r\n0\r\n\r\n"
                     + "PUT /l HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nbc"
                     + "GET /g HTTP/1.1\r\nHost: a\r\n\r\n",
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, body: "a"),
                 msg("PUT /l http11; Host: a; Content-Length: 2", "put origin /l", .contentLength(2), body: "bc"),
                 msg("GET /g http11; Host: a", "get origin /g")),
        .request("trailers of one message are not carried into the next",
                 requestHead + "0\r\nA: 1\r\n\r\n" + requestHead + "0\r\n\r\n",
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, trailers: ["A: 1"]),
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked)),
        .request("Chunked in any case is chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n1\r\nz\r\n0\r\n\r\n",
                 msg("POST / http11; Host: a; Transfer-Encoding: CHUNKED", "post origin /", .chunked, body: "z")),
        .request("empty Transfer-Encoding list members are skipped",
                 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,\r\n\r\n1\r\nz\r\n0\r\n\r\n",
                 msg("POST / http11; Host: a; Transfer-Encoding: , chunked ,", "post origin /", .chunked, body: "z")),
        response("a chunked response", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", body: "hello world"),
        response("a chunked response with trailers", "2\r\nhi\r\n0\r\nExpires: 0\r\nETag: \"x\"\r\n\r\n", body: "hi",
                 trailers: ["Expires: 0", "ETag: \"x\""]),
        response("a chunked response with extensions", "2;x=\"1\"\r\nhi\r\n0;y\r\n\r\n", body: "hi"),
        .response("gzip then chunked in a response is chunked",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\n\u{1F}\u{7E}\u{8}\r\n0\r\n\r\n",
                  msg("http11 200 OK; Transfer-Encoding: gzip, chunked", "", .chunked, body: "\u{1F}\u{7E}\u{8}")),
        .response("a chunked response followed by the next one",
                  responseHead + "1\r\na\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
                  msg("http11 200 OK; Transfer-Encoding: chunked", "", .chunked, body: "a"),
                  msg("http11 204 No Content", "", .none)),
        response("an end of stream inside a chunked response is a truncation", "5\r\nhel", body: "hel", eof: true,
                 error: .truncatedMessage),
        request("an end of stream inside chunk data is a truncation", "5\r\nhel", body: "hel", eof: true, error: .truncatedMessage),
        request("an end of stream inside a chunk-size line is a truncation", "5\r\nhello\r\n1", body: "hello", eof: true,
                error: .truncatedMessage),
        request("an end of stream before the last chunk is a truncation", "5\r\nhello\r\n", body: "hello", eof: true,
                error: .truncatedMessage),
        request("an end of stream between chunk data and its CRLF is a truncation", "5\r\nhello", body: "hello", eof: true,
                error: .truncatedMessage),
        request("an end of stream inside the trailers is a truncation", "0\r\nX: 1\r\n", eof: true, error: .truncatedMessage),
        request("an end of stream after a complete chunked body is clean", "1\r\nq\r\n0\r\n\r\n", body: "q", eof: true),
    ]
}

@Suite struct ChunkedTableTests {
    @Test(arguments: ChunkedCases.all)
    func eachChunkedMessageParsesToItsExpectedTranscript(_ row: MessageCase) {
        row.check()
    }
}
