/// Ready-made client requests and origin responses for the `connection-machine` target, so a
/// short input reaches deep states (an exchange in flight, a reused upstream, a streamed body).
///
/// FROZEN: both tables have exactly 32 entries, addressed by the 5-bit argument of an op byte
/// (see MachineScript.swift). Never reorder, remove or edit an entry; saved inputs name them by
/// index. Pieces of a message (a head without its body, one chunk) are entries of their own.
enum CannedMessages {
    static let viaName = "portcullis-fuzz"

    static let requests: [[UInt8]] = requestTexts.map { Array($0.utf8) }
    static let responses: [[UInt8]] = responseTexts.map { Array($0.utf8) }

    private static let requestTexts: [String] = [
        /* 0 */ "GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 1 */ "GET http://origin.test/a?b=c HTTP/1.1\r\nHost: origin.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
            + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\n"
            + "Proxy-Authorization: Basic eDp5\r\nTrailer: X-T\r\nX-End: 2\r\n\r\n",
        /* 2 */ "HEAD http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 3 */ "POST http://origin.test/form HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 11\r\n\r\nhello world",
        /* 4 */ "POST http://origin.test/up HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        /* 5 */ "GET http://origin.test/old HTTP/1.0\r\n\r\n",
        /* 6 */ "GET http://origin.test/old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        /* 7 */ "GET http://origin.test/last HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n",
        /* 8 */ "GET http://other.test:8080/x HTTP/1.1\r\nHost: other.test:8080\r\n\r\n",
        /* 9 */ "GET /local HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 10 */ "CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n",
        /* 11 */ "GET https://origin.test/ HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 12 */ "GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\nVia: 1.1 portcullis-fuzz\r\n\r\n",
        /* 13 */ "GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\nBad Field: x\r\n\r\n",
        /* 14 */ "GET http://origin.test/ HTTP/1.1\nHost: origin.test\n\n",
        /* 15 */ "POST http://origin.test/slow HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 5\r\n\r\n",
        /* 16 */ "POST http://origin.test/stream HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: chunked\r\n\r\n",
        /* 17 */ "5\r\nhello\r\n",
        /* 18 */ "0\r\n\r\n",
        /* 19 */ "PUT http://origin.test/item HTTP/1.1\r\nHost: origin.test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
        /* 20 */ "OPTIONS * HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 21 */ "DELETE http://origin.test/item HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 22 */ "POST http://origin.test/empty HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 0\r\n\r\n",
        /* 23 */ "GET http://origin.test/ws HTTP/1.1\r\nHost: origin.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        /* 24 */ "GET http://origin.test/ HTTP/1.1\r\nHost: origin.test\r\nConnection: a b\r\n\r\n",
        /* 25 */ "GET http://ORIGIN.test:80 HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 26 */ "GET http://[::1]:8080/v6 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
        /* 27 */ "GET http://origin.test/1 HTTP/1.1\r\nHost: origin.test\r\n\r\nGET http://origin.test/2 HTTP/1.1\r\nHost: origin.test\r\n\r\n",
        /* 28 */ "GET http://origin.test/slowloris HTTP/1.1\r\nHo",
        /* 29 */ "st: origin.test\r\n\r\n",
        /* 30 */ "HEAD http://origin.test/ HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n",
        /* 31 */ "POST http://origin.test/gz HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    ]

    private static let responseTexts: [String] = [
        /* 0 */ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        /* 1 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        /* 2 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3;e=\"v\"\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
        /* 3 */ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
        /* 4 */ "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        /* 5 */ "HTTP/1.1 204 No Content\r\n\r\n",
        /* 6 */ "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n",
        /* 7 */ "HTTP/1.1 100 Continue\r\n\r\n",
        /* 8 */ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        /* 9 */ "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        /* 10 */ "HTTP/1.1 200 OK\r\nConnection: X-Secret, keep-alive\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n"
            + "Proxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\nTrailer: X-T\r\nUpgrade: h2c\r\nTE: trailers\r\n"
            + "X-Kept: 2\r\nContent-Length: 0\r\n\r\n",
        /* 11 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        /* 12 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz",
        /* 13 */ "HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n",
        /* 14 */ "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        /* 15 */ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
        /* 16 */ "world",
        /* 17 */ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
        /* 18 */ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
        /* 19 */ "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nby",
        /* 20 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        /* 21 */ "3\r\nabc\r\n",
        /* 22 */ "0\r\nX-T: 1\r\n\r\n",
        /* 23 */ "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        /* 24 */ "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc",
        /* 25 */ "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        /* 26 */ "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nContent-Type: text/plain\r\n\r\nnot found",
        /* 27 */ "HTTP/1.1 304 Not Modified\r\n\r\n",
        /* 28 */ "HTTP/1.1 200 OK\r\nVia: 1.0 upstream\r\nContent-Length: 1\r\n\r\nv",
        /* 29 */ "HTTP/1.1 200 OK\r\nContent-Le",
        /* 30 */ "ngth: 1\r\n\r\nx",
        /* 31 */ "HTTP/1.1 200 OK\r\n\r\n",
    ]
}
