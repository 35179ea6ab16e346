/// Byte helpers for the cache policy: case-insensitive names, trimming, list members and
/// numbers, over `[UInt8]` and its slices. SafeParse keeps its own helpers internal; these are
/// the few the policy needs, written for owned bytes (heads the cache stores and rebuilds).
enum CacheBytes {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let dquote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let crlf: [UInt8] = [0x0D, 0x0A]

    @inline(__always) static func lowercased(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
    @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// True when `bytes` equals `lowercaseWord` ignoring ASCII case (`lowercaseWord` is lower case).
    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercaseWord: String) -> Bool {
        let word = lowercaseWord.utf8
        guard word.count == bytes.count else { return false }
        var i = bytes.startIndex
        for b in word {
            guard lowercased(bytes[i]) == b else { return false }
            i += 1
        }
        return true
    }

    /// True when two byte strings are equal ignoring ASCII case.
    static func equalsIgnoringCase(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { lowercased($0) == lowercased($1) }
    }

    static func lowercased(_ bytes: ArraySlice<UInt8>) -> [UInt8] { bytes.map(lowercased) }

    /// Appends the decimal digits of `value` (>= 0; a negative value appends "0"), without
    /// going through a String: for Age and Content-Length on every hit.
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        guard value > 0 else { bytes.append(0x30); return }
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(0x30 + UInt8(truncatingIfNeeded: rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// `bytes` without leading and trailing SP / HTAB.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var a = bytes.startIndex, z = bytes.endIndex
        while a < z && isWhitespace(bytes[a]) { a += 1 }
        while z > a && isWhitespace(bytes[z - 1]) { z -= 1 }
        return bytes[a..<z]
    }

    /// The non-empty, trimmed members of a list-valued field (RFC 9110 §5.6.1): commas split,
    /// except inside a quoted-string.
    static func listMembers(_ value: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var members: [ArraySlice<UInt8>] = []
        var start = value.startIndex
        var i = value.startIndex
        var inQuotes = false
        while i < value.endIndex {
            let b = value[i]
            if inQuotes {
                if b == backslash { i += 2; continue }
                if b == dquote { inQuotes = false }
            } else if b == dquote {
                inQuotes = true
            } else if b == comma {
                let member = trimmed(value[start..<i])
                if !member.isEmpty { members.append(member) }
                start = i + 1
            }
            i += 1
        }
        let last = trimmed(value[min(start, value.endIndex)..<value.endIndex])
        if !last.isEmpty { members.append(last) }
        return members
    }

    /// `1*DIGIT` as a non-negative number, saturating at `cap`; nil for anything else.
    static func decimal(_ bytes: ArraySlice<UInt8>, cap: Int64 = Int64(CacheControlLimits.maxDeltaSeconds)) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        for b in bytes {
            guard isDigit(b) else { return nil }
            if value < cap { value = value * 10 + Int64(b &- 0x30) }
        }
        return min(value, cap)
    }

    /// Decimal text of `value`.
    static func decimalText(_ value: Int64) -> [UInt8] { Array(String(value).utf8) }
}

/// RFC 9111 §1.2.2: delta-seconds saturate at 2^31.
enum CacheControlLimits {
    static let maxDeltaSeconds: Int64 = 1 << 31
}
