/// Character classes of RFC 9110 and RFC 3986, as branch-light predicates over single bytes.
///
/// Each class that is not a simple range is a 128-bit mask split over two `UInt64`
/// literals (bit `b` set means byte `b` belongs to the class); bytes >= 0x80 are never in a mask.
enum ByteClass {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let dquote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F

    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static let tokenLow: UInt64 = 0x03ff_6cfa_0000_0000
    private static let tokenHigh: UInt64 = 0x57ff_ffff_c7ff_fffe
    // unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"   (RFC 3986 §2.3)
    private static let unreservedLow: UInt64 = 0x03ff_6000_0000_0000
    private static let unreservedHigh: UInt64 = 0x47ff_fffe_87ff_fffe

    @inline(__always)
    private static func inMask(_ b: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        if b < 64 { return (low >> UInt64(b)) & 1 == 1 }
        if b < 128 { return (high >> UInt64(b &- 64)) & 1 == 1 }
        return false
    }

    /// RFC 9110 §5.6.2: token characters.
    @inline(__always) static func isToken(_ b: UInt8) -> Bool { inMask(b, tokenLow, tokenHigh) }

    /// RFC 3986 §2.3: unreserved characters (the only ones we accept in a reg-name host).
    @inline(__always) static func isUnreserved(_ b: UInt8) -> Bool { inMask(b, unreservedLow, unreservedHigh) }

    /// RFC 9110 §5.5: field-vchar / SP / HTAB, i.e. VCHAR, obs-text, SP, HTAB. Excludes CTLs and DEL.
    @inline(__always) static func isFieldValueByte(_ b: UInt8) -> Bool {
        (b >= 0x20 && b != 0x7F) || b == htab
    }

    /// RFC 5234 VCHAR (0x21...0x7E): what a request-target may contain (RFC 9112 §3.2, no whitespace,
    /// no controls, no raw non-ASCII: clients percent-encode per RFC 3986 §2.1).
    @inline(__always) static func isTargetByte(_ b: UInt8) -> Bool { b >= 0x21 && b <= 0x7E }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

    /// Value of a hexadecimal digit, or nil (RFC 5234 HEXDIG, either case).
    @inline(__always) static func hexValue(_ b: UInt8) -> UInt64? {
        if b &- 0x30 < 10 { return UInt64(b &- 0x30) }
        let lower = b | 0x20
        if lower &- 0x61 < 6 { return UInt64(lower &- 0x61 &+ 10) }
        return nil
    }

    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// Class bits per byte value, for table-driven scans: bit 0 token, bit 1 unreserved.
    static let tokenBit: UInt8 = 1
    static let unreservedBit: UInt8 = 2
    /// A literal, so the optimizer initializes it statically (no lazy-initialization check per
    /// use); `ByteClassTests` checks it against `isToken` and `isUnreserved` for all 256 bytes.
    static let table: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 3, 3, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0,
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 1, 3,
        1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 1, 0, 3, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]

    @inline(__always) static func lowercased(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b
    }
}
