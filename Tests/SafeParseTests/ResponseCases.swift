import Testing
import SafeParse

/// Responses, valid and malformed: status line, fields, and response framing (RFC 9112 §6.3):
/// Content-Length, read-until-close, and the no-body cases (HEAD, 1xx, 204, 304, 2xx to CONNECT).
/// Chunked bodies are in `ChunkedCases`.
enum ResponseCases {
    static let all: [MessageCase] = statusLine + framing + rejections

    // MARK: Status line (RFC 9112 §4)

    static let statusLine: [MessageCase] = [
        .response("a 200 with a Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                  msg("http11 200 OK; Content-Length: 5", "", .contentLength(5), body: "hello")),
        .response("a 404 with a body", "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
                  msg("http11 404 Not Found; Content-Length: 4", "", .contentLength(4), body: "nope")),
        .response("an HTTP/1.0 response with Content-Length", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
                  msg("http10 200 OK; Content-Length: 2", "", .contentLength(2), body: "ok")),
        .response("an empty reason phrase after SP", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
                  msg("http11 200 ; Content-Length: 0", "", .contentLength(0))),
        .response("a status line without reason or SP is accepted", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
                  msg("http11 200 ; Content-Length: 0", "", .contentLength(0))),
        .response("a reason phrase with HTAB and obs-text", "HTTP/1.1 200 Very\tOK ✓\r\nContent-Length: 0\r\n\r\n",
                  msg("http11 200 Very\tOK ✓; Content-Length: 0", "", .contentLength(0))),
        .response("status 999 is accepted", "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
                  msg("http11 999 Odd; Content-Length: 0", "", .contentLength(0))),
        .response("optional whitespace is trimmed in response fields", "HTTP/1.1 200 OK\r\nContent-Length:\t 2 \t\r\nX:  y \r\n\r\nhi",
                  msg("http11 200 OK; Content-Length: 2; X: y", "", .contentLength(2), body: "hi")),

        .response("a two-digit status is rejected", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("a four-digit status is rejected", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("a status below 100 is rejected", "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("two SPs before the status are rejected", "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("a lower-case protocol name is rejected", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("HTAB after the status is rejected", "HTTP/1.1 200\tOK\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("a non-digit status is rejected", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("NUL in the reason phrase is rejected", "HTTP/1.1 200 O\u{0}K\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("DEL in the reason phrase is rejected", "HTTP/1.1 200 OK\u{7F}\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("an empty line before the status line is rejected", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                  error: .invalidStatusLine),
        .response("a version without a minor digit is rejected", "HTTP/1 200 OK\r\nContent-Length: 0\r\n\r\n", error: .invalidStatusLine),
        .response("a status line of another protocol is rejected", "ICY 200 OK\r\n\r\n", error: .invalidStatusLine),
        .response("a status line cut after two digits is rejected", "HTTP/1.1 20\r\n\r\n", error: .invalidStatusLine),
        .response("HTTP/2.0 in a status line is unsupported", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", error: .unsupportedVersion),
        .response("HTTP/1.2 in a status line is unsupported", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", error: .unsupportedVersion),
        .response("HTTP/0.9 in a status line is unsupported", "HTTP/0.9 200 OK\r\n\r\n", error: .unsupportedVersion),
        .response("bare CR in the reason phrase", "HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n", error: .bareCR),
        .response("bare CR before the CRLF of the status line", "HTTP/1.1 200 OK\r\r\nContent-Length: 0\r\n\r\n", error: .bareCR),
        .response("bare CR in a short status line", "HTTP/1.1\r\r\n\r\n", error: .bareCR),
        .response("bare LF ending the status line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", error: .bareLF),
        .response("bare LF ending a response field line", "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n", error: .bareLF),
        .response("bare LF ending the response head", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n", error: .bareLF),
    ]

    // MARK: Response framing (RFC 9112 §6.3)

    static let framing: [MessageCase] = [
        .response("an HTTP/1.0 body is read until close", "HTTP/1.0 200 OK\r\n\r\nbody until close", eof: true,
                  msg("http10 200 OK", "", .untilClose, body: "body until close")),
        .response("an HTTP/1.1 body without framing is read until close", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nabc\r\n\r\ndef", eof: true,
                  msg("http11 200 OK; Server: x", "", .untilClose, body: "abc\r\n\r\ndef")),
        .response("a read-until-close body is incomplete before the end of stream", "HTTP/1.1 200 OK\r\n\r\npartial",
                  msg("http11 200 OK", "", .untilClose, body: "partial", complete: false)),
        .response("an empty read-until-close body ends at the end of stream", "HTTP/1.1 200 OK\r\n\r\n", eof: true,
                  msg("http11 200 OK", "", .untilClose)),
        .response("a final coding other than chunked is read until close",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz", eof: true,
                  msg("http11 200 OK; Transfer-Encoding: gzip", "", .untilClose, body: "zzz")),
        .response("chunked then gzip in a response is read until close",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n", eof: true,
                  msg("http11 200 OK; Transfer-Encoding: chunked, gzip", "", .untilClose, body: "5\r\nhello\r\n0\r\n\r\n")),
        .response("a response to HEAD has no body despite Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", to: .head,
                  msg("http11 200 OK; Content-Length: 10", "", .none)),
        .response("a response to HEAD has no body despite chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", to: .head,
                  msg("http11 200 OK; Transfer-Encoding: chunked", "", .none)),
        .response("a 204 has no body", "HTTP/1.1 204 No Content\r\n\r\n",
                  msg("http11 204 No Content", "", .none)),
        .response("a 204 is followed directly by the next response",
                  "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
                  msg("http11 204 No Content", "", .none), msg("http11 200 OK; Content-Length: 2", "", .contentLength(2), body: "hi")),
        .response("a 304 has no body despite Content-Length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n",
                  msg("http11 304 Not Modified; Content-Length: 42", "", .none)),
        .response("a 304 has no body despite chunked", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                  msg("http11 304 Not Modified; Transfer-Encoding: chunked", "", .none)),
        .response("100 Continue is followed by the final response",
                  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                  msg("http11 100 Continue", "", .none), msg("http11 200 OK; Content-Length: 2", "", .contentLength(2), body: "ok")),
        .response("103 Early Hints with fields has no body",
                  "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
                  msg("http11 103 Early Hints; Link: </s.css>; rel=preload", "", .none), msg("http11 204 No Content", "", .none)),
        .response("an end of stream after an interim response is clean", "HTTP/1.1 100 Continue\r\n\r\n", eof: true,
                  msg("http11 100 Continue", "", .none)),
        .response("a 2xx to CONNECT turns the connection into a tunnel",
                  bytes: bytes("HTTP/1.1 200 Connection Established\r\n\r\n", [0x16, 0x03, 0x01, 0x00, 0xFF]), to: .connect,
                  msg("http11 200 Connection Established", "", .tunnel, bodyBytes: [0x16, 0x03, 0x01, 0x00, 0xFF], complete: false)),
        .response("a tunnel ignores Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", to: .connect,
                  msg("http11 200 OK; Content-Length: 3", "", .tunnel, body: "abcdef", complete: false)),
        .response("an end of stream in a tunnel is not an error", "HTTP/1.1 200 OK\r\n\r\nxyz", to: .connect, eof: true,
                  msg("http11 200 OK", "", .tunnel, body: "xyz", complete: false)),
        .response("a 299 to CONNECT is a tunnel too", "HTTP/1.1 299 Fine\r\n\r\n", to: .connect,
                  msg("http11 299 Fine", "", .tunnel, complete: false)),
        .response("a 407 to CONNECT has a normal body",
                  "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno", to: .connect,
                  msg("http11 407 Proxy Authentication Required; Content-Length: 2", "", .contentLength(2), body: "no")),
        .response("a 301 to CONNECT is not a tunnel", "HTTP/1.1 301 Moved\r\nContent-Length: 0\r\n\r\n", to: .connect,
                  msg("http11 301 Moved; Content-Length: 0", "", .contentLength(0))),
        .response("a 204 to CONNECT has no body and is no tunnel", "HTTP/1.1 204 No Content\r\n\r\n", to: .connect,
                  msg("http11 204 No Content", "", .none)),
        .response("identical Content-Length values are accepted", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi",
                  msg("http11 200 OK; Content-Length: 2, 2", "", .contentLength(2), body: "hi")),
        .response("two pipelined responses", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
                  msg("http11 200 OK; Content-Length: 1", "", .contentLength(1), body: "a"),
                  msg("http11 200 OK; Content-Length: 1", "", .contentLength(1), body: "b")),
    ]

    // MARK: Rejected response heads and streams

    static let rejections: [MessageCase] = [
        .response("Transfer-Encoding with Content-Length in a response is rejected",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", error: .transferEncodingWithContentLength),
        .response("Transfer-Encoding in an HTTP/1.0 response is rejected",
                  "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", error: .transferEncodingInHTTP10),
        .response("chunked twice in a response is rejected",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", error: .chunkedAppliedTwice),
        .response("an empty Transfer-Encoding in a response is rejected",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", error: .invalidTransferEncoding),
        .response("differing Content-Length values in a response are rejected",
                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", error: .conflictingContentLength),
        .response("a non-numeric Content-Length in a response is rejected",
                  "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", error: .invalidContentLength),
        .response("a Content-Length overflowing 64 bits in a response is rejected",
                  "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", error: .contentLengthOverflow),
        .response("an invalid Content-Length is rejected even where no body follows",
                  "HTTP/1.1 304 Not Modified\r\nContent-Length: -1\r\n\r\n", error: .invalidContentLength),
        .response("obs-fold in a response is rejected", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
                  error: .obsoleteLineFolding),
        .response("a control character in a response field is rejected", "HTTP/1.1 200 OK\r\nX: \u{7}\r\n\r\n",
                  error: .invalidFieldValue),
        .response("whitespace before the colon in a response is rejected", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
                  error: .whitespaceBeforeColon),
        .response("an invalid field name in a response is rejected", "HTTP/1.1 200 OK\r\nX[1]: a\r\n\r\n", error: .invalidFieldName),
        .response("an end of stream inside a response Content-Length body is a truncation",
                  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", eof: true,
                  msg("http11 200 OK; Content-Length: 5", "", .contentLength(5), body: "hel", complete: false), error: .truncatedMessage),
        .response("an end of stream inside a response head is a truncation", "HTTP/1.1 200 OK\r\nContent-Le", eof: true,
                  error: .truncatedMessage),
        .response("an end of stream after an interim response and a partial final one is a truncation",
                  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2", eof: true,
                  msg("http11 100 Continue", "", .none), error: .truncatedMessage),
    ]
}

@Suite struct ResponseTableTests {
    @Test(arguments: ResponseCases.all)
    func eachResponseParsesToItsExpectedTranscript(_ row: MessageCase) {
        row.check()
    }
}
