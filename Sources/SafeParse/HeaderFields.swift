/// The field lines of a message head or trailer section, as ranges into owned bytes.
///
/// `bytes` holds the raw lines exactly as received (CRLFs included); each field is a pair of
/// ranges into it: the name, and the value with leading and trailing whitespace removed.
/// Names keep their original case; lookups ignore ASCII case (RFC 9110 §5.1).
/// Storage is reused across messages by the parser, so parsing allocates nothing once warm.
public struct HeaderFields: Sendable {
    /// One field line: `name` and `value` index `bytes`. Offsets fit in 32 bits because heads
    /// are bounded by `Limits.maxHeadBytes`.
    @usableFromInline
    struct Entry: Sendable, Hashable {
        var nameStart: UInt32
        var nameEnd: UInt32
        var valueStart: UInt32
        var valueEnd: UInt32
        var lineStart: UInt32
        var lineEnd: UInt32
    }

    /// The raw bytes the ranges refer to (the whole head for a message head).
    public internal(set) var bytes: [UInt8]
    @usableFromInline var entries: [Entry]

    public init() {
        bytes = []
        entries = []
    }

    /// Number of field lines.
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Byte range of the name of field `i`.
    public func nameRange(at i: Int) -> Range<Int> {
        Int(entries[i].nameStart)..<Int(entries[i].nameEnd)
    }

    /// Byte range of the value of field `i`, without surrounding whitespace.
    public func valueRange(at i: Int) -> Range<Int> {
        Int(entries[i].valueStart)..<Int(entries[i].valueEnd)
    }

    /// Byte range of the whole line of field `i`, including its CRLF (for byte-exact forwarding).
    public func lineRange(at i: Int) -> Range<Int> {
        Int(entries[i].lineStart)..<Int(entries[i].lineEnd)
    }

    /// Name of field `i` as it was received.
    public func name(at i: Int) -> ArraySlice<UInt8> { bytes[nameRange(at: i)] }

    /// Value of field `i` without surrounding whitespace.
    public func value(at i: Int) -> ArraySlice<UInt8> { bytes[valueRange(at: i)] }

    /// The whole line of field `i`, CRLF included.
    public func line(at i: Int) -> ArraySlice<UInt8> { bytes[lineRange(at: i)] }

    /// True when field `i` is named `lowercaseName` (ASCII case-insensitive).
    public func name(at i: Int, is lowercaseName: String) -> Bool {
        ASCII.equalsIgnoringCase(bytes.span, nameRange(at: i), lowercaseName)
    }

    /// Index of the first field named `lowercaseName`, if any.
    public func firstIndex(of lowercaseName: String) -> Int? {
        let span = bytes.span
        for i in entries.indices where ASCII.equalsIgnoringCase(span, nameRange(at: i), lowercaseName) {
            return i
        }
        return nil
    }

    /// Indices of all fields named `lowercaseName`, in order.
    public func indices(of lowercaseName: String) -> [Int] {
        let span = bytes.span
        return entries.indices.filter { ASCII.equalsIgnoringCase(span, nameRange(at: $0), lowercaseName) }
    }

    /// Value of the first field named `lowercaseName`, decoded as UTF-8 (for tests and logs;
    /// the proxy's hot path works on bytes).
    public func firstValue(of lowercaseName: String) -> String? {
        firstIndex(of: lowercaseName).map { String(decoding: value(at: $0), as: UTF8.self) }
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }
}
