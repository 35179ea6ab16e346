import Foundation
import Testing

/// Malformed and refused requests, sent as raw bytes: each gets its 4xx/5xx status and an
/// error page naming the problem, and none causes a connection to the origin (the origin
/// counts the connections it accepts).
@Suite("Malformed requests")
struct MalformedRequestTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var status: Int
        /// The raw request; `origin` is the test origin's "127.0.0.1:port".
        var bytes: @Sendable (_ origin: String) -> [UInt8]
        var description: String { name }

        init(_ name: String, _ status: Int, _ text: @escaping @Sendable (_ origin: String) -> String) {
            self.name = name
            self.status = status
            bytes = { Array(text($0).utf8) }
        }
    }

    /// Every proxy in this suite runs with these limits.
    static let options = ["--max-body", "1000", "--max-request-line", "2048", "--max-headers", "50"]

    static let cases: [Case] = [
        Case("smuggling: Transfer-Encoding with Content-Length", 400) { o in
            "POST http://\(o)/echo-body HTTP/1.1\r\nHost: \(o)\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("smuggling: two different Content-Length values", 400) { o in
            "POST http://\(o)/echo-body HTTP/1.1\r\nHost: \(o)\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
        },
        Case("smuggling: Transfer-Encoding other than chunked last", 400) { o in
            "POST http://\(o)/echo-body HTTP/1.1\r\nHost: \(o)\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"
        },
        Case("obs-fold continuation line", 400) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\nX-Folded: first\r\n second\r\n\r\n"
        },
        Case("whitespace before the colon", 400) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\nX-Bad : value\r\n\r\n"
        },
        Case("bare LF line ends", 400) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\nHost: \(o)\n\n"
        },
        Case("missing Host in HTTP/1.1", 400) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\r\nAccept: */*\r\n\r\n"
        },
        Case("unsupported version HTTP/2.0", 505) { o in
            "GET http://\(o)/fixed/1 HTTP/2.0\r\nHost: \(o)\r\n\r\n"
        },
        Case("malformed version", 400) { o in
            "GET http://\(o)/fixed/1 HTTX/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("request line over --max-request-line", 414) { o in
            "GET http://\(o)/fixed/1?\(String(repeating: "a", count: 4000)) HTTP/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("more header fields than --max-headers", 431) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\n"
                + (0..<60).map { "X-Field-\($0): v\r\n" }.joined() + "\r\n"
        },
        Case("header line over the limit", 431) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\nX-Long: \(String(repeating: "b", count: 9000))\r\n\r\n"
        },
        Case("Content-Length over --max-body", 413) { o in
            "POST http://\(o)/echo-body HTTP/1.1\r\nHost: \(o)\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "x", count: 5000)
        },
        Case("origin-form request-target", 400) { o in
            "GET /fixed/1 HTTP/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("asterisk-form request-target", 400) { o in
            "OPTIONS * HTTP/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("userinfo in the URI", 400) { o in
            "GET http://user:pass@\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("CONNECT to a port outside --connect-ports", 403) { o in
            "CONNECT \(o) HTTP/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("https:// URI (not in this build)", 501) { o in
            "GET https://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\n\r\n"
        },
        Case("loop: Via already names this proxy", 508) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\nVia: 1.1 \(ProxyUnderTest.viaName)\r\n\r\n"
        },
        Case("NUL byte in a field value", 400) { o in
            "GET http://\(o)/fixed/1 HTTP/1.1\r\nHost: \(o)\r\nX-Nul: a\u{0}b\r\n\r\n"
        },
    ]

    @Test("Each malformed request gets its status and causes no upstream connection", arguments: Harness.models)
    func rejected(model: String) throws {
        let h = try Harness(model: model, options: Self.options)
        defer { h.finish() }
        let origin = "127.0.0.1:\(h.origin.port)"
        for c in Self.cases {
            let client = try h.connect()
            try client.send(c.bytes(origin))
            let reader = HTTPReader(client)
            let response = try reader.next()
            #expect(response.status == c.status, "\(model): \(c.name): got \(response.statusLine)")
            #expect(response.value("Content-Type") == "text/html", "\(model): \(c.name)")
            #expect(response.bodyText.contains("<h1>\(c.status) "), "\(model): \(c.name): \(response.bodyText)")
            #expect(response.value("Via") == "1.1 \(ProxyUnderTest.viaName)")
            // A message that cannot be delimited must end the connection; a refused but
            // well-formed one may keep it (then without Connection: close).
            if response.value("Connection") == "close" {
                #expect(reader.serverClosed(timeoutMs: 5_000), "\(model): \(c.name): connection left open after Connection: close")
            }
            client.close()
        }
        // The rejections are all logged before the origin is asked, so none can be in flight.
        h.proxy.waitForCompleted(Self.cases.count)
        #expect(try h.origin.connectionCount == 0, "\(model): a rejected request reached the origin")
        // The proxy still works, and that request is the origin's first connection.
        let ok = try h.curl("/fixed/100")
        #expect(ok.succeeded && ok.transfers.first?.status == 200)
        #expect(try h.origin.connectionCount == 1)
    }

    @Test("Smuggled second request after a rejected one is never forwarded", arguments: Harness.models)
    func smugglingClosesConnection(model: String) throws {
        let h = try Harness(model: model)
        defer { h.finish() }
        let o = "127.0.0.1:\(h.origin.port)"
        let client = try h.connect()
        try client.send("POST http://\(o)/echo-body HTTP/1.1\r\nHost: \(o)\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n"
            + "0\r\n\r\nGET http://\(o)/fixed/7 HTTP/1.1\r\nHost: \(o)\r\n\r\n")
        let all = try client.readToEnd(timeoutMs: 10_000)
        let text = String(decoding: all, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400 "))
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "exactly one response, then close: \(text)")
        #expect(try h.origin.connectionCount == 0)
    }
}
