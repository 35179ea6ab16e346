import SafeParse

/// The hop-by-hop rules of RFC 9110 §7.6.1, written independently of the engine's
/// `HopByHop`, for checking what the proxy forwards in either direction.
enum HopByHopRules {
    /// Fields that never cross the proxy as received (Transfer-Encoding is handled apart:
    /// the proxy re-frames bodies and writes its own).
    static let fixedNames: Set<String> = [
        "connection", "proxy-connection", "keep-alive", "te", "upgrade",
        "proxy-authorization", "proxy-authenticate", "trailer",
    ]

    /// Field `i`'s name, lower-cased.
    static func name(_ fields: HeaderFields, _ i: Int) -> String {
        String(decoding: fields.name(at: i).map(Grammar.lowercased), as: UTF8.self)
    }

    /// Lower-cased names of all fields, in order.
    static func names(_ fields: HeaderFields) -> [String] {
        (0..<fields.count).map { name(fields, $0) }
    }

    /// The members of every Connection field, lower-cased, split on commas (no quoted-string:
    /// a connection-option is a token); nil when a member is not a token.
    static func connectionOptions(_ fields: HeaderFields) -> [String]? {
        var options: [String] = []
        for i in 0..<fields.count where name(fields, i) == "connection" {
            for member in fields.value(at: i).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                let trimmed = member.drop(while: Grammar.isWhitespace).reversed().drop(while: Grammar.isWhitespace).reversed()
                if trimmed.isEmpty { continue }
                guard trimmed.allSatisfy(Grammar.isTchar) else { return nil }
                options.append(String(decoding: trimmed.map(Grammar.lowercased), as: UTF8.self))
            }
        }
        return options
    }

    /// Names the Connection fields nominate (options other than close and keep-alive).
    static func nominated(_ fields: HeaderFields) -> Set<String>? {
        connectionOptions(fields).map { Set($0).subtracting(["close", "keep-alive"]) }
    }

    /// Field lines that must not be forwarded as received: fixed names, Transfer-Encoding and
    /// the nominated ones, except Content-Length, which frames a body forwarded as is.
    static func isDropped(_ name: String, nominated: Set<String>) -> Bool {
        fixedNames.contains(name) || name == "transfer-encoding" || isNominated(name, nominated)
    }

    /// `name` is nominated and must go (a nominated Content-Length stays: see `isDropped`).
    static func isNominated(_ name: String, _ nominated: Set<String>) -> Bool {
        nominated.contains(name) && name != "content-length"
    }

    /// The received-by of each Via member (RFC 9110 §7.6.3), lower-cased.
    static func viaReceivers(_ fields: HeaderFields) -> [String] {
        var result: [String] = []
        for i in 0..<fields.count where name(fields, i) == "via" {
            for member in fields.value(at: i).split(separator: UInt8(ascii: ",")) {
                let words = member.split(whereSeparator: Grammar.isWhitespace)
                if words.count >= 2 { result.append(String(decoding: words[1].map(Grammar.lowercased), as: UTF8.self)) }
            }
        }
        return result
    }
}
