/// Cache-Control directives (RFC 9111 §5.2) of a request or a response, parsed from every
/// Cache-Control field of a head.
///
/// Parsing never fails: a cache must ignore what it does not understand (§5.2.3). A malformed
/// member is skipped and counted in `invalidMembers`; a freshness directive with an invalid
/// argument (`max-age=abc`) is recorded as 0, so the response is treated as stale (§4.2.1).
/// For repeated directives the first occurrence wins (§4.2.1). Delta-seconds that do not fit
/// saturate at 2^31 (§1.2.2). The qualified forms `no-cache="f"` and `private="f"` are treated
/// as their unqualified forms, the conservative reading for a shared cache.
public struct CacheControl: Sendable, Hashable {
    /// Largest delta-seconds value, RFC 9111 §1.2.2.
    public static let maxDeltaSeconds: UInt32 = 1 << 31

    // Both directions
    public var maxAge: UInt32?
    public var noCache = false
    public var noStore = false
    public var noTransform = false
    // Request directives (§5.2.1)
    /// `max-stale` with no argument is `maxDeltaSeconds` (any staleness is acceptable).
    public var maxStale: UInt32?
    public var minFresh: UInt32?
    public var onlyIfCached = false
    // Response directives (§5.2.2)
    public var sMaxAge: UInt32?
    public var mustRevalidate = false
    public var proxyRevalidate = false
    public var mustUnderstand = false
    public var isPrivate = false
    public var isPublic = false
    public var immutable = false
    // RFC 5861
    public var staleWhileRevalidate: UInt32?
    public var staleIfError: UInt32?
    /// Members that were not `token [ "=" ( token / quoted-string ) ]`.
    public var invalidMembers = 0

    public init() {}

    /// Directives from every Cache-Control field in `fields`.
    public static func parse(_ fields: HeaderFields) -> CacheControl {
        var result = CacheControl()
        let bytes = fields.bytes.span
        for i in 0..<fields.count where ASCII.equalsIgnoringCase(bytes, fields.nameRange(at: i), "cache-control") {
            result.add(bytes, fields.valueRange(at: i))
        }
        return result
    }

    /// True when a `Pragma: no-cache` is present (RFC 9111 §5.4; honoured for HTTP/1.0 clients
    /// when the request has no Cache-Control).
    public static func pragmaNoCache(_ fields: HeaderFields) -> Bool {
        let bytes = fields.bytes.span
        var found = false
        for i in 0..<fields.count where ASCII.equalsIgnoringCase(bytes, fields.nameRange(at: i), "pragma") {
            FieldList.forEach(bytes, fields.valueRange(at: i)) { member in
                if ASCII.equalsIgnoringCase(bytes, member, "no-cache") { found = true }
            }
        }
        return found
    }

    /// Adds the directives listed in `bytes[value]`.
    public mutating func add(_ bytes: Span<UInt8>, _ value: Range<Int>) {
        FieldList.forEach(bytes, value) { member in
            guard let (name, argument) = Self.split(bytes, member) else { invalidMembers += 1; return }
            apply(bytes, name: name, argument: argument)
        }
    }

    /// `token [ "=" ( token / quoted-string ) ]` → (name, argument without quotes), or nil.
    static func split(_ bytes: Span<UInt8>, _ member: Range<Int>) -> (Range<Int>, Range<Int>?)? {
        var i = member.lowerBound
        while i < member.upperBound && ByteClass.isToken(bytes[i]) { i += 1 }
        let name = member.lowerBound..<i
        guard !name.isEmpty else { return nil }
        if i == member.upperBound { return (name, nil) }
        guard bytes[i] == ByteClass.equals else { return nil }
        i += 1
        guard i < member.upperBound else { return nil }
        if bytes[i] == ByteClass.dquote {
            // quoted-string (RFC 9110 §5.6.4); must close exactly at the member's end
            var j = i + 1
            while j < member.upperBound {
                let b = bytes[j]
                if b == ByteClass.backslash { j += 2; continue }
                if b == ByteClass.dquote { break }
                guard b == ByteClass.htab || (b >= 0x20 && b != 0x7F) else { return nil }
                j += 1
            }
            guard j == member.upperBound - 1 else { return nil }
            return (name, (i + 1)..<j)
        }
        for j in i..<member.upperBound where !ByteClass.isToken(bytes[j]) { return nil }
        return (name, i..<member.upperBound)
    }

    /// delta-seconds = 1*DIGIT (§1.2.2), saturating; nil argument or non-digits give 0.
    static func deltaSeconds(_ bytes: Span<UInt8>, _ argument: Range<Int>?) -> UInt32 {
        guard let argument else { return 0 }
        switch ASCII.parseDecimal(bytes, argument) {
        case .value(let v): return v >= UInt64(maxDeltaSeconds) ? maxDeltaSeconds : UInt32(v)
        case .overflow: return maxDeltaSeconds
        case .invalid: return 0
        }
    }

    private mutating func apply(_ bytes: Span<UInt8>, name: Range<Int>, argument: Range<Int>?) {
        @inline(__always) func named(_ directive: String) -> Bool { ASCII.equalsIgnoringCase(bytes, name, directive) }
        if named("max-age") { if maxAge == nil { maxAge = Self.deltaSeconds(bytes, argument) } }
        else if named("s-maxage") { if sMaxAge == nil { sMaxAge = Self.deltaSeconds(bytes, argument) } }
        else if named("no-cache") { noCache = true }
        else if named("no-store") { noStore = true }
        else if named("no-transform") { noTransform = true }
        else if named("max-stale") {
            if maxStale == nil { maxStale = argument == nil ? Self.maxDeltaSeconds : Self.deltaSeconds(bytes, argument) }
        }
        else if named("min-fresh") { if minFresh == nil { minFresh = Self.deltaSeconds(bytes, argument) } }
        else if named("only-if-cached") { onlyIfCached = true }
        else if named("must-revalidate") { mustRevalidate = true }
        else if named("proxy-revalidate") { proxyRevalidate = true }
        else if named("must-understand") { mustUnderstand = true }
        else if named("private") { isPrivate = true }
        else if named("public") { isPublic = true }
        else if named("immutable") { immutable = true }
        else if named("stale-while-revalidate") {
            if staleWhileRevalidate == nil { staleWhileRevalidate = Self.deltaSeconds(bytes, argument) }
        }
        else if named("stale-if-error") { if staleIfError == nil { staleIfError = Self.deltaSeconds(bytes, argument) } }
        // Unknown directives are ignored (§5.2.3).
    }
}
