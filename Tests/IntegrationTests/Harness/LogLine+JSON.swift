import Foundation

extension LogLine {
    /// One line of `--log-format json`: a JSON object whose first keys are ts, level, thread
    /// and event, then the record's fields (numbers or strings). Nil for anything else.
    init?(json line: String) {
        guard line.hasPrefix("{\"ts\":\""), line.hasSuffix("}"),
              line.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let ts = object["ts"] as? String, Self.isTimestamp(ts),
              let level = object["level"] as? String, Self.levels.contains(level),
              let thread = object["thread"] as? String, !thread.isEmpty,
              let event = object["event"] as? String, !event.isEmpty else { return nil }
        // Keys in the order written: the object's keys are unordered, so read them off the line.
        var keys: [String] = []
        var fields: [String: String] = [:]
        for (key, value) in object where !["ts", "level", "thread", "event"].contains(key) {
            switch value {
            case let n as NSNumber: fields[key] = n.stringValue
            case let s as String: fields[key] = s
            default: return nil
            }
        }
        let quotedKeys = fields.keys.map { (key: $0, offset: line.range(of: "\"\($0)\":")?.lowerBound) }
        keys = quotedKeys.sorted { ($0.offset ?? line.endIndex) < ($1.offset ?? line.endIndex) }.map(\.key)
        self.timestamp = ts
        self.level = level
        self.thread = thread
        self.event = event
        self.fields = fields
        self.keys = keys
    }
}
