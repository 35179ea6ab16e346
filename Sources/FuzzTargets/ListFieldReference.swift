import SafeParse

/// Reference models of the list-valued fields SafeParse interprets (Cache-Control, Connection,
/// Pragma), written from RFC 9110 §5.6 and RFC 9111 §5.2 without SafeParse's code, for the
/// `small-parsers` target to compare against. They take field values as the request parser
/// stores them (field-value bytes only: no CR, LF, NUL or other controls but HTAB).
enum ListFieldReference {
    /// `#element` members (RFC 9110 §5.6.1): split at commas outside quoted-strings (where a
    /// backslash escapes the next byte), OWS trimmed, empty members dropped.
    static func members(_ value: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        var quoted = false, escaped = false
        func flush() {
            let trimmed = current.drop(while: Grammar.isWhitespace).reversed().drop(while: Grammar.isWhitespace).reversed()
            if !trimmed.isEmpty { result.append(Array(trimmed)) }
            current = []
        }
        for b in value {
            if escaped { escaped = false; current.append(b); continue }
            if quoted && b == UInt8(ascii: "\\") { escaped = true; current.append(b); continue }
            if b == UInt8(ascii: "\"") { quoted.toggle() }
            if b == UInt8(ascii: ",") && !quoted { flush(); continue }
            current.append(b)
        }
        flush()
        return result
    }

    /// `token [ "=" ( token / quoted-string ) ]`: the lower-cased name and the argument (the
    /// quoted-string's content, escapes kept), or nil when the member is malformed.
    static func directive(_ member: [UInt8]) -> (name: String, argument: [UInt8]?)? {
        let nameEnd = member.firstIndex { !Grammar.isTchar($0) } ?? member.count
        guard nameEnd > 0 else { return nil }
        let name = String(decoding: member[..<nameEnd].map(Grammar.lowercased), as: UTF8.self)
        if nameEnd == member.count { return (name, nil) }
        guard member[nameEnd] == UInt8(ascii: "=") else { return nil }
        let rest = Array(member[(nameEnd + 1)...])
        guard let first = rest.first else { return nil }
        if first != UInt8(ascii: "\"") {
            return rest.allSatisfy(Grammar.isTchar) ? (name, rest) : nil
        }
        // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, ending the member
        var i = 1
        while i < rest.count {
            switch rest[i] {
            case UInt8(ascii: "\\"):
                guard i + 1 < rest.count else { return nil }
                i += 2
            case UInt8(ascii: "\""):
                return i == rest.count - 1 ? (name, Array(rest[1..<i])) : nil
            default:
                i += 1
            }
        }
        return nil
    }

    /// delta-seconds (RFC 9111 §1.2.2): 1*DIGIT, saturating at 2^31; anything else is 0.
    static func deltaSeconds(_ argument: [UInt8]?) -> UInt32 {
        guard let argument, !argument.isEmpty, argument.allSatisfy({ (0x30...0x39).contains($0) }) else { return 0 }
        var value: UInt64 = 0
        for digit in argument {
            value = min(value * 10 + UInt64(digit - 0x30), UInt64(CacheControl.maxDeltaSeconds))
        }
        return UInt32(value)
    }

    /// Cache-Control over field values in order: first occurrence of a valued directive wins,
    /// `max-stale` alone means any staleness, flags ignore their argument, unknown names are ignored.
    static func cacheControl(_ values: [[UInt8]]) -> CacheControl {
        var cc = CacheControl()
        for member in values.flatMap(members) {
            guard let (name, argument) = directive(member) else { cc.invalidMembers += 1; continue }
            switch name {
            case "max-age": cc.maxAge = cc.maxAge ?? deltaSeconds(argument)
            case "s-maxage": cc.sMaxAge = cc.sMaxAge ?? deltaSeconds(argument)
            case "max-stale": cc.maxStale = cc.maxStale ?? (argument == nil ? CacheControl.maxDeltaSeconds : deltaSeconds(argument))
            case "min-fresh": cc.minFresh = cc.minFresh ?? deltaSeconds(argument)
            case "stale-while-revalidate": cc.staleWhileRevalidate = cc.staleWhileRevalidate ?? deltaSeconds(argument)
            case "stale-if-error": cc.staleIfError = cc.staleIfError ?? deltaSeconds(argument)
            case "no-cache": cc.noCache = true
            case "no-store": cc.noStore = true
            case "no-transform": cc.noTransform = true
            case "only-if-cached": cc.onlyIfCached = true
            case "must-revalidate": cc.mustRevalidate = true
            case "proxy-revalidate": cc.proxyRevalidate = true
            case "must-understand": cc.mustUnderstand = true
            case "private": cc.isPrivate = true
            case "public": cc.isPublic = true
            case "immutable": cc.immutable = true
            default: break
            }
        }
        return cc
    }

    /// Connection options over field values: nil when a member is not a token; otherwise the
    /// flags and the other options lower-cased, each once, in order.
    static func connectionOptions(_ values: [[UInt8]]) -> ConnectionOptions? {
        var options = ConnectionOptions()
        for member in values.flatMap(members) {
            guard member.allSatisfy(Grammar.isTchar) else { return nil }
            let name = String(decoding: member.map(Grammar.lowercased), as: UTF8.self)
            switch name {
            case "close": options.close = true
            case "keep-alive": options.keepAlive = true
            default:
                if name == "upgrade" { options.upgrade = true }
                if !options.nominatedFields.contains(name) { options.nominatedFields.append(name) }
            }
        }
        return options
    }

    /// `Pragma: no-cache` (RFC 9111 §5.4): a member that is exactly `no-cache`, any case.
    static func pragmaNoCache(_ values: [[UInt8]]) -> Bool {
        values.flatMap(members).contains { Grammar.equalsIgnoringCase($0[...], "no-cache") }
    }
}
