/// Responses the proxy answers itself: a status line, a short HTML body naming the reason,
/// and framing the client can always delimit (Content-Length).
public enum ErrorPage {
    /// Reason phrases for the statuses the proxy generates.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 417: "Expectation Failed"
        case 431: "Request Header Fields Too Large"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        case 508: "Loop Detected"
        default: "Error"
        }
    }

    /// A complete response. `detail` is escaped for HTML; `close` adds `Connection: close`;
    /// `headOnly` (the answer to a HEAD request, RFC 9110 §9.3.2) leaves the body out.
    public static func render(status: Int, detail: String, via: String?, close: Bool, extraFields: [String] = [],
                              headOnly: Bool = false) -> [UInt8] {
        let phrase = reasonPhrase(status)
        let body = "<html><body><h1>\(status) \(phrase)</h1>\n<p>\(escapeHTML(detail))</p>\n</body></html>\n"
        var head = "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n"
        if let via { head += "Via: 1.1 \(via)\r\n" }
        for field in extraFields { head += field + "\r\n" }
        head += close ? "Connection: close\r\n" : ""
        head += "X-Proxy-Cache: BYPASS\r\n\r\n"
        return Array((headOnly ? head : head + body).utf8)
    }

    static func escapeHTML(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if c.value < 0x20 || c.value == 0x7F { out += "?" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
