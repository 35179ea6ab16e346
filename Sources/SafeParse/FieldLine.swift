extension HeaderFields.Entry {
    /// The same entry with every offset moved by `delta` (from input to storage coordinates).
    @inline(__always)
    func shifted(by delta: Int) -> HeaderFields.Entry {
        @inline(__always) func move(_ v: UInt32) -> UInt32 { UInt32(truncatingIfNeeded: Int(v) + delta) }
        return HeaderFields.Entry(nameStart: move(nameStart), nameEnd: move(nameEnd), valueStart: move(valueStart),
                                  valueEnd: move(valueEnd), lineStart: move(lineStart), lineEnd: move(lineEnd))
    }
}

/// Grammar of one field line (RFC 9112 §5, RFC 9110 §5.5):
/// `field-name ":" OWS field-value OWS`, the CRLF already removed by the caller.
enum FieldLine {
    /// Parses `bytes[line]` (no CRLF) into an entry whose ranges index `bytes`.
    static func parse(_ bytes: Span<UInt8>, _ line: Range<Int>) throws(ParseError) -> HeaderFields.Entry {
        var i = line.lowerBound
        let end = line.upperBound
        // RFC 9112 §5.2: a line starting with whitespace is obs-fold (or whitespace after the start line, §2.2).
        if i < end && ByteClass.isWhitespace(bytes[i]) { throw .obsoleteLineFolding }
        i = Scan.tokenEnd(in: bytes, i..<end)
        let nameEnd = i
        guard i < end else { throw .invalidFieldName } // no colon at all
        let stop = bytes[i]
        if stop != ByteClass.colon {
            // RFC 9112 §5.1: no whitespace is allowed between the field name and colon.
            if ByteClass.isWhitespace(stop) { throw .whitespaceBeforeColon }
            if stop == ByteClass.cr { throw .bareCR }  // RFC 9112 §2.2
            throw .invalidFieldName                      // RFC 9110 §5.1: field-name = token
        }
        guard nameEnd > line.lowerBound else { throw .invalidFieldName } // empty name
        i += 1
        while i < end && ByteClass.isWhitespace(bytes[i]) { i += 1 } // leading OWS
        let valueStart = i
        // RFC 9110 §5.5: field-value = *( VCHAR / obs-text / SP / HTAB ); CR, LF, NUL and CTLs are invalid.
        if let bad = Scan.firstInvalidFieldValueByte(in: bytes, valueStart..<end) {
            throw bytes[bad] == ByteClass.cr ? .bareCR : .invalidFieldValue
        }
        var valueEnd = end
        while valueEnd > valueStart && ByteClass.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 } // trailing OWS
        return HeaderFields.Entry(
            nameStart: UInt32(truncatingIfNeeded: line.lowerBound), nameEnd: UInt32(truncatingIfNeeded: nameEnd),
            valueStart: UInt32(truncatingIfNeeded: valueStart), valueEnd: UInt32(truncatingIfNeeded: valueEnd),
            lineStart: UInt32(truncatingIfNeeded: line.lowerBound), lineEnd: UInt32(truncatingIfNeeded: end + 2))
    }
}
