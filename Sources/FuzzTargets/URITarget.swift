import SafeParse

// FROZEN INPUT ENCODING of the `uri` target (see MessageOptions.swift for why it is frozen):
//
//     byte 0  margins: bits 4-7 = P, bits 0-3 = S (0...15 each)
//     byte 1...  the payload, parsed as a URI
//
// The payload is parsed alone (the span is exactly the payload) and again embedded between
// P and S filler bytes (`"@:]/#?9["` repeated, bytes that would change the answer if the
// parser read them), with the range covering the payload only. Empty inputs are skipped.

/// Fuzz target `uri`: `AbsoluteURI.parse` and `Authority.parse` (with and without
/// `requirePort`) on arbitrary bytes.
///
/// Invariants: the parse reads only its range (the embedded parse gives the same answer,
/// shifted); accepted results are well-formed (ranges nested in the input, grammar of each
/// part); an absolute URI's authority is what `Authority.parse` gives for it; `requirePort`
/// only adds "a port is present"; normalized forms parse again to the same normalized form;
/// errors are the documented URI errors.
public enum URITarget {
    public static func run(_ data: [UInt8]) {
        trap(on: check(data))
    }

    static let filler = Array("@:]/#?9[".utf8)
    static let authorityErrors: Set<ParseError> = [.invalidHost, .invalidPort, .userinfoInURI]
    static let uriErrors: Set<ParseError> = authorityErrors.union([.invalidRequestTarget])

    public static func check(_ data: [UInt8]) -> InvariantViolation? {
        guard let margins = data.first else { return nil }
        let payload = Array(data.dropFirst())
        let before = Int(margins >> 4), after = Int(margins & 0x0F)
        let embedded = (0..<before).map { filler[$0 % filler.count] } + payload
            + (0..<after).map { filler[$0 % filler.count] }
        let range = 0..<payload.count
        let shifted = before..<(before + payload.count)
        do throws(InvariantViolation) {
            var lenient: Authority?
            for requirePort in [false, true] {
                let alone = parseAuthority(payload, range, requirePort: requirePort)
                let inside = parseAuthority(embedded, shifted, requirePort: requirePort)
                switch (alone, inside) {
                case (.success(let a), .success(let b)):
                    try require(same(a, b, shift: before), "Authority.parse reads outside its range")
                    try checkAuthority(a, payload.span, range, requirePort: requirePort)
                    try checkNormalizedAuthority(a, payload)
                    if requirePort {
                        try require(lenient.map { same($0, a, shift: 0) } ?? false, "requirePort accepted what the default rejected")
                    } else {
                        lenient = a
                    }
                case (.failure(let e), .failure(let f)):
                    try require(e == f, "Authority.parse reads outside its range: \(e) vs \(f)")
                    try require(authorityErrors.contains(e), "Authority.parse threw \(e)")
                    if requirePort, let lenient {
                        try require(lenient.port == nil, "requirePort rejected an authority with a port: \(e)")
                    }
                default:
                    throw InvariantViolation("Authority.parse reads outside its range: \(alone) vs \(inside)")
                }
            }

            let alone = parseURI(payload, range)
            let inside = parseURI(embedded, shifted)
            switch (alone, inside) {
            case (.success(let u), .success(let v)):
                try require(u.scheme == v.scheme && shift(u.schemeRange, before) == v.schemeRange
                                && shift(u.pathAndQuery, before) == v.pathAndQuery && same(u.authority, v.authority, shift: before),
                            "AbsoluteURI.parse reads outside its range")
                try checkAbsoluteURI(u, payload.span, range)
                try checkNormalizedURI(u, payload)
            case (.failure(let e), .failure(let f)):
                try require(e == f, "AbsoluteURI.parse reads outside its range: \(e) vs \(f)")
                try require(uriErrors.contains(e), "AbsoluteURI.parse threw \(e)")
            default:
                throw InvariantViolation("AbsoluteURI.parse reads outside its range: \(alone) vs \(inside)")
            }
            return nil
        } catch {
            return error
        }
    }

    static func parseAuthority(_ bytes: [UInt8], _ range: Range<Int>, requirePort: Bool) -> Result<Authority, ParseError> {
        do throws(ParseError) {
            return .success(try Authority.parse(bytes.span, range, requirePort: requirePort))
        } catch {
            return .failure(error)
        }
    }

    static func parseURI(_ bytes: [UInt8], _ range: Range<Int>) -> Result<AbsoluteURI, ParseError> {
        do throws(ParseError) {
            return .success(try AbsoluteURI.parse(bytes.span, range))
        } catch {
            return .failure(error)
        }
    }

    static func shift(_ r: Range<Int>, _ by: Int) -> Range<Int> { (r.lowerBound + by)..<(r.upperBound + by) }

