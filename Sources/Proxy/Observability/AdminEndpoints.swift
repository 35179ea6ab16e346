/// The proxy's own endpoints, for requests addressed to the proxy itself (origin-form:
/// `curl localhost:8080/_stats`):
///
/// | path | answer |
/// |---|---|
/// | `/_stats` | `StatsJSON` (application/json) |
/// | `/metrics` | `PrometheusExposition` (text/plain; version=0.0.4) |
/// | `/_dashboard` | `Dashboard.html`: one self-contained page |
/// | `/_dashboard/data` | `/_stats` plus the latency histogram's buckets, for the dashboard |
///
/// Only clients in `--admin-allow` (default loopback) get them; others get 403. GET and HEAD
/// only (405 otherwise). A query string is ignored. Every other origin-form path is not an
/// endpoint (the connection machine answers 400 as before).
public enum AdminEndpoints {
    /// The endpoint `target` (an origin-form request-target) names, if any.
    public static func route(target: ArraySlice<UInt8>) -> AdminEndpoint? {
        let path = target.prefix { $0 != 0x3F } // up to '?'
        for endpoint in AdminEndpoint.allCases where endpoint != .denied {
            if path.elementsEqual(endpoint.rawValue.utf8) { return endpoint }
        }
        return nil
    }

    /// An answer: status, the complete response bytes, and for refusals the error reason.
    public struct Answer: Sendable {
        public var status: Int
        public var bytes: [UInt8]
        public var errorReason: String?
    }

    /// Builds the response to `endpoint` for a client (`isAdmin`: in `--admin-allow`).
    /// `headOnly` for HEAD; `close` adds `Connection: close`.
    public static func answer(_ endpoint: AdminEndpoint, method: String, isAdmin: Bool, engine: EngineContext, now: UInt64,
                              headOnly: Bool, close: Bool) -> Answer {
        guard isAdmin else {
            let page = ErrorPage.render(status: 403, detail: "Access denied: the admin endpoints only serve --admin-allow clients.",
                                        via: engine.config.viaName, close: close, headOnly: headOnly)
            return Answer(status: 403, bytes: page, errorReason: "admin_not_allowed")
        }
        guard method == "GET" || method == "HEAD" else {
            let page = ErrorPage.render(status: 405, detail: "The admin endpoints answer GET and HEAD only.",
                                        via: engine.config.viaName, close: close, extraFields: ["Allow: GET, HEAD"])
            return Answer(status: 405, bytes: page, errorReason: "admin_method_not_allowed")
        }
        let contentType: String
        let body: String
        var extra: [String] = []
        switch endpoint {
        case .stats, .denied:
            contentType = "application/json"
            body = StatsJSON.render(StatsSnapshot(engine: engine, now: now)) + "\n"
        case .dashboardData:
            contentType = "application/json"
            body = StatsJSON.render(StatsSnapshot(engine: engine, now: now), histogram: true) + "\n"
        case .metrics:
            contentType = PrometheusExposition.contentType
            body = PrometheusExposition.render(StatsSnapshot(engine: engine, now: now))
        case .dashboard:
            contentType = "text/html; charset=utf-8"
            body = Dashboard.html
            // Nothing may come from anywhere but this proxy (the page holds its own script and style).
            extra.append("Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'")
        }
        return Answer(status: 200, bytes: response(contentType: contentType, body: body, extraFields: extra, headOnly: headOnly, close: close),
                      errorReason: nil)
    }

    static func response(contentType: String, body: String, extraFields: [String], headOnly: Bool, close: Bool) -> [UInt8] {
        var head = "HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
        for field in extraFields { head += field + "\r\n" }
        head += close ? "Connection: close\r\n\r\n" : "\r\n"
        return Array((headOnly ? head : head + body).utf8)
    }
}
