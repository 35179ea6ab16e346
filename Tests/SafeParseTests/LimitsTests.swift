import Testing
import SafeParse

/// Every `Limits` value tested one below, exactly at and one above its value: with small custom
/// limits (these rows also go through the split-invariance test) and once at the defaults.
///
/// What each limit counts:
/// - `maxRequestLineBytes`: the request line with its CRLF, plus any empty lines skipped before it.
/// - `maxStatusLineBytes`, `maxFieldLineBytes`: one line with its CRLF (field lines of the head and of trailers).
/// - `maxFieldCount`, `maxTrailerFieldCount`: field lines (Host included).
/// - `maxHeadBytes`: start line, field lines and the final CRLF (skipped empty lines excluded).
/// - `maxChunkExtensionBytes`: bytes after the size digits up to, not including, the CR.
/// - `maxTrailerBytes`: trailer field lines and the final CRLF.
/// - `maxBodyBytes`: decoded body bytes.
enum LimitCases {
    static let small: [MessageCase] = requestLine + statusLine + fieldLine + fieldCount + headBytes + chunkExtension
        + trailerBytes + trailerCount + bodyBytes + crossedTogether

    /// One below, at, and one above `limit`: `make(n)` builds a case whose measured size is `n`
    /// and which must fail with `error` only when `n > limit`.
    static func around(_ limit: Int, _ make: (Int, ParseError?) -> MessageCase, _ error: ParseError) -> [MessageCase] {
        [make(limit - 1, nil), make(limit, nil), make(limit + 1, error)]
    }

    static func s(_ n: Int, _ c: Character = "a") -> String { String(repeating: c, count: n) }

    // MARK: maxRequestLineBytes

    /// "GET /aaa HTTP/1.1\r\n" of `n` bytes (n >= 16).
    static func requestLineOf(_ n: Int) -> (line: String, path: String) {
        let path = "/" + s(n - 16)
        return ("GET " + path + " HTTP/1.1\r\n", path)
    }

    static func requestLineCase(_ n: Int, leading: String, limits l: Limits, name: String, error: ParseError?) -> MessageCase {
        let (line, path) = requestLineOf(n - leading.utf8.count)
        let messages = error == nil ? [msg("GET \(path) http11; Host: h", "get origin \(path)")] : []
        return MessageCase(name: name, role: .request, raw: Array((leading + line + "Host: h\r\n\r\n").utf8), eof: false,
                           limits: l, messages: messages, error: error)
    }

    static let requestLine: [MessageCase] = {
        let l = limits { $0.maxRequestLineBytes = 32 }
        return around(32, { n, e in
            requestLineCase(n, leading: "", limits: l, name: "a request line of \(n) bytes with the limit at 32", error: e)
        }, .requestLineTooLong)
        + around(32, { n, e in
            requestLineCase(n, leading: "\r\n", limits: l,
                            name: "an empty line and a request line of \(n) bytes together with the limit at 32", error: e)
        }, .requestLineTooLong)
        + [
            .request("a request line over the limit fails before its LF arrives", "GET /" + s(40), limits: l,
                     error: .requestLineTooLong),
            .request("a request line exactly at the limit without its LF waits for more", "GET /" + s(27), limits: l),
        ]
    }()

    // MARK: maxStatusLineBytes

    static let statusLine: [MessageCase] = {
        let l = limits { $0.maxStatusLineBytes = 32 }
        return around(32, { n, e in
            let reason = s(n - 15, "r")
            return .response("a status line of \(n) bytes with the limit at 32",
                             "HTTP/1.1 200 " + reason + "\r\nContent-Length: 0\r\n\r\n", limits: l,
                             messages: e == nil ? [msg("http11 200 \(reason); Content-Length: 0", "", .contentLength(0))] : [], error: e)
        }, .statusLineTooLong)
    }()

    // MARK: maxFieldLineBytes

