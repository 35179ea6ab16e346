/// Grammar of the status line (RFC 9112 §4): `HTTP-version SP status-code SP [ reason-phrase ]`.
/// Leniency: a missing SP after the status code ("HTTP/1.1 200") is accepted, because origins
/// send it and it cannot change framing; the reason-phrase is then empty.
struct StatusLine {
    var version: HTTPVersion
    var status: Int
    var reasonRange: Range<Int>

    static func parse(_ bytes: Span<UInt8>, _ line: Range<Int>) throws(ParseError) -> StatusLine {
        let start = line.lowerBound
        let end = line.upperBound
        guard end - start >= 12, bytes[start + 8] == ByteClass.sp else {
            for j in line where bytes[j] == ByteClass.cr { throw .bareCR }
            throw .invalidStatusLine
        }
        let version: HTTPVersion
        do { version = try HTTPVersion.parse(bytes, at: start) } catch .unsupportedVersion {
            throw .unsupportedVersion
        } catch {
            throw .invalidStatusLine
        }
        // status-code = 3DIGIT (RFC 9110 §15), 100...999
        let d0 = bytes[start + 9], d1 = bytes[start + 10], d2 = bytes[start + 11]
        guard ByteClass.isDigit(d0), ByteClass.isDigit(d1), ByteClass.isDigit(d2), d0 != 0x30 else {
            throw .invalidStatusLine
        }
        let status = Int(d0 &- 0x30) * 100 + Int(d1 &- 0x30) * 10 + Int(d2 &- 0x30)
        var reasonStart = start + 12
        if reasonStart < end {
            guard bytes[reasonStart] == ByteClass.sp else { throw .invalidStatusLine }
            reasonStart += 1
        }
        // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
        for i in reasonStart..<max(reasonStart, end) {
            let b = bytes[i]
            guard ByteClass.isFieldValueByte(b) else { throw b == ByteClass.cr ? .bareCR : .invalidStatusLine }
        }
        return StatusLine(version: version, status: status, reasonRange: reasonStart..<max(reasonStart, end))
    }
}