    static func same(_ a: Authority, _ b: Authority, shift by: Int) -> Bool {
        shift(a.host, by) == b.host && a.port == b.port && a.isIPv6Literal == b.isIPv6Literal
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    static func isIPv6Byte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
             UInt8(ascii: "A")...UInt8(ascii: "F"), UInt8(ascii: ":"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    /// An accepted `uri-host [":" port]` in `bytes[range]`.
    static func checkAuthority(_ a: Authority, _ bytes: Span<UInt8>, _ range: Range<Int>, requirePort: Bool) throws(InvariantViolation) {
        let h = a.host
        try require(!h.isEmpty && h.count <= Authority.maxHostBytes, "host of \(h.count) bytes")
        for i in range {
            try require(bytes[i] != UInt8(ascii: "@"), "authority with userinfo accepted")
        }
        var rest: Int
        if a.isIPv6Literal {
            try require(h.lowerBound == range.lowerBound + 1 && h.upperBound < range.upperBound
                            && bytes[range.lowerBound] == UInt8(ascii: "[") && bytes[h.upperBound] == UInt8(ascii: "]"),
                        "IPv6 host \(h) not in brackets at the start of \(range)")
            for i in h { try require(isIPv6Byte(bytes[i]), "IPv6 host holds other bytes") }
            rest = h.upperBound + 1
        } else {
            try require(h.lowerBound == range.lowerBound && h.upperBound <= range.upperBound, "host \(h) not at the start of \(range)")
            for i in h { try require(isUnreserved(bytes[i]), "reg-name host holds a reserved byte") }
            rest = h.upperBound
        }
        if rest == range.upperBound {
            try require(a.port == nil, "port without digits")
        } else {
            try require(bytes[rest] == UInt8(ascii: ":"), "host not followed by ':'")
            var value = 0
            for i in (rest + 1)..<range.upperBound {
                let b = bytes[i]
                try require(b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"), "port holds a non-digit")
                value = min(value * 10 + Int(b - UInt8(ascii: "0")), 1_000_000)
            }
            if rest + 1 == range.upperBound {
                try require(a.port == nil, "empty port gave \(String(describing: a.port))")
            } else {
                try require(a.port.map(Int.init) == value && (1...65535).contains(value), "port \(String(describing: a.port)) for digits \(value)")
            }
        }
        if requirePort { try require(a.port != nil, "requirePort accepted no port") }
    }

    /// An accepted `scheme "://" authority path-abempty ["?" query]` in `bytes[range]`.
    static func checkAbsoluteURI(_ u: AbsoluteURI, _ bytes: Span<UInt8>, _ range: Range<Int>) throws(InvariantViolation) {
        let s = u.schemeRange, p = u.pathAndQuery
        try require(s.lowerBound == range.lowerBound && !s.isEmpty && s.upperBound + 3 <= p.lowerBound
                        && p.upperBound == range.upperBound, "scheme \(s) and path \(p) in \(range)")
        let first = bytes[s.lowerBound] | 0x20
        try require(first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z"), "scheme does not start with a letter")
        var scheme: [UInt8] = []
        for i in s {
            let b = bytes[i]
            try require(isUnreserved(b) && b != UInt8(ascii: "_") && b != UInt8(ascii: "~") || b == UInt8(ascii: "+"),
                        "invalid byte in scheme")
            scheme.append(Grammar.lowercased(b))
        }
        let expected: AbsoluteURI.Scheme = scheme == Array("http".utf8) ? .http : scheme == Array("https".utf8) ? .https : .other
        try require(u.scheme == expected, "scheme \(u.scheme) for its bytes")
        try require(bytes[s.upperBound] == UInt8(ascii: ":") && bytes[s.upperBound + 1] == UInt8(ascii: "/")
                        && bytes[s.upperBound + 2] == UInt8(ascii: "/"), "no :// after the scheme")
        let authority = (s.upperBound + 3)..<p.lowerBound
        for i in authority {
            try require(bytes[i] != UInt8(ascii: "/") && bytes[i] != UInt8(ascii: "?"), "authority holds '/' or '?'")
        }
        try checkAuthority(u.authority, bytes, authority, requirePort: false)
        let again: Authority
        do throws(ParseError) {
            again = try Authority.parse(bytes, authority)
        } catch {
            throw InvariantViolation("Authority.parse rejects a URI's authority: \(error)")
        }
        try require(same(again, u.authority, shift: 0), "URI authority differs from Authority.parse")
        if let start = p.first {
            try require(bytes[start] == UInt8(ascii: "/") || bytes[start] == UInt8(ascii: "?"), "path starts with another byte")
        }
        for i in p { try require(bytes[i] != UInt8(ascii: "#"), "fragment accepted") }
    }

    /// The normalized authority parses again, to itself.
    static func checkNormalizedAuthority(_ a: Authority, _ payload: [UInt8]) throws(InvariantViolation) {
        let text = a.normalized(in: payload.span, defaultPort: 80)
        let bytes = Array(text.utf8)
        switch parseAuthority(bytes, 0..<bytes.count, requirePort: false) {
        case .success(let again):
            let twice = again.normalized(in: bytes.span, defaultPort: 80)
            try require(twice == text, "normalized authority \(text) normalizes to \(twice)")
            try require(again.port == (a.port == 80 ? nil : a.port) && again.isIPv6Literal == a.isIPv6Literal,
                        "normalized authority \(text) changes port or kind")
        case .failure(let error):
            throw InvariantViolation("normalized authority \(text) rejected: \(error)")
        }
        let host = a.normalizedHost(in: payload.span)
        try require(Array(host.utf8) == payload[a.host].map(Grammar.lowercased), "normalizedHost is not the lower-cased host")
    }

    /// The normalized URI parses again, to itself.
    static func checkNormalizedURI(_ u: AbsoluteURI, _ payload: [UInt8]) throws(InvariantViolation) {
        let text = u.normalized(in: payload.span)
        let bytes = Array(text.utf8)
        switch parseURI(bytes, 0..<bytes.count) {
        case .success(let again):
            let twice = again.normalized(in: bytes.span)
            try require(twice == text, "normalized URI \(text) normalizes to \(twice)")
            try require(again.scheme == u.scheme, "normalized URI \(text) changes scheme")
        case .failure(let error):
            throw InvariantViolation("normalized URI \(text) rejected: \(error)")
        }
    }
}