    static let fieldLine: [MessageCase] = {
        let l = limits { $0.maxFieldLineBytes = 24 }
        return around(24, { n, e in
            let value = s(n - 5, "v")
            return .request("a field line of \(n) bytes with the limit at 24",
                            "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n", limits: l,
                            messages: e == nil ? [msg("GET / http11; Host: h; X: \(value)", "get origin /")] : [], error: e)
        }, .fieldLineTooLong)
        // The head's "Transfer-Encoding: chunked\r\n" is 28 bytes, so trailers are tested against 32.
        + around(32, { n, e in
            let value = s(n - 5, "v")
            return .request("a trailer field line of \(n) bytes with the limit at 32",
                            ChunkedCases.requestHead + "0\r\nT: " + value + "\r\n\r\n",
                            limits: limits { $0.maxFieldLineBytes = 32 },
                            msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked,
                                trailers: e == nil ? ["T: \(value)"] : [], complete: e == nil),
                            error: e)
        }, .fieldLineTooLong)
        + [.request("a field line over the limit fails before its LF arrives", "GET / HTTP/1.1\r\nX: " + s(30), limits: l,
                    error: .fieldLineTooLong)]
    }()

    // MARK: maxFieldCount

    static let fieldCount: [MessageCase] = {
        let l = limits { $0.maxFieldCount = 3 }
        return around(3, { n, e in
            let extra = (1..<n).map { "X\($0): \($0)" }
            return .request("\(n) header fields with the limit at 3",
                            "GET / HTTP/1.1\r\nHost: h\r\n" + extra.map { $0 + "\r\n" }.joined() + "\r\n", limits: l,
                            messages: e == nil ? [msg((["GET / http11", "Host: h"] + extra).joined(separator: "; "), "get origin /")] : [],
                            error: e)
        }, .tooManyFields)
        + around(3, { n, e in
            let fields = (0..<n).map { "X\($0): \($0)" }
            return .response("\(n) response header fields with the limit at 3",
                             "HTTP/1.1 204 No Content\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n", limits: l,
                             messages: e == nil ? [msg((["http11 204 No Content"] + fields).joined(separator: "; "), "", .none)] : [],
                             error: e)
        }, .tooManyFields)
    }()

    // MARK: maxHeadBytes

    static let headBytes: [MessageCase] = {
        let l = limits { $0.maxHeadBytes = 64 }
        // "GET / HTTP/1.1\r\n" (16) + "Host: h\r\n" (9) + "X: v..\r\n" (5 + k) + "\r\n" (2) = 32 + k
        return around(64, { n, e in
            let value = s(n - 32, "v")
            return .request("a head of \(n) bytes with the limit at 64",
                            "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n", limits: l,
                            messages: e == nil ? [msg("GET / http11; Host: h; X: \(value)", "get origin /")] : [], error: e)
        }, .headTooLarge)
        + around(64, { n, e in
            let value = s(n - 32, "v")
            return .request("an empty line before a head of \(n) bytes does not count towards the limit at 64",
                            "\r\nGET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n", limits: l,
                            messages: e == nil ? [msg("GET / http11; Host: h; X: \(value)", "get origin /")] : [], error: e)
        }, .headTooLarge)
        // "HTTP/1.1 200 OK\r\n" (17) + "X: v..\r\n" (5 + k) + "\r\n" (2) = 24 + k
        + around(64, { n, e in
            let value = s(n - 24, "v")
            return .response("a response head of \(n) bytes with the limit at 64",
                             "HTTP/1.1 200 OK\r\nX: " + value + "\r\n\r\n", eof: true, limits: l,
                             messages: e == nil ? [msg("http11 200 OK; X: \(value)", "", .untilClose)] : [], error: e)
        }, .headTooLarge)
    }()

    // MARK: maxChunkExtensionBytes

    static let chunkExtension: [MessageCase] = {
        let l = limits { $0.maxChunkExtensionBytes = 8 }
        func chunked(_ name: String, _ encoded: String, body: String, error: ParseError?) -> MessageCase {
            .request(name, ChunkedCases.requestHead + encoded, limits: l,
                     msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, body: body,
                         complete: error == nil),
                     error: error)
        }
        return around(8, { n, e in
            chunked("a chunk extension of \(n) bytes with the limit at 8", "5;a=" + s(n - 3, "b") + "\r\nhello\r\n0\r\n\r\n",
                    body: e == nil ? "hello" : "", error: e)
        }, .chunkExtensionTooLong)
        + around(8, { n, e in
            chunked("a chunk extension of \(n) bytes starting with BWS with the limit at 8",
                    "5 ;a=" + s(n - 4, "b") + "\r\nhello\r\n0\r\n\r\n", body: e == nil ? "hello" : "", error: e)
        }, .chunkExtensionTooLong)
        + around(8, { n, e in
            chunked("a quoted chunk extension of \(n) bytes with the limit at 8",
                    "5;a=\"" + s(n - 5, "q") + "\"\r\nhello\r\n0\r\n\r\n", body: e == nil ? "hello" : "", error: e)
        }, .chunkExtensionTooLong)
        + around(8, { n, e in
            chunked("a last-chunk extension of \(n) bytes with the limit at 8",
                    "5\r\nhello\r\n0;" + s(n - 1, "z") + "\r\n\r\n", body: "hello", error: e)
        }, .chunkExtensionTooLong)
    }()

    // MARK: maxTrailerBytes

    static let trailerBytes: [MessageCase] = {
        let l = limits { $0.maxTrailerBytes = 16 }
        // "T: v..\r\n" (5 + k) + "\r\n" (2) = 7 + k
        return around(16, { n, e in
            let value = s(n - 7, "v")
            return .request("a trailer section of \(n) bytes with the limit at 16",
                            ChunkedCases.requestHead + "1\r\nx\r\n0\r\nT: " + value + "\r\n\r\n", limits: l,
                            msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, body: "x",
                                trailers: e == nil ? ["T: \(value)"] : [], complete: e == nil),
                            error: e)
        }, .trailerTooLarge)
        + around(2, { n, e in
            // n - 2 bytes of trailer lines cannot be formed for n = 1 and 3; use the empty section (2 bytes) against limits 1...3.
            let limit = 4 - n
            return .request("an empty trailer section of 2 bytes with the limit at \(limit)",
                            ChunkedCases.requestHead + "0\r\n\r\n", limits: limits { $0.maxTrailerBytes = limit },
                            msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked,
                                complete: e == nil),
                            error: e)
        }, .trailerTooLarge)
    }()

    // MARK: maxTrailerFieldCount

    static let trailerCount: [MessageCase] = {
        let l = limits { $0.maxTrailerFieldCount = 2 }
        return around(2, { n, e in
            let fields = (0..<n).map { "T\($0): \($0)" }
            return .request("\(n) trailer fields with the limit at 2",
                            ChunkedCases.requestHead + "0\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n", limits: l,
                            msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked,
                                trailers: e == nil ? fields : [], complete: e == nil),
                            error: e)
        }, .tooManyTrailerFields)
    }()

    // MARK: maxBodyBytes

    static let bodyBytes: [MessageCase] = {
        let l = limits { $0.maxBodyBytes = 10 }
        let zero = limits { $0.maxBodyBytes = 0 }
        let data = "0123456789abcdef"
        func prefix(_ n: Int) -> String { String(data.prefix(n)) }
        return around(10, { n, e in
            .request("a Content-Length of \(n) with the body limit at 10",
                     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(n)\r\n\r\n" + prefix(n), limits: l,
                     messages: e == nil ? [msg("POST / http11; Host: h; Content-Length: \(n)", "post origin /", .contentLength(UInt64(n)),
                                     body: prefix(n))] : [],
                     error: e)
        }, .bodyTooLarge)
        + around(10, { n, e in
            .response("a response Content-Length of \(n) with the body limit at 10",
                      "HTTP/1.1 200 OK\r\nContent-Length: \(n)\r\n\r\n" + prefix(n), limits: l,
                      messages: e == nil ? [msg("http11 200 OK; Content-Length: \(n)", "", .contentLength(UInt64(n)), body: prefix(n))] : [],
                      error: e)
        }, .bodyTooLarge)
        + around(10, { n, e in
            // Two chunks: 5 bytes, then n - 5. The limit is checked when a chunk's size is known.
            .request("chunks totalling \(n) bytes with the body limit at 10",
                     ChunkedCases.requestHead + "5\r\n" + prefix(5) + "\r\n" + String(n - 5, radix: 16) + "\r\n"
                         + String(data.dropFirst(5).prefix(n - 5)) + "\r\n0\r\n\r\n",
                     limits: l,
                     msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked,
                         body: e == nil ? prefix(n) : prefix(5), complete: e == nil),
                     error: e)
        }, .bodyTooLarge)
        + around(10, { n, e in
            // Read until close: the limit bytes are delivered, the byte after them fails.
            .response("a read-until-close body of \(n) bytes with the body limit at 10",
                      "HTTP/1.1 200 OK\r\n\r\n" + prefix(n), eof: true, limits: l,
                      msg("http11 200 OK", "", .untilClose, body: prefix(min(n, 10)), complete: e == nil),
                      error: e)
        }, .bodyTooLarge)
        + [
            .request("Content-Length 0 with the body limit at 0", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
                     limits: zero, msg("POST / http11; Host: h; Content-Length: 0", "post origin /", .contentLength(0))),
            .request("an empty chunked body with the body limit at 0", ChunkedCases.requestHead + "0\r\n\r\n", limits: zero,
                     msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked)),
            .request("Content-Length 1 with the body limit at 0", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx",
                     limits: zero, error: .bodyTooLarge),
            .request("the body limit applies to each pipelined message on its own",
                     "POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789"
                         + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789",
                     limits: l,
                     msg("POST /1 http11; Host: h; Content-Length: 10", "post origin /1", .contentLength(10), body: "0123456789"),
                     msg("POST /2 http11; Host: h; Content-Length: 10", "post origin /2", .contentLength(10), body: "0123456789")),
        ]
    }()

    // MARK: Two limits crossed by the same line: the one crossed first, in byte order, is reported.

    static let crossedTogether: [MessageCase] = [
        // Head: 25 bytes before the field line. The head limit is crossed at its 16th byte, the line limit at its 21st.
        .request("a long field line that first crosses the head limit is reported as a large head",
                 "GET / HTTP/1.1\r\nHost: h\r\nX: " + s(30) + "\r\n\r\n",
                 limits: limits { $0.maxHeadBytes = 40; $0.maxFieldLineBytes = 20 }, error: .headTooLarge),
        // The line limit is crossed at byte 21 of the line, the head limit (60) only at byte 36.
        .request("a long field line that first crosses the line limit is reported as a long line",
                 "GET / HTTP/1.1\r\nHost: h\r\nX: " + s(40) + "\r\n\r\n",
                 limits: limits { $0.maxHeadBytes = 60; $0.maxFieldLineBytes = 20 }, error: .fieldLineTooLong),
        // Both are crossed by byte 21 of the line; the line limit is reported.
        .request("a field line crossing both limits with the same byte is reported as a long line",
                 "GET / HTTP/1.1\r\nHost: h\r\nX: " + s(40) + "\r\n\r\n",
                 limits: limits { $0.maxHeadBytes = 45; $0.maxFieldLineBytes = 20 }, error: .fieldLineTooLong),
        .request("a long request line that first crosses the head limit is reported as a large head",
                 "GET /" + s(40) + " HTTP/1.1\r\nHost: h\r\n\r\n",
                 limits: limits { $0.maxHeadBytes = 20; $0.maxRequestLineBytes = 30 }, error: .headTooLarge),
        // Trailer line of 45 bytes against a line limit of 30 (the head's longest line is 28).
        .request("a long trailer line that first crosses the trailer limit is reported as large trailers",
                 ChunkedCases.requestHead + "0\r\nT: " + s(40) + "\r\n\r\n",
                 limits: limits { $0.maxTrailerBytes = 10; $0.maxFieldLineBytes = 30 },
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, complete: false),
                 error: .trailerTooLarge),
        .request("a long trailer line that first crosses the line limit is reported as a long line",
                 ChunkedCases.requestHead + "0\r\nT: " + s(40) + "\r\n\r\n",
                 limits: limits { $0.maxTrailerBytes = 40; $0.maxFieldLineBytes = 30 },
                 msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked, complete: false),
                 error: .fieldLineTooLong),
    ]

    // MARK: Defaults

    /// Field lines "Xi: vvv\r\n" totalling exactly `total` bytes, none longer than `maxLine`.
    static func fieldLines(totalling total: Int, maxLine: Int = 8000, prefix: String = "X") -> [String] {
        var lines: [String] = []
        var left = total
        while left > 0 {
            var size = min(left, maxLine)
            if left - size > 0 && left - size < 16 { size = left - 16 } // leave room for one more line
            let name = "\(prefix)\(lines.count): "
            lines.append(name + s(size - name.utf8.count - 2, "v") + "\r\n")
            left -= size
        }
        return lines
    }

    static let defaults: [MessageCase] = {
        let d = Limits.default
        var rows: [MessageCase] = []
        rows += around(d.maxRequestLineBytes, { n, e in
            requestLineCase(n, leading: "", limits: d, name: "a request line of \(n) bytes at the default limit", error: e)
        }, .requestLineTooLong)
        rows += around(d.maxStatusLineBytes, { n, e in
            let reason = s(n - 15, "r")
            return .response("a status line of \(n) bytes at the default limit", "HTTP/1.1 204 " + reason + "\r\n\r\n",
                             messages: e == nil ? [msg("http11 204 \(reason)", "", .none)] : [], error: e)
        }, .statusLineTooLong)
        rows += around(d.maxFieldLineBytes, { n, e in
            let value = s(n - 5, "v")
            return .request("a field line of \(n) bytes at the default limit", "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n",
                            messages: e == nil ? [msg("GET / http11; Host: h; X: \(value)", "get origin /")] : [], error: e)
        }, .fieldLineTooLong)
        rows += around(d.maxFieldCount, { n, e in
            let extra = (1..<n).map { "X\($0): \($0)" }
            return .request("\(n) header fields at the default limit",
                            "GET / HTTP/1.1\r\nHost: h\r\n" + extra.map { $0 + "\r\n" }.joined() + "\r\n",
                            messages: e == nil ? [msg((["GET / http11", "Host: h"] + extra).joined(separator: "; "), "get origin /")] : [],
                            error: e)
        }, .tooManyFields)
        rows += around(d.maxHeadBytes, { n, e in
            let lines = fieldLines(totalling: n - 16 - 9 - 2)
            let fields = lines.map { String($0.dropLast()) /* "\r\n" is one Character */ }
            return .request("a head of \(n) bytes at the default limit", "GET / HTTP/1.1\r\nHost: h\r\n" + lines.joined() + "\r\n",
                            messages: e == nil ? [msg((["GET / http11", "Host: h"] + fields).joined(separator: "; "), "get origin /")] : [],
                            error: e)
        }, .headTooLarge)
        rows += around(d.maxChunkExtensionBytes, { n, e in
            .request("a chunk extension of \(n) bytes at the default limit",
                     ChunkedCases.requestHead + "2;e=" + s(n - 3, "x") + "\r\nok\r\n0\r\n\r\n",
                     msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked,
                         body: e == nil ? "ok" : "", complete: e == nil),
                     error: e)
        }, .chunkExtensionTooLong)
        rows += around(d.maxTrailerBytes, { n, e in
            let lines = fieldLines(totalling: n - 2, maxLine: 4096, prefix: "T")
            return .request("a trailer section of \(n) bytes at the default limit",
                            ChunkedCases.requestHead + "0\r\n" + lines.joined() + "\r\n",
                            msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked,
                                trailers: e == nil ? lines.map { String($0.dropLast()) /* "\r\n" is one Character */ } : [], complete: e == nil),
                            error: e)
        }, .trailerTooLarge)
        rows += around(d.maxTrailerFieldCount, { n, e in
            let fields = (0..<n).map { "T\($0): \($0)" }
            return .request("\(n) trailer fields at the default limit",
                            ChunkedCases.requestHead + "0\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n",
                            msg("POST /c http11; Host: a; Transfer-Encoding: chunked", "post origin /c", .chunked,
                                trailers: e == nil ? fields : [], complete: e == nil),
                            error: e)
        }, .tooManyTrailerFields)
        return rows
    }()
}

