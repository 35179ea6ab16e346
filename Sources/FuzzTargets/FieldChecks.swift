import SafeParse

// Grammar checks on what the parser accepted, written independently of SafeParse's own
// character tables (RFC 9110 §5.6.2, §5.5; RFC 9112 §2.2), so a bug there shows up here.

enum Grammar {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static func isTchar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// field-vchar / SP / HTAB (obs-text included); no CTLs, no DEL.
    static func isFieldValueByte(_ b: UInt8) -> Bool { b == htab || (b >= 0x20 && b != 0x7F) }

    static func lowercased(_ b: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) ? b | 0x20 : b
    }

    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ word: String) -> Bool {
        bytes.count == word.utf8.count && zip(bytes, word.utf8).allSatisfy { lowercased($0) == $1 }
    }

    static func endsWithCRLF(_ bytes: [UInt8], at end: Int) -> Bool {
        end >= 2 && end <= bytes.count && bytes[end - 2] == cr && bytes[end - 1] == lf
    }

    static func versionBytes(_ version: HTTPVersion) -> [UInt8] {
        switch version {
        case .http10: Array("HTTP/1.0".utf8)
        case .http11: Array("HTTP/1.1".utf8)
        }
    }
}

extension FieldsSummary {
    /// Summarizes and checks a field section: its lines are consecutive from `start`, each a
    /// well-formed `name ":" OWS value OWS CRLF` no longer than `lineLimit`, and the section
    /// ends with the empty line right after the last one (when `isComplete`).
    init(_ fields: HeaderFields, start: Int, lineLimit: Int, isComplete: Bool, what: String) throws(InvariantViolation) {
        let bytes = fields.bytes
        var summaries: [FieldSummary] = []
        summaries.reserveCapacity(fields.count)
        var next = start
        for i in 0..<fields.count {
            let line = fields.lineRange(at: i), name = fields.nameRange(at: i), value = fields.valueRange(at: i)
            try require(line.lowerBound == next && line.upperBound <= bytes.count,
                        "\(what) field \(i): line \(line) not at \(next) within \(bytes.count) bytes")
            try require(line.count <= lineLimit, "\(what) field \(i): line of \(line.count) bytes over limit \(lineLimit)")
            try require(Grammar.endsWithCRLF(bytes, at: line.upperBound), "\(what) field \(i): line does not end in CRLF")
            let content = line.lowerBound..<(line.upperBound - 2)
            try require(name.lowerBound == line.lowerBound && !name.isEmpty && name.upperBound < content.upperBound,
                        "\(what) field \(i): name \(name) misplaced in line \(line)")
            try require(bytes[name].allSatisfy(Grammar.isTchar), "\(what) field \(i): name is not a token")
            try require(bytes[name.upperBound] == UInt8(ascii: ":"), "\(what) field \(i): no colon after name")
            try require(value.lowerBound > name.upperBound && value.lowerBound <= value.upperBound
                            && value.upperBound <= content.upperBound,
                        "\(what) field \(i): value \(value) misplaced in line \(line)")
            try require(bytes[(name.upperBound + 1)..<value.lowerBound].allSatisfy(Grammar.isWhitespace)
                            && bytes[value.upperBound..<content.upperBound].allSatisfy(Grammar.isWhitespace),
                        "\(what) field \(i): value range leaves non-whitespace out")
            try require(bytes[value].allSatisfy(Grammar.isFieldValueByte), "\(what) field \(i): invalid byte in value")
            if let first = bytes[value].first, let last = bytes[value].last {
                try require(!Grammar.isWhitespace(first) && !Grammar.isWhitespace(last),
                            "\(what) field \(i): value keeps surrounding whitespace")
            }
            summaries.append(FieldSummary(name: name, value: value, line: line))
            next = line.upperBound
        }
        if isComplete {
            try require(bytes.count == next + 2 && Grammar.endsWithCRLF(bytes, at: bytes.count),
                        "\(what): \(bytes.count) bytes, but the fields end at \(next) and no single CRLF follows")
        }
        self.init(bytes: bytes, fields: summaries)
    }

    /// The field lines as name and value bytes (what survives re-serialization).
    var namesAndValues: [[UInt8]] {
        fields.flatMap { [Array(bytes[$0.name]), Array(bytes[$0.value])] }
    }

    /// `name: value\r\n` per field.
    var serialized: [UInt8] {
        var out: [UInt8] = []
        for f in fields {
            out += bytes[f.name]
            out += [UInt8(ascii: ":"), Grammar.sp]
            out += bytes[f.value]
            out += [Grammar.cr, Grammar.lf]
        }
        return out
    }

    func indices(named lowercaseName: String) -> [Int] {
        fields.indices.filter { Grammar.equalsIgnoringCase(bytes[fields[$0].name], lowercaseName) }
    }
}
