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

    /// The usual case in one pass, straight from the input: a valid field line that starts at
    /// `start` and ends in CRLF before `scanEnd`. The value scan that checks its bytes also
    /// finds the CR, so the line needs no separate search for its LF. Returns the entry (as
    /// `parse` would make it) and the index after the LF, or nil for anything else (an empty
    /// line, an invalid or unfinished line), which the caller takes the general way: `parse`
    /// after the LF search reports the same errors in the same order as before.
    @inline(__always)
    static func parseComplete(_ bytes: Span<UInt8>, from start: Int, scanEnd: Int, shift: Int) -> (HeaderFields.Entry, next: Int)? {
        let nameEnd = Scan.tokenEnd(in: bytes, start..<scanEnd)
        guard nameEnd > start, nameEnd < scanEnd, bytes[nameEnd] == ByteClass.colon else { return nil }
        var i = nameEnd &+ 1
        while i < scanEnd && ByteClass.isWhitespace(bytes[i]) { i &+= 1 } // leading OWS
        let valueStart = i
        // Field-value bytes (RFC 9110 §5.5) run up to the line's CR; LF cannot occur before it.
        let cr = Scan.firstInvalidFieldValueByte(in: bytes, valueStart..<scanEnd) ?? scanEnd
        guard cr &+ 1 < scanEnd, bytes[cr] == ByteClass.cr, bytes[cr &+ 1] == ByteClass.lf else { return nil }
        var valueEnd = cr
        while valueEnd > valueStart && ByteClass.isWhitespace(bytes[valueEnd &- 1]) { valueEnd &-= 1 } // trailing OWS
        @inline(__always) func stored(_ index: Int) -> UInt32 { UInt32(truncatingIfNeeded: index &+ shift) }
        let entry = HeaderFields.Entry(
            nameStart: stored(start), nameEnd: stored(nameEnd),
            valueStart: stored(valueStart), valueEnd: stored(valueEnd),
            lineStart: stored(start), lineEnd: stored(cr &+ 2))
        return (entry, cr &+ 2)
    }
}
