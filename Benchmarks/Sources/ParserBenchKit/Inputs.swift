// The benchmark inputs: what a forward proxy typically reads from clients and from origins.
// Every message is CRLF-terminated wire bytes, built once at start-up (never inside a measured loop).

/// One named message as wire bytes.
public struct Input: Sendable {
    public var name: String
    public var bytes: [UInt8]
    /// Header field lines in the head (checked against both parsers at start-up).
    public var fieldCount: Int
    /// Decoded body bytes (chunked framing removed).
    public var bodyBytes: Int

    init(_ name: String, _ lines: [String], body: [UInt8] = [], rawBody: [UInt8]? = nil) {
        self.name = name
        var bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        bytes += rawBody ?? body
        self.bytes = bytes
        self.fieldCount = lines.count - 1
        self.bodyBytes = body.count
    }
}

public enum Inputs {
    // MARK: Requests (what clients send to a proxy: absolute-form targets)

    /// `curl -x http://proxy:3128 http://example.com/` (curl 7.88.1, Debian 12).
    public static let curl = Input("curl GET", [
        "GET http://example.com/ HTTP/1.1",
        "Host: example.com",
        "User-Agent: curl/7.88.1",
        "Accept: */*",
        "Proxy-Connection: Keep-Alive",
    ])

    /// A Chromium 122 navigation through an explicit proxy: 18 header fields, a 1.5 KB Cookie
    /// (analytics, consent and session cookies, as a news site sets them), conditional headers.
    public static let browser = Input("Chromium GET, 18 fields, 1.5 KB cookie", [
        "GET http://www.example-news.com/world/2024/03/12/markets-rally-as-inflation-cools?ref=homepage&utm_source=newsletter&utm_medium=email HTTP/1.1",
        "Host: www.example-news.com",
        "Proxy-Connection: keep-alive",
        "Cache-Control: max-age=0",
        "sec-ch-ua: \"Chromium\";v=\"122\", \"Not(A:Brand\";v=\"24\", \"Google Chrome\";v=\"122\"",
        "sec-ch-ua-mobile: ?0",
        "sec-ch-ua-platform: \"Linux\"",
        "Upgrade-Insecure-Requests: 1",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
        "Sec-Fetch-Site: same-origin",
        "Sec-Fetch-Mode: navigate",
        "Sec-Fetch-User: ?1",
        "Sec-Fetch-Dest: document",
        "Referer: http://www.example-news.com/",
        "Accept-Encoding: gzip, deflate",
        "Accept-Language: en-GB,en-US;q=0.9,en;q=0.8,fr;q=0.7",
        "Cookie: " + cookie,
        "If-None-Match: W/\"5f2a-18e2b3c4d5e\"",
    ])

