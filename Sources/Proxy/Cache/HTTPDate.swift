/// HTTP-date (RFC 9110 §5.6.7): parsing the three forms into seconds since the Unix epoch
/// (UTC, leap seconds not counted) and formatting the preferred one. No clock is read.
///
///     IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT   ; Sun, 06 Nov 1994 08:49:37 GMT
///     rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT ; Sunday, 06-Nov-94 08:49:37 GMT
///     asctime-date = day-name SP date3 SP time-of-day SP year      ; Sun Nov  6 08:49:37 1994
///
/// Names are matched as the grammar spells them (case-sensitive `%s` strings). The day name
/// must be a valid one but is not checked against the date (senders get it wrong; the date
/// is what matters). `second` may be 60 (a leap second), which counts as the next second.
/// Anything else, including surrounding whitespace, is invalid: nil.
public enum HTTPDate {
    static let dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let longDayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Latest time `format` can write: 9999-12-31 23:59:59 UTC.
    public static let maxFormattable: Int64 = 253_402_300_799

    /// Parses an HTTP-date in any of the three forms; nil if invalid.
    ///
    /// A two-digit rfc850 year is resolved against `now` when given (RFC 9110 §5.6.7: a year
    /// that would be more than 50 years in the future is the most recent past year with those
    /// digits); without `now`, 70...99 are 19xx and 00...69 are 20xx.
    public static func parse(_ bytes: some Collection<UInt8>, now: Int64? = nil) -> Int64? {
        let b = Array(bytes)
        if b.count == 29, b[3] == 0x2C { return parseIMF(b) }
        if b.count == 24, b[3] == CacheBytes.sp { return parseAsctime(b) }
        if let comma = b.firstIndex(of: 0x2C), comma >= 6 { return parseRFC850(b, comma: comma, now: now) }
        return nil
    }

    /// Parses a date given as text (for tests and configuration).
    public static func parse(_ text: String, now: Int64? = nil) -> Int64? { parse(Array(text.utf8), now: now) }

