/// One line of the proxy's log, parsed strictly by the documented format
/// `[2024-01-15T10:00:15.123Z] [INFO] [worker-3] event key=value ...`, where a value is a bare
/// token or a double-quoted string with `\"`, `\\`, `\n`, `\r`, `\t` and `\xHH` escapes.
/// `init` returns nil for any line that does not follow it exactly.
struct LogLine: Equatable {
    var timestamp: String
    var level: String
    var thread: String
    /// The event: one word for structured records, free words for start-up lines.
    var event: String
    var fields: [String: String]
    /// Field keys in order (a key may not repeat).
    var keys: [String]

    static let levels: Set<String> = ["DEBUG", "INFO", "WARN", "ERROR"]

    init?(_ line: String) {
        var s = Substring(line)
        guard s.first == "[", let close = s.firstIndex(of: "]") else { return nil }
        timestamp = String(s[s.index(after: s.startIndex)..<close])
        guard Self.isTimestamp(timestamp) else { return nil }
        s = s[s.index(after: close)...]
        guard s.hasPrefix(" ["), let levelEnd = s.firstIndex(of: "]") else { return nil }
        level = String(s[s.index(s.startIndex, offsetBy: 2)..<levelEnd])
        guard Self.levels.contains(level) else { return nil }
        s = s[s.index(after: levelEnd)...]
        guard s.hasPrefix(" ["), let threadEnd = s.firstIndex(of: "]") else { return nil }
        thread = String(s[s.index(s.startIndex, offsetBy: 2)..<threadEnd])
        guard !thread.isEmpty else { return nil }
        s = s[s.index(after: threadEnd)...]
        guard s.hasPrefix(" ") else { return nil }
        s = s.dropFirst()
        var words: [String] = []
        var fields: [String: String] = [:]
        var keys: [String] = []
        let chars = Array(s.unicodeScalars)
        var i = 0
        while i < chars.count {
            // One token: `word` (event part) or `key=value`.
            var key = ""
            while i < chars.count, chars[i] != " ", chars[i] != "=" {
                key.unicodeScalars.append(chars[i]); i += 1
            }
            if i < chars.count, chars[i] == "=" {
                i += 1
                guard !key.isEmpty, key.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }),
                      fields[key] == nil else { return nil }
                var value = ""
                if i < chars.count, chars[i] == "\"" {
                    i += 1
                    var closed = false
                    while i < chars.count {
                        let c = chars[i]; i += 1
                        if c == "\"" { closed = true; break }
                        if c == "\\" {
                            guard i < chars.count else { return nil }
                            let e = chars[i]; i += 1
                            switch e {
                            case "\"": value += "\""
                            case "\\": value += "\\"
                            case "n": value += "\n"
                            case "r": value += "\r"
                            case "t": value += "\t"
                            case "x":
                                guard i + 1 < chars.count, let b = UInt8(String(chars[i]) + String(chars[i + 1]), radix: 16) else { return nil }
                                value.unicodeScalars.append(Unicode.Scalar(b)); i += 2
                            default: return nil
                            }
                        } else {
                            guard c.value >= 0x20, c.value < 0x7F else { return nil }
                            value.unicodeScalars.append(c)
                        }
                    }
                    guard closed else { return nil }
                } else {
                    while i < chars.count, chars[i] != " " {
                        let c = chars[i]
                        guard c.value > 0x20, c.value < 0x7F, c != "\"", c != "=", c != "\\" else { return nil }
                        value.unicodeScalars.append(c); i += 1
                    }
                }
                fields[key] = value
                keys.append(key)
            } else {
                guard keys.isEmpty, !key.isEmpty else { return nil } // event words come first
                words.append(key)
            }
            if i < chars.count {
                guard chars[i] == " ", i + 1 < chars.count else { return nil }
                i += 1
            }
        }
        guard !words.isEmpty else { return nil }
        event = words.joined(separator: " ")
        self.fields = fields
        self.keys = keys
    }

    /// `2024-01-15T10:00:15.123Z`.
    static func isTimestamp(_ t: String) -> Bool {
        let b = Array(t.utf8)
        guard b.count == 24 else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]
        let fixed: [Int: UInt8] = [4: 0x2D, 7: 0x2D, 10: 0x54, 13: 0x3A, 16: 0x3A, 19: 0x2E, 23: 0x5A]
        return digits.allSatisfy { b[$0] >= 0x30 && b[$0] <= 0x39 } && fixed.allSatisfy { b[$0.key] == $0.value }
    }
}
