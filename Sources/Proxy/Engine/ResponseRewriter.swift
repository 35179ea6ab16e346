import SafeParse

/// Builds the response head sent to the client: our own version in the status line (RFC 9110
/// §6.2), hop-by-hop fields removed, the body re-framed for this client, `Via` added, and
/// every other field line byte for byte.
enum ResponseRewriter {
    static let connectionClose = Array("Connection: close\r\n".utf8)
    static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
    /// `X-Proxy-Cache: <status>` and the empty line ending the head, per status (built once).
    static let cacheStatusAndEnd: [CacheStatus: [UInt8]] = Dictionary(uniqueKeysWithValues: CacheStatus.allCases.map {
        ($0, Array("X-Proxy-Cache: \($0.rawValue)\r\n\r\n".utf8))
    })

    /// `viaLine` is the whole `Via: 1.1 <name>\r\n` line.
    static func clientHead(_ head: ResponseHead, connection: ConnectionOptions, framing: ConnectionMachine.ClientFraming,
                           clientVersion: HTTPVersion, keepAlive: Bool, viaLine: [UInt8],
                           cacheStatus: CacheStatus = .bypass) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.bytes.count + 96)
        appendStatusLine(head, to: &out)
        let fields = head.fields
        for i in 0..<fields.count {
            if HopByHop.isHopByHop(fields, i, connection) { continue }
            if framing == .chunked || framing == .closeDelimited, fields.name(at: i, is: "content-length") { continue }
            out.append(contentsOf: fields.line(at: i))
        }
        if framing == .chunked { out.append(contentsOf: RequestRewriter.chunkedField) }
        out.append(contentsOf: viaLine)
        if !keepAlive {
            out.append(contentsOf: connectionClose)
        } else if clientVersion == .http10 {
            out.append(contentsOf: connectionKeepAlive)
        }
        out.append(contentsOf: cacheStatusAndEnd[cacheStatus] ?? [])
        return out
    }

    /// A 1xx head for an HTTP/1.1 client (hop-by-hop fields removed).
    static func interimHead(_ head: ResponseHead) -> [UInt8] {
        var out: [UInt8] = []
        appendStatusLine(head, to: &out)
        let connection = (try? ConnectionOptions.parse(head.fields)) ?? ConnectionOptions()
        for i in 0..<head.fields.count where !HopByHop.isHopByHop(head.fields, i, connection) {
            out.append(contentsOf: head.fields.line(at: i))
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    static let version = Array("HTTP/1.1 ".utf8)

    /// `HTTP/1.1 <status> <reason>\r\n` (status is three digits: SafeParse checked it).
    static func appendStatusLine(_ head: ResponseHead, to out: inout [UInt8]) {
        out.append(contentsOf: version)
        let status = head.status
        out.append(UInt8(truncatingIfNeeded: 0x30 + status / 100 % 10))
        out.append(UInt8(truncatingIfNeeded: 0x30 + status / 10 % 10))
        out.append(UInt8(truncatingIfNeeded: 0x30 + status % 10))
        out.append(0x20)
        out.append(contentsOf: head.reasonBytes)
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// True unless the response's Transfer-Encoding lists a coding other than chunked, which
    /// this proxy does not re-frame (answered 502 instead of corrupting the body).
    static func hasOnlyChunkedCoding(_ head: ResponseHead) -> Bool {
        for i in head.fields.indices(of: "transfer-encoding") {
            for member in head.fields.value(at: i).split(separator: 0x2C) {
                let trimmed = member.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
                if trimmed.isEmpty { continue }
                if String(decoding: trimmed, as: UTF8.self).lowercased() != "chunked" { return false }
            }
        }
        return true
    }
}
