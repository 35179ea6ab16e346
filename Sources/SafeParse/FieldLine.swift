/// Grammar of one field line (RFC 9112 §5, RFC 9110 §5.5):
/// `field-name ":" OWS field-value OWS`, the CRLF already removed by the caller.
enum FieldLine {
    /// Parses `bytes[line]` (no CRLF) into an entry whose ranges index `bytes`, moved by
    /// `shift` (from input to storage coordinates). The caller keeps every offset within 32 bits.
    @inline(__always)
    static func parse(_ bytes: Span<UInt8>, _ line: Range<Int>, shift: Int = 0) throws(ParseError) -> HeaderFields.Entry {
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
        @inline(__always) func stored(_ index: Int) -> UInt32 { UInt32(truncatingIfNeeded: index &+ shift) }
        return HeaderFields.Entry(
            nameStart: stored(line.lowerBound), nameEnd: stored(nameEnd),
            valueStart: stored(valueStart), valueEnd: stored(valueEnd),
            lineStart: stored(line.lowerBound), lineEnd: stored(end &+ 2))
    }
}
