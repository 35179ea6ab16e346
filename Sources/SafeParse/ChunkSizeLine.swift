/// Incremental grammar of one chunk-size line (RFC 9112 §7.1, §7.1.1), consumed byte by byte so
/// a line may be split anywhere without buffering it:
///
///     chunk-size [ chunk-ext ] CRLF
///     chunk-size = 1*HEXDIG
///     chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
///     chunk-ext-val = token / quoted-string
///
/// The size is accumulated overflow-checked; extensions are validated and discarded.
struct ChunkSizeLine {
    enum State {
        case size, sizeWhitespace
        case extNameStart, extName, extAfterName
        case extValueStart, extToken, extQuoted, extQuotedEscape, extAfterQuote, extAfterValue
        case lf
    }

    /// Most hex digits accepted, leading zeros included (16 significant digits is 2^64-1).
    static let maxDigits = 32

    var state = State.size
    var size: UInt64 = 0
    var digits = 0
    var extensionBytes = 0

    mutating func reset() { self = ChunkSizeLine() }

    /// Feeds one byte. Returns true when the line (its LF) is complete.
    @inline(__always)
    mutating func feed(_ b: UInt8, maxExtensionBytes: Int) throws(ParseError) -> Bool {
        // RFC 9112 §2.2: lines end in CRLF; a bare LF is rejected here as in the head (documented choice).
        if b == ByteClass.lf && state != .lf { throw .bareLF }
        if state != .size && state != .lf && b != ByteClass.cr {
            extensionBytes += 1
            if extensionBytes > maxExtensionBytes { throw .chunkExtensionTooLong }
        }
        switch state {
        case .size:
            if let v = ByteClass.hexValue(b) {
                digits += 1
                guard digits <= ChunkSizeLine.maxDigits else { throw .invalidChunkSize }
                let (shifted, o1) = size.multipliedReportingOverflow(by: 16)
                let (sum, o2) = shifted.addingReportingOverflow(v)
                if o1 || o2 { throw .chunkSizeOverflow }
                size = sum
                return false
            }
            guard digits > 0 else { throw .invalidChunkSize }
            switch b {
            case ByteClass.cr: state = .lf
            case ByteClass.semicolon: state = .extNameStart
            case ByteClass.sp, ByteClass.htab: state = .sizeWhitespace
            default: throw .invalidChunkSize
            }
            if state != .lf {
                extensionBytes = 1
                if extensionBytes > maxExtensionBytes { throw .chunkExtensionTooLong }
            }
        case .sizeWhitespace:
            if ByteClass.isWhitespace(b) { break }
            guard b == ByteClass.semicolon else { throw .invalidChunkExtension }
            state = .extNameStart
        case .extNameStart:
            if ByteClass.isWhitespace(b) { break }
            guard ByteClass.isToken(b) else { throw .invalidChunkExtension }
            state = .extName
        case .extName:
            if ByteClass.isToken(b) { break }
            switch b {
            case ByteClass.sp, ByteClass.htab: state = .extAfterName
            case ByteClass.equals: state = .extValueStart
            case ByteClass.semicolon: state = .extNameStart
            case ByteClass.cr: state = .lf
            default: throw .invalidChunkExtension
            }
        case .extAfterName:
            switch b {
            case ByteClass.sp, ByteClass.htab: break
            case ByteClass.equals: state = .extValueStart
            case ByteClass.semicolon: state = .extNameStart
            default: throw .invalidChunkExtension
            }
        case .extValueStart:
            if ByteClass.isWhitespace(b) { break }
            if b == ByteClass.dquote { state = .extQuoted; break }
            guard ByteClass.isToken(b) else { throw .invalidChunkExtension }
            state = .extToken
        case .extToken:
            if ByteClass.isToken(b) { break }
            switch b {
            case ByteClass.sp, ByteClass.htab: state = .extAfterValue
            case ByteClass.semicolon: state = .extNameStart
            case ByteClass.cr: state = .lf
            default: throw .invalidChunkExtension
            }
        case .extQuoted:
            // RFC 9110 §5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            switch b {
            case ByteClass.dquote: state = .extAfterQuote
            case ByteClass.backslash: state = .extQuotedEscape
            case ByteClass.htab, ByteClass.sp, 0x21, 0x23...0x5B, 0x5D...0x7E, 0x80...0xFF: break
            default: throw .invalidChunkExtension
            }
        case .extQuotedEscape:
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            guard b == ByteClass.htab || (b >= 0x20 && b != 0x7F) else { throw .invalidChunkExtension }
            state = .extQuoted
        case .extAfterQuote:
            switch b {
            case ByteClass.sp, ByteClass.htab: state = .extAfterValue
            case ByteClass.semicolon: state = .extNameStart
            case ByteClass.cr: state = .lf
            default: throw .invalidChunkExtension
            }
        case .extAfterValue:
            switch b {
            case ByteClass.sp, ByteClass.htab: break
            case ByteClass.semicolon: state = .extNameStart
            default: throw .invalidChunkExtension
            }
        case .lf:
            guard b == ByteClass.lf else { throw .bareCR }
            return true
        }
        return false
    }
}
