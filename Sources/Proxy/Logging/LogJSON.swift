/// How log lines are written (`--log-format`).
public enum LogOutputFormat: String, Sendable, CaseIterable {
    /// The spec's text line (`LogFormat`).
    case text
    /// One JSON object per line, for log shippers (`LogJSON`).
    case json
}

/// The JSON line: the same record as the text line, one object per line:
///
///     {"ts":"2024-01-15T10:00:15.123Z","level":"INFO","thread":"worker-3","event":"request_complete","status":200,"latency_ms":2,"cache":"HIT"}
///
/// `ts`, `level`, `thread` and `event` come first, then the record's fields in order, numbers
/// bare and text as JSON strings. A string holds only ASCII: `"` and `\` are escaped, control
/// bytes and every byte from 0x7F up are written as `\u00HH` (so bytes from the network map
/// one to one onto U+0000...U+00FF and the line stays valid UTF-8 whatever a client sent).
/// A line never contains a raw newline.
public enum LogJSON {
    public static func appendLine(_ record: LogRecord, thread: String, timestamp: String, to out: inout [UInt8]) {
        appendLine(record, thread: thread, timestamp: Array(timestamp.utf8), to: &out)
    }

    static func appendLine(_ record: LogRecord, thread: String, timestamp: [UInt8], to out: inout [UInt8]) {
        LogFormat.appendUTF8("{\"ts\":\"", to: &out)
        out.append(contentsOf: timestamp)
        LogFormat.appendUTF8("\",\"level\":\"", to: &out)
        LogFormat.appendUTF8(record.level.label, to: &out)
        LogFormat.appendUTF8("\",\"thread\":", to: &out)
        appendString(thread.utf8.span, to: &out)
        LogFormat.appendUTF8(",\"event\":", to: &out)
        appendString(record.event.utf8.span, to: &out)
        for field in record.fields {
            out.append(0x2C)
            appendString(field.key.utf8.span, to: &out)
            out.append(0x3A)
            switch field.value {
            case .int(let n): LogFormat.appendUTF8(String(n), to: &out)
            case .text(let s): appendString(s.utf8.span, to: &out)
            case .bytes(let b): appendString(b.span, to: &out)
            }
        }
        out.append(0x7D)
        out.append(0x0A)
    }

    /// A JSON string literal of `bytes`, escaped as described above.
    static func appendString(_ bytes: Span<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        for i in bytes.indices {
            let b = bytes[i]
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x20..<0x7F: out.append(b)
            default:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, LogFormat.hexDigit(b >> 4), LogFormat.hexDigit(b & 0xF)])
            }
        }
        out.append(0x22)
    }
}