    /// A JSON event posted by a client library, with a Content-Length body.
    public static let post: Input = {
        let body = Array(#"{"event":"page_view","ts":1710238532,"user":"u_8f3a2c","path":"/world/2024/03/12","ms":187}"#.utf8)
        return Input("small POST, Content-Length body", [
            "POST http://api.example-news.com/v1/events HTTP/1.1",
            "Host: api.example-news.com",
            "User-Agent: python-requests/2.31.0",
            "Accept-Encoding: gzip, deflate",
            "Accept: */*",
            "Connection: keep-alive",
            "Content-Type: application/json",
            "Content-Length: \(body.count)",
        ], body: body)
    }()

    // MARK: Responses (what origins send back)

    /// nginx serving a static file: Content-Length, 1 KiB body.
    public static let nginx200: Input = {
        let body = html(1024)
        return Input("nginx 200, Content-Length, 1 KiB body", [
            "HTTP/1.1 200 OK",
            "Server: nginx/1.24.0",
            "Date: Tue, 12 Mar 2024 10:15:32 GMT",
            "Content-Type: text/html; charset=utf-8",
            "Content-Length: \(body.count)",
            "Last-Modified: Mon, 11 Mar 2024 22:41:07 GMT",
            "Connection: keep-alive",
            "ETag: \"65ef8813-400\"",
            "Cache-Control: max-age=3600",
            "Accept-Ranges: bytes",
        ], body: body)
    }()

    /// An application server streaming JSON with chunked framing: 5 chunks (one with an
    /// extension) and the last-chunk, no trailers.
    public static let chunked: Input = {
        let sizes = [512, 419, 128, 1024, 49]
        var decoded: [UInt8] = []
        var wire: [UInt8] = []
        var seed: UInt8 = 0
        for (n, size) in sizes.enumerated() {
            let chunk = json(size, seed: &seed)
            decoded += chunk
            wire += Array(String(size, radix: 16).utf8)
            if n == 1 { wire += Array(";ext=1".utf8) }
            wire += [0x0D, 0x0A] + chunk + [0x0D, 0x0A]
        }
        wire += Array("0\r\n\r\n".utf8)
        return Input("chunked 200, 5 chunks, 2 KiB", [
            "HTTP/1.1 200 OK",
            "Server: nginx/1.24.0",
            "Date: Tue, 12 Mar 2024 10:15:33 GMT",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
            "Connection: keep-alive",
            "Vary: Accept-Encoding",
            "Cache-Control: private, no-cache",
            "X-Request-Id: 7d1c3b7e-2f4a-4b8e-9a51-0c6f2e9d8a14",
        ], body: decoded, rawBody: wire)
    }()

    /// A revalidation answer: no body.
    public static let notModified = Input("304 Not Modified", [
        "HTTP/1.1 304 Not Modified",
        "Server: nginx/1.24.0",
        "Date: Tue, 12 Mar 2024 10:15:34 GMT",
        "Last-Modified: Mon, 11 Mar 2024 22:41:07 GMT",
        "Connection: keep-alive",
        "ETag: \"65ef8813-400\"",
        "Cache-Control: max-age=3600",
    ])

    public static let requests = [curl, browser, post]
    public static let responses = [nginx200, chunked, notModified]

    /// A batch of `count` messages cycling through `inputs` (the "mix": equal shares).
    public static func batch(_ inputs: [Input], count: Int) -> [[UInt8]] {
        (0..<count).map { inputs[$0 % inputs.count].bytes }
    }

    // MARK: Generated content (deterministic)

    /// ~1.5 KB of cookies: Google Analytics, consent, A/B test, CSRF and a signed session.
    public static let cookie: String = {
        var seed: UInt32 = 0x9E37_79B9
        func token(_ n: Int) -> String {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            var s = ""
            for _ in 0..<n {
                seed = seed &* 1_664_525 &+ 1_013_904_223
                s.append(alphabet[Int(seed >> 26)])
            }
            return s
        }
        let parts = [
            "_ga=GA1.2.1583927461.1709913021",
            "_gid=GA1.2.884213467.1710151234",
            "_ga_7XK2Q9M3LP=GS1.1.1710238501.14.1.1710238529.0.0.0",
            "_fbp=fb.1.1709913022117.1938475610",
            "OptanonAlertBoxClosed=2024-03-08T16:43:52.117Z",
            "OptanonConsent=isGpcEnabled=0&datestamp=Tue+Mar+12+2024+10%3A15%3A01+GMT%2B0000&version=202401.2.0&isIABGlobal=false&hosts=&consentId=" + token(36) + "&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A0",
            "ab_test_bucket=homepage-v3:b;checkout-2024:control",
            "csrftoken=" + token(64),
            "sessionid=" + token(600),
            "remember_token=" + token(160),
            "recently_viewed=art_991827%2Cart_991802%2Cart_991744%2Cart_990013%2Cart_989920",
            "tz=Europe%2FLondon",
            "theme=dark",
        ]
        return parts.joined(separator: "; ")
    }()

    static func html(_ size: Int) -> [UInt8] {
        let head = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Example</title></head>\n<body>\n"
        let tail = "</body></html>\n"
        var out = Array(head.utf8)
        let para = Array("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n".utf8)
        while out.count + tail.utf8.count < size { out += para }
        out = Array(out.prefix(size - tail.utf8.count)) + Array(tail.utf8)
        return out
    }

    static func json(_ size: Int, seed: inout UInt8) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        while out.count < size {
            seed &+= 1
            out += Array("{\"id\":\(seed),\"name\":\"item-\(seed)\",\"price\":\(Int(seed) * 7 % 100).99},".utf8)
        }
        return Array(out.prefix(size))
    }
}
