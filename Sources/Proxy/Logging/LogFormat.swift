#if canImport(Glibc)
import Glibc
#endif

/// The spec's text line: `[2024-01-15T10:00:15.123Z] [INFO] [worker-3] event key=value ...`.
///
/// Every value is one logfmt token: a value holding a space, `=`, `"`, a backslash, a control
/// byte or a non-ASCII byte is quoted, with `"` and `\` escaped and other such bytes written as
/// `\n`, `\r`, `\t` or `\xHH`. So each line is one parseable record and no client-supplied
/// byte can end a line or forge another.
public enum LogFormat {
    /// Appends one formatted line (with its newline) to `out`.
    public static func appendLine(_ record: LogRecord, thread: String, timestamp: String, to out: inout [UInt8]) {
        appendLine(record, thread: thread, timestamp: Array(timestamp.utf8), to: &out)
    }

    /// Appends one formatted line; `timestamp` is the already formatted time, as bytes.
    static func appendLine(_ record: LogRecord, thread: String, timestamp: [UInt8], to out: inout [UInt8]) {
        out.append(0x5B)
        out.append(contentsOf: timestamp)
        appendUTF8(record.level.bracketed, to: &out)
        appendEscaped(thread.utf8.span, quoteIfNeeded: false, to: &out)
        out.append(0x5D)
        out.append(0x20)
        appendUTF8(record.event, to: &out)
        for field in record.fields {
            out.append(0x20)
            appendUTF8(field.key, to: &out)
            out.append(0x3D)
            switch field.value {
            case .int(let n): appendUTF8(String(n), to: &out)
            case .text(let s): appendEscaped(s.utf8.span, quoteIfNeeded: true, to: &out)
            case .bytes(let b): appendEscaped(b.span, quoteIfNeeded: true, to: &out)
            }
        }
        out.append(0x0A)
    }

    /// Appends a string's UTF-8 bytes as they are (event names, keys: our own ASCII words).
    @inline(__always)
    static func appendUTF8(_ text: String, to out: inout [UInt8]) {
        let span = text.utf8.span
        out.append(span, 0..<span.count)
    }

    static func needsQuoting(_ b: UInt8) -> Bool {
        b <= 0x20 || b >= 0x7F || b == 0x22 || b == 0x3D || b == 0x5C
    }

    static func appendEscaped(_ bytes: Span<UInt8>, quoteIfNeeded: Bool, to out: inout [UInt8]) {
        var plain = true
        for i in bytes.indices where needsQuoting(bytes[i]) {
            plain = false
            break
        }
        if plain && !(quoteIfNeeded && bytes.isEmpty) {
            out.append(bytes, 0..<bytes.count) // the common case: nothing to escape
            return
        }
        let quote = quoteIfNeeded
        if quote { out.append(0x22) }
        for i in bytes.indices {
            let b = bytes[i]
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x20...0x7E: out.append(b)
            default: out.append(contentsOf: [0x5C, 0x78, hexDigit(b >> 4), hexDigit(b & 0xF)])
            }
        }
        if quote { out.append(0x22) }
    }

    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    /// "2024-01-15T10:00:15.123Z" for the current wall-clock time.
    public static func timestamp() -> String {
        let (seconds, millis) = Sys.wallClock()
        var time = time_t(seconds)
        var parts = unsafe tm()
        unsafe gmtime_r(&time, &parts)
        let (year, month, day) = unsafe (parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday)
        let (hour, minute, second) = unsafe (parts.tm_hour, parts.tm_min, parts.tm_sec)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(Int32(millis), 3))Z"
    }
}
