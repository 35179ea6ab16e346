import SafeParse

/// A message head the cache works on, as field lines over owned bytes: either fields parsed
/// by SafeParse (`RequestHead`/`ResponseHead`) or a response head the cache stored itself.
///
/// Stored heads are the cache's own output, but they come back from shared memory, so
/// `init?(storedHead:)` checks the shape (status line, `name: value` lines, final empty line)
/// and returns nil instead of trapping on anything else.
struct HeadView: Sendable {
    struct Field: Sendable, Hashable {
        var name: Range<Int>
        var value: Range<Int>
        /// The whole line, CRLF included.
        var line: Range<Int>
    }

    var bytes: [UInt8]
    var fields: [Field]
    /// The status line without its CRLF (empty for request views).
    var startLine: Range<Int>
    /// Status code of a response head (0 for request views).
    var status: Int

    init(_ headerFields: HeaderFields, status: Int = 0) {
        bytes = headerFields.bytes
        fields = (0..<headerFields.count).map {
            Field(name: headerFields.nameRange(at: $0), value: headerFields.valueRange(at: $0),
                  line: headerFields.lineRange(at: $0))
        }
        startLine = 0..<0
        self.status = status
    }

    init(_ head: ResponseHead) {
        self.init(head.fields, status: head.status)
        if let end = Self.lineEnd(bytes, from: 0) { startLine = 0..<end }
    }

    init(_ head: RequestHead) { self.init(head.fields) }

    /// Parses a complete response head: `HTTP/1.x SP 3DIGIT [SP reason] CRLF`, field lines,
    /// CRLF. Obsolete line folding and bare LF are not accepted (the cache never writes them).
    init?(storedHead bytes: [UInt8]) {
        guard let statusEnd = Self.lineEnd(bytes, from: 0), statusEnd >= 12 else { return nil }
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        guard Array(bytes[0..<7]) == prefix, CacheBytes.isDigit(bytes[7]), bytes[8] == CacheBytes.sp,
              CacheBytes.isDigit(bytes[9]), CacheBytes.isDigit(bytes[10]), CacheBytes.isDigit(bytes[11]),
              statusEnd == 12 || bytes[12] == CacheBytes.sp
        else { return nil }
        let status = Int(bytes[9] &- 0x30) * 100 + Int(bytes[10] &- 0x30) * 10 + Int(bytes[11] &- 0x30)
        guard status >= 100 else { return nil }
        var fields: [Field] = []
        var start = statusEnd + 2
        while true {
            guard let end = Self.lineEnd(bytes, from: start) else { return nil }
            if end == start { // the empty line ends the head, and nothing may follow it
                guard end + 2 == bytes.count else { return nil }
                break
            }
            var colon = start
            while colon < end && bytes[colon] != CacheBytes.colon { colon += 1 }
            guard colon > start, colon < end else { return nil }
            for i in start..<colon where !Self.isTokenByte(bytes[i]) { return nil }
            var a = colon + 1, z = end
            while a < z && CacheBytes.isWhitespace(bytes[a]) { a += 1 }
            while z > a && CacheBytes.isWhitespace(bytes[z - 1]) { z -= 1 }
            fields.append(Field(name: start..<colon, value: a..<z, line: start..<(end + 2)))
            start = end + 2
        }
        self.bytes = bytes
        self.fields = fields
        self.startLine = 0..<statusEnd
        self.status = status
    }

    /// Index of the CR of the next CRLF at or after `from`; nil when there is none, or when a
    /// lone CR or LF comes first.
    static func lineEnd(_ bytes: [UInt8], from: Int) -> Int? {
        var i = from
        while i < bytes.count {
            let b = bytes[i]
            if b == CacheBytes.cr { return i + 1 < bytes.count && bytes[i + 1] == CacheBytes.lf ? i : nil }
            if b == CacheBytes.lf || b == 0 { return nil }
            i += 1
        }
        return nil
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ b: UInt8) -> Bool {
        if CacheBytes.isDigit(b) || (b | 0x20) &- 0x61 < 26 { return true }
        return "!#$%&'*+-.^_`|~".utf8.contains(b)
    }

    func name(_ i: Int) -> ArraySlice<UInt8> { bytes[fields[i].name] }
    func value(_ i: Int) -> ArraySlice<UInt8> { bytes[fields[i].value] }
    func line(_ i: Int) -> ArraySlice<UInt8> { bytes[fields[i].line] }

    func isNamed(_ i: Int, _ lowercaseName: String) -> Bool {
        CacheBytes.equalsIgnoringCase(name(i), lowercaseName)
    }

    func indices(of lowercaseName: String) -> [Int] {
        fields.indices.filter { isNamed($0, lowercaseName) }
    }

    /// Value of the first field named `lowercaseName`.
    func first(_ lowercaseName: String) -> ArraySlice<UInt8>? {
        fields.indices.first { isNamed($0, lowercaseName) }.map { value($0) }
    }

    func contains(_ lowercaseName: String) -> Bool {
        fields.indices.contains { isNamed($0, lowercaseName) }
    }

    /// Values of every field named `lowercaseName`, in order.
    func values(of lowercaseName: String) -> [ArraySlice<UInt8>] {
        indices(of: lowercaseName).map { value($0) }
    }

    /// Every list member of every field named `lowercaseName`.
    func listMembers(of lowercaseName: String) -> [ArraySlice<UInt8>] {
        values(of: lowercaseName).flatMap { CacheBytes.listMembers($0) }
    }

    /// Cache-Control directives of every Cache-Control field (SafeParse's parser).
    func cacheControl() -> CacheControl {
        var result = CacheControl()
        let span = bytes.span
        for field in fields where CacheBytes.equalsIgnoringCase(bytes[field.name], "cache-control") {
            result.add(span, field.value)
        }
        return result
    }

    /// True when the head has a Pragma field listing `no-cache` (RFC 9111 §5.4).
    func pragmaNoCache() -> Bool {
        listMembers(of: "pragma").contains { CacheBytes.equalsIgnoringCase($0, "no-cache") }
    }

    /// An HTTP-date field, parsed; `.absent`, or `.invalid` when present but not a valid date.
    func date(_ lowercaseName: String) -> HTTPDateField {
        guard let value = first(lowercaseName) else { return .absent }
        if let seconds = HTTPDate.parse(value) { return .valid(seconds) }
        return .invalid
    }
}
