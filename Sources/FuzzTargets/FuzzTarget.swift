/// The fuzz targets, by the name used for their corpus folders (`corpus/<name>/`,
/// `corpus/regressions/<name>/`), their libFuzzer executables and `Fuzz/run`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case requestParser = "request-parser"
    case responseParser = "response-parser"
    case uri = "uri"
    case smallParsers = "small-parsers"
    case connectionMachine = "connection-machine"
    case cacheOperations = "cache-operations"

    /// Targets that exist only in the Fuzz package (they link llhttp, which the root package
    /// never builds), by corpus folder, with the target whose input encoding they share:
    /// `swift test` replays their corpora through that target (SafeParse's side only).
    public static let fuzzPackageOnly: [String: FuzzTarget] = [
        "differential-request": .requestParser,
        "differential-response": .responseParser,
    ]

    /// Runs one input; traps (a libFuzzer crash) on a broken invariant.
    public func run(_ data: [UInt8]) {
        trap(on: check(data))
    }

    /// Runs one input; returns the broken invariant, if any.
    public func check(_ data: [UInt8]) -> InvariantViolation? {
        switch self {
        case .requestParser: RequestParserTarget.check(data)
        case .responseParser: ResponseParserTarget.check(data)
        case .uri: URITarget.check(data)
        case .smallParsers: SmallParsersTarget.check(data)
        case .connectionMachine: ConnectionMachineTarget.check(data)
        case .cacheOperations: CacheOperationsTarget.check(data)
        }
    }
}
