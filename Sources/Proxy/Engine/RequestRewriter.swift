import SafeParse

/// Builds the request head sent upstream (RFC 9110 §7.6, RFC 9112 §3.2.2):
///
/// - request line in origin-form with our own version: `METHOD /path?query HTTP/1.1`;
/// - `Host` set to the absolute URI's authority. A client Host that differs is replaced, as
///   RFC 9112 §3.2.2 requires of a proxy receiving absolute-form (the URI wins);
/// - hop-by-hop fields dropped (Connection and every field it names, Proxy-Connection,
///   Keep-Alive, TE, Upgrade, Proxy-Authorization, Proxy-Authenticate, Trailer);
///   `Transfer-Encoding` replaced by our own `chunked` when the body is chunked;
/// - a `Via: 1.1 <name>` line added after the client's fields;
/// - every other field line forwarded byte for byte.
enum RequestRewriter {
    static let versionAndHost = Array(" HTTP/1.1\r\nHost: ".utf8)
    static let chunkedField = Array("Transfer-Encoding: chunked\r\n".utf8)

    /// `viaLine` is the whole `Via: 1.1 <name>\r\n` line.
    static func upstreamHead(_ head: RequestHead, uri: AbsoluteURI, connection: ConnectionOptions, viaLine: [UInt8]) -> [UInt8] {
        let bytes = head.bytes
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        out.append(contentsOf: head.methodBytes)
        out.append(0x20)
        if uri.pathAndQuery.isEmpty || bytes[uri.pathAndQuery.lowerBound] != 0x2F { out.append(0x2F) }
        out.append(contentsOf: bytes[uri.pathAndQuery])
        out.append(contentsOf: versionAndHost)
        // The authority exactly as the URI gave it (validated by SafeParse: host and port only).
        let authorityStart = uri.schemeRange.upperBound + 3
        out.append(contentsOf: bytes[authorityStart..<uri.pathAndQuery.lowerBound])
        out.append(contentsOf: [0x0D, 0x0A])
        let fields = head.fields
        for i in 0..<fields.count {
            if fields.name(at: i, is: "host") || HopByHop.isHopByHop(fields, i, connection) { continue }
            out.append(contentsOf: fields.line(at: i))
        }
        if head.framing == .chunked { out.append(contentsOf: chunkedField) }
        out.append(contentsOf: viaLine)
        out.append(0x0D)
        out.append(0x0A)
        return out
    }
}
