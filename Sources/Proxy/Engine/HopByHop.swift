import SafeParse

/// Hop-by-hop fields (RFC 9110 §7.6.1): meaningful only for one connection, never forwarded.
/// `Transfer-Encoding` is also removed because the proxy re-frames every body itself, and
/// `Trailer` (end-to-end in RFC 9110 §6.6.2) because re-framing drops the trailer fields it
/// would announce.
enum HopByHop {
    static let fixedNames = [
        "connection", "proxy-connection", "keep-alive", "te", "upgrade",
        "proxy-authorization", "proxy-authenticate", "transfer-encoding", "trailer",
    ]

    /// Bit n set when a name in `fixedNames` is n bytes long (all are under 64): most fields
    /// are ruled out by their length alone.
    static let fixedLengths: UInt64 = fixedNames.reduce(0) { $0 | 1 << UInt64($1.utf8.count) }

    /// True when field `i` must not be forwarded: a fixed hop-by-hop name or one nominated by
    /// the message's Connection options.
    static func isHopByHop(_ fields: HeaderFields, _ i: Int, _ options: ConnectionOptions) -> Bool {
        let length = fields.nameRange(at: i).count
        if length < 64, fixedLengths & (1 << UInt64(length)) != 0 {
            for name in fixedNames where fields.name(at: i, is: name) { return true }
        }
        // Content-Length frames the body forwarded as is: a Connection option naming it must not
        // remove it, or the body would follow unframed (request smuggling, response desync).
        if fields.name(at: i, is: "content-length") { return false }
        return options.nominates(fields, at: i)
    }
}
