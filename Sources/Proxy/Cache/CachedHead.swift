public import SafeParse

/// The `X-Proxy-Cache` value of an answer (the same words as the `cache=` log field and the
/// ProxyStats cache counters).
public enum CacheStatus: String, Sendable, Hashable, CaseIterable {
    /// Served fresh from the cache.
    case hit = "HIT"
    /// Served from the cache after the origin answered 304.
    case revalidated = "REVALIDATED"
    /// Served stale (origin unreachable, max-stale, stale-while-revalidate).
    case stale = "STALE"
    /// Looked up, not usable, fetched from the origin.
    case miss = "MISS"
    /// Not cacheable: passed through.
    case bypass = "BYPASS"
}

/// Response heads to and from the store.
public enum CachedHead {
    /// The head to store for `response`: `HTTP/1.1 <status> <reason>`, the end-to-end field
    /// lines byte for byte (hop-by-hop fields, Transfer-Encoding, and our X-Proxy-Cache
    /// removed, as `ResponseRewriter` removes them), the empty line. Content-Length is kept
    /// when the origin sent one; the framing for each client is the lead's, from the stored
    /// body's size. With `responseTime`, a response without Date gets one from it (RFC 9110
    /// §6.6.1: a cache records when it received a response that has none).
    public static func storable(_ response: ResponseHead, responseTime: Int64? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(response.bytes.count)
        ResponseRewriter.appendStatusLine(response, to: &out)
        let fields = response.fields
        let connection = (try? ConnectionOptions.parse(fields)) ?? ConnectionOptions()
        for i in 0..<fields.count {
            if HopByHop.isHopByHop(fields, i, connection) || fields.name(at: i, is: "x-proxy-cache") { continue }
            out.append(contentsOf: fields.line(at: i))
        }
        if let responseTime, fields.firstIndex(of: "date") == nil {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: HTTPDate.format(responseTime))
            out.append(contentsOf: CacheBytes.crlf)
        }
        out.append(contentsOf: CacheBytes.crlf)
        return out
    }

    /// A stored head made ready to send: every Age field replaced by one `Age: <age>` (at the
    /// place of the first, else after the last field), any X-Proxy-Cache replaced by
    /// `X-Proxy-Cache: <status>` at the end, then `extraLines` (e.g. the lead's Via,
    /// Connection and framing lines, each ending in CRLF), then the empty line. nil when the
    /// stored head cannot be read. Age is clamped to 0...2^31 (RFC 9111 §5.1).
    public static func forSending(_ storedHead: [UInt8], age: Int64, cacheStatus: CacheStatus, extraLines: [UInt8] = []) -> [UInt8]? {
        guard let view = HeadView(storedHead: storedHead) else { return nil }
        let ageLine = Array("Age: ".utf8) + CacheBytes.decimalText(min(max(age, 0), CacheControlLimits.maxDeltaSeconds)) + CacheBytes.crlf
        var out: [UInt8] = []
        out.reserveCapacity(storedHead.count + 48 + extraLines.count)
        out.append(contentsOf: view.bytes[view.startLine])
        out.append(contentsOf: CacheBytes.crlf)
        var ageWritten = false
        for i in view.fields.indices {
            if view.isNamed(i, "age") {
                if !ageWritten { out.append(contentsOf: ageLine); ageWritten = true }
                continue
            }
            if view.isNamed(i, "x-proxy-cache") { continue }
            out.append(contentsOf: view.line(i))
        }
        if !ageWritten { out.append(contentsOf: ageLine) }
        out.append(contentsOf: "X-Proxy-Cache: \(cacheStatus.rawValue)\r\n".utf8)
        out.append(contentsOf: extraLines)
        out.append(contentsOf: CacheBytes.crlf)
        return out
    }
}
