/// An entity-tag (RFC 9110 §8.8.3): `[ W/ ] DQUOTE *etagc DQUOTE`.
public struct EntityTag: Sendable, Hashable {
    /// True for a weak validator (`W/"…"`).
    public var isWeak: Bool
    /// The opaque tag with its quotes, e.g. `"xyzzy"`.
    public var opaqueTag: [UInt8]

    public init(isWeak: Bool, opaqueTag: [UInt8]) {
        self.isWeak = isWeak
        self.opaqueTag = opaqueTag
    }

    /// Parses exactly one entity-tag; nil for anything else.
    public init?(_ bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        var start = 0
        var weak = false
        if b.count >= 2 && b[0] == 0x57 && b[1] == 0x2F { weak = true; start = 2 } // W/
        guard b.count - start >= 2, b[start] == CacheBytes.dquote, b[b.count - 1] == CacheBytes.dquote else { return nil }
        for i in (start + 1)..<(b.count - 1) where !Self.isEtagc(b[i]) { return nil }
        isWeak = weak
        opaqueTag = Array(b[start...])
    }

    public init?(_ text: String) { self.init(Array(text.utf8)) }

    /// etagc = %x21 / %x23-7E / obs-text
    static func isEtagc(_ b: UInt8) -> Bool { b == 0x21 || (b >= 0x23 && b != 0x7F) }

    /// Weak comparison (§8.8.3.2): the opaque tags are equal; either may be weak.
    public func weaklyMatches(_ other: EntityTag) -> Bool { opaqueTag == other.opaqueTag }

    /// Strong comparison: both strong and the opaque tags equal.
    public func stronglyMatches(_ other: EntityTag) -> Bool { !isWeak && !other.isWeak && opaqueTag == other.opaqueTag }

    /// The value of an If-None-Match or If-Match field: `*`, or a list of entity-tags.
    public enum Condition: Sendable, Hashable {
        case any
        case tags([EntityTag])
    }

    /// Parses `"*" / #entity-tag` (RFC 9110 §13.1.1, §13.1.2); nil when malformed. Commas may
    /// appear inside an opaque tag, so the list is scanned tag by tag rather than split.
    public static func parseCondition(_ bytes: some Collection<UInt8>) -> Condition? {
        let b = Array(bytes)
        var i = 0
        func skipOWS() { while i < b.count && CacheBytes.isWhitespace(b[i]) { i += 1 } }
        skipOWS()
        if i < b.count && b[i] == 0x2A { // "*"
            i += 1
            skipOWS()
            return i == b.count ? .any : nil
        }
        var tags: [EntityTag] = []
        while true {
            while i < b.count && (CacheBytes.isWhitespace(b[i]) || b[i] == CacheBytes.comma) { i += 1 }
            if i == b.count { break }
            let start = i
            if i + 1 < b.count && b[i] == 0x57 && b[i + 1] == 0x2F { i += 2 }
            guard i < b.count, b[i] == CacheBytes.dquote else { return nil }
            i += 1
            while i < b.count && b[i] != CacheBytes.dquote {
                guard isEtagc(b[i]) else { return nil }
                i += 1
            }
            guard i < b.count else { return nil }
            i += 1
            guard let tag = EntityTag(b[start..<i]) else { return nil }
            tags.append(tag)
            skipOWS()
            guard i == b.count || b[i] == CacheBytes.comma else { return nil }
        }
        return tags.isEmpty ? nil : .tags(tags)
    }
}
