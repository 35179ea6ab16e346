/// Severity of a log line. DEBUG lines appear only with `-v`.
public enum LogLevel: Int, Sendable, Comparable {
    case debug, info, warn, error

    public var label: String {
        switch self {
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        }
    }

    /// "] [INFO] [": what the text line puts between the timestamp and the thread.
    var bracketed: String {
        switch self {
        case .debug: "] [DEBUG] ["
        case .info: "] [INFO] ["
        case .warn: "] [WARN] ["
        case .error: "] [ERROR] ["
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    /// Parses "debug", "info", "warn" or "error".
    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        default: return nil
        }
    }
}

/// A field value: numbers print bare; text and raw bytes are quoted and escaped when needed.
public enum LogValue: Sendable, Hashable {
    case int(Int)
    case text(String)
    /// Bytes from the network, printed with every non-printable byte escaped.
    case bytes([UInt8])
}

/// One structured event: `event key=value ...` in the spec's text format.
public struct LogRecord: Sendable, Hashable {
    public var level: LogLevel
    public var event: String
    public var fields: [(key: String, value: LogValue)]

    public init(_ level: LogLevel, _ event: String, _ fields: [(key: String, value: LogValue)] = []) {
        self.level = level
        self.event = event
        self.fields = fields
    }

    /// The value of `key`, for tests.
    public func value(_ key: String) -> LogValue? { fields.first { $0.key == key }?.value }

    public static func == (a: LogRecord, b: LogRecord) -> Bool {
        a.level == b.level && a.event == b.event && a.fields.elementsEqual(b.fields) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(level)
        hasher.combine(event)
        for f in fields { hasher.combine(f.key); hasher.combine(f.value) }
    }
}
