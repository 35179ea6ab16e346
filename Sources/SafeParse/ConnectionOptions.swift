/// The Connection header field (RFC 9110 §7.6.1): `Connection = #connection-option`, each
/// option a token. `close` and `keep-alive` control persistence; every other option names a
/// hop-by-hop field that a proxy must remove before forwarding.
public struct ConnectionOptions: Sendable, Hashable {
    public var close = false
    public var keepAlive = false
    public var upgrade = false
    /// Options other than close and keep-alive, lower-cased (field names to drop). Bounded by
    /// the head size; empty for the common `keep-alive` / `close` values, so no allocation then.
    public var nominatedFields: [String] = []

    public init() {}

    /// Collects the options of every field named `fieldName` (lower case) in `fields`.
    /// An option that is not a token is an error (`invalidConnectionOption`).
    public static func parse(_ fields: HeaderFields, fieldName: String = "connection") throws(ParseError) -> ConnectionOptions {
        var options = ConnectionOptions()
        let bytes = fields.bytes.span
        for i in 0..<fields.count where ASCII.equalsIgnoringCase(bytes, fields.nameRange(at: i), fieldName) {
            try options.add(bytes, fields.valueRange(at: i))
        }
        return options
    }

    /// Adds the options listed in `bytes[value]`.
    public mutating func add(_ bytes: Span<UInt8>, _ value: Range<Int>) throws(ParseError) {
        try FieldList.forEach(bytes, value) { (member: Range<Int>) throws(ParseError) in
            for j in member where !ByteClass.isToken(bytes[j]) { throw .invalidConnectionOption }
            if ASCII.equalsIgnoringCase(bytes, member, "close") {
                close = true
            } else if ASCII.equalsIgnoringCase(bytes, member, "keep-alive") {
                keepAlive = true
            } else {
                if ASCII.equalsIgnoringCase(bytes, member, "upgrade") { upgrade = true }
                var name: [UInt8] = []
                name.reserveCapacity(member.count)
                for j in member { name.append(ByteClass.lowercased(bytes[j])) }
                let text = String(decoding: name, as: UTF8.self)
                if !nominatedFields.contains(text) { nominatedFields.append(text) }
            }
        }
    }

    /// True when the field at `index` of `fields` is named by one of the options.
    public func nominates(_ fields: HeaderFields, at index: Int) -> Bool {
        let bytes = fields.bytes.span
        let name = fields.nameRange(at: index)
        for option in nominatedFields where ASCII.equalsIgnoringCase(bytes, name, option) { return true }
        return false
    }

    /// Whether the connection stays open after this message (RFC 9112 §9.3): HTTP/1.1 persists
    /// unless `close`; HTTP/1.0 persists only with `keep-alive` and no `close`.
    public func isPersistent(version: HTTPVersion) -> Bool {
        if close { return false }
        return version == .http11 || keepAlive
    }
}