    /// Formats `seconds` as IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), 29 bytes. Times before
    /// the year 0001 or after 9999 are clamped to those years' bounds.
    public static func format(_ seconds: Int64) -> [UInt8] {
        let t = min(max(seconds, -62_135_596_800), maxFormattable)
        let days = floorDiv(t, 86_400)
        let secondOfDay = t - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        // 1970-01-01 was a Thursday (index 3 in Monday-first order).
        let weekday = Int(floorMod(days + 3, 7))
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: dayNames[weekday].utf8)
        out.append(contentsOf: ", ".utf8)
        appendDigits(&out, Int64(day), width: 2)
        out.append(CacheBytes.sp)
        out.append(contentsOf: monthNames[month - 1].utf8)
        out.append(CacheBytes.sp)
        appendDigits(&out, year, width: 4)
        out.append(CacheBytes.sp)
        appendDigits(&out, secondOfDay / 3600, width: 2)
        out.append(CacheBytes.colon)
        appendDigits(&out, secondOfDay / 60 % 60, width: 2)
        out.append(CacheBytes.colon)
        appendDigits(&out, secondOfDay % 60, width: 2)
        out.append(contentsOf: " GMT".utf8)
        return out
    }

    /// `format` as a String (for logs and tests).
    public static func formatText(_ seconds: Int64) -> String { String(decoding: format(seconds), as: UTF8.self) }

    // MARK: - The three forms

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    static func parseIMF(_ b: [UInt8]) -> Int64? {
        guard dayNames.contains(where: { matches(b, 0, $0) }), b[4] == CacheBytes.sp,
              let day = digits(b, 5, 2), b[7] == CacheBytes.sp,
              let month = month(b, 8), b[11] == CacheBytes.sp,
              let year = digits(b, 12, 4), b[16] == CacheBytes.sp,
              let time = timeOfDay(b, 17), matches(b, 25, " GMT")
        else { return nil }
        return seconds(year: year, month: month, day: day, time: time)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    static func parseRFC850(_ b: [UInt8], comma: Int, now: Int64?) -> Int64? {
        guard b.count == comma + 24,
              longDayNames.contains(where: { $0.utf8.count == comma && matches(b, 0, $0) }),
              b[comma + 1] == CacheBytes.sp,
              let day = digits(b, comma + 2, 2), b[comma + 4] == 0x2D,
              let month = month(b, comma + 5), b[comma + 8] == 0x2D,
              let twoDigitYear = digits(b, comma + 9, 2), b[comma + 11] == CacheBytes.sp,
              let time = timeOfDay(b, comma + 12), matches(b, comma + 20, " GMT")
        else { return nil }
        var year: Int64
        if let now {
            let (currentYear, _, _) = civil(fromDays: floorDiv(now, 86_400))
            year = currentYear - floorMod(currentYear, 100) + twoDigitYear
            if year > currentYear + 50 { year -= 100 }
        } else {
            year = twoDigitYear >= 70 ? 1900 + twoDigitYear : 2000 + twoDigitYear
        }
        return seconds(year: year, month: month, day: day, time: time)
    }

    /// `Sun Nov  6 08:49:37 1994`
    static func parseAsctime(_ b: [UInt8]) -> Int64? {
        guard dayNames.contains(where: { matches(b, 0, $0) }),
              let month = month(b, 4), b[7] == CacheBytes.sp
        else { return nil }
        let day: Int64
        if b[8] == CacheBytes.sp, let d = digits(b, 9, 1) { day = d } else if let d = digits(b, 8, 2) { day = d } else { return nil }
        guard b[10] == CacheBytes.sp, let time = timeOfDay(b, 11), b[19] == CacheBytes.sp,
              let year = digits(b, 20, 4)
        else { return nil }
        return seconds(year: year, month: month, day: day, time: time)
    }

    // MARK: - Pieces

    static func matches(_ b: [UInt8], _ at: Int, _ word: String) -> Bool {
        var i = at
        for c in word.utf8 {
            guard i < b.count, b[i] == c else { return false }
            i += 1
        }
        return true
    }

    static func digits(_ b: [UInt8], _ at: Int, _ count: Int) -> Int64? {
        guard at >= 0, at + count <= b.count else { return nil }
        var value: Int64 = 0
        for i in at..<(at + count) {
            guard CacheBytes.isDigit(b[i]) else { return nil }
            value = value * 10 + Int64(b[i] &- 0x30)
        }
        return value
    }

    /// Month number 1...12 of the three-letter name at `at`.
    static func month(_ b: [UInt8], _ at: Int) -> Int? {
        monthNames.firstIndex { matches(b, at, $0) }.map { $0 + 1 }
    }

    /// `HH:MM:SS` at `at`, as seconds of the day (a leap second 60 is allowed).
    static func timeOfDay(_ b: [UInt8], _ at: Int) -> Int64? {
        guard let h = digits(b, at, 2), at + 2 < b.count, b[at + 2] == CacheBytes.colon,
              let m = digits(b, at + 3, 2), at + 5 < b.count, b[at + 5] == CacheBytes.colon,
              let s = digits(b, at + 6, 2), h < 24, m < 60, s <= 60
        else { return nil }
        return h * 3600 + m * 60 + s
    }

    static func seconds(year: Int64, month: Int, day: Int64, time: Int64) -> Int64? {
        guard year >= 1, day >= 1, day <= Int64(daysIn(month: month, year: year)) else { return nil }
        return days(fromCivil: year, month, Int(day)) * 86_400 + time
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int64) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's
    /// `days_from_civil`: eras of 400 years, years starting in March).
    static func days(fromCivil year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400                                       // 0...399
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1 // 0...365
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `days(fromCivil:)`: (year, month 1...12, day 1...31).
    static func civil(fromDays days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097                                                   // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365 // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)    // 0...365
        let mp = (5 * dayOfYear + 2) / 153                                                 // 0...11
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    static func appendDigits(_ out: inout [UInt8], _ value: Int64, width: Int) {
        var digits = [UInt8](repeating: 0x30, count: width)
        var v = value
        var i = width - 1
        while i >= 0 {
            digits[i] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
            v /= 10
            i -= 1
        }
        out.append(contentsOf: digits)
    }
}

/// A field whose value is an HTTP-date (Date, Expires, Last-Modified, If-Modified-Since).
public enum HTTPDateField: Sendable, Hashable {
    case absent
    /// Present but not an HTTP-date (for Expires, e.g. `0`: a time in the past, §5.3).
    case invalid
    case valid(Int64)

    /// The time, when present and valid.
    public var seconds: Int64? { if case .valid(let s) = self { s } else { nil } }
}