@Suite struct LimitsTests {
    @Test(arguments: LimitCases.small)
    func eachSmallLimitIsEnforcedExactlyAtItsValue(_ row: MessageCase) {
        row.check()
    }

    @Test(arguments: LimitCases.defaults)
    func eachDefaultLimitIsEnforcedExactlyAtItsValue(_ row: MessageCase) {
        row.check()
    }

    @Test func theDefaultsAreTheDocumentedValues() {
        let d = Limits.default
        #expect(d.maxRequestLineBytes == 8192)
        #expect(d.maxStatusLineBytes == 8192)
        #expect(d.maxFieldLineBytes == 8192)
        #expect(d.maxFieldCount == 100)
        #expect(d.maxHeadBytes == 65536)
        #expect(d.maxChunkExtensionBytes == 1024)
        #expect(d.maxTrailerBytes == 8192)
        #expect(d.maxTrailerFieldCount == 32)
        #expect(d.maxBodyBytes == nil)
        #expect(Limits() == d)
    }

    @Test func theDefaultBodyLimitIsUnbounded() {
        let t = Drive.request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n")
        #expect(t.error == nil)
        #expect(t.first?.framing == .contentLength(UInt64.max))
        let c = Drive.request(ChunkedCases.requestHead + "FFFFFFFFFFFFFFFF\r\n")
        #expect(c.error == nil)
        #expect(c.first?.framing == .chunked)
    }

    @Test func chunksWhoseSizesOverflowTheBodyCountAreTooLarge() {
        // Each size fits in 64 bits; their sum does not.
        let t = Drive.request(ChunkedCases.requestHead + "1\r\nx\r\nFFFFFFFFFFFFFFFF\r\n")
        #expect(t.error == .bodyTooLarge)
        #expect(t.first?.body == Array("x".utf8))
    }

    @Test(arguments: [1, 7, 64])
    func theHeadStorageNeverHoldsMoreThanTheLimitsAllow(limit: Int) {
        // Whatever the split, the head storage never holds more than the limits allow.
        var parser = RequestParser(limits: limits { $0.maxRequestLineBytes = limit; $0.maxHeadBytes = limit })
        let input = Array(("GET /" + String(repeating: "a", count: 200)).utf8)
        var failed: ParseError?
        for b in input {
            let one = [b]
            do throws(ParseError) {
                _ = try parser.parse(one.span)
            } catch {
                failed = error
                break
            }
            #expect(parser.head.bytes.count <= limit)
        }
        #expect(failed == .requestLineTooLong)
    }
}
