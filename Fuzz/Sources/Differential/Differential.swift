import FuzzCommon
import FuzzTargets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The differential targets: the same bytes, in the same reads, through SafeParse and llhttp.
///
/// A rejection by one side alone is counted by (side, reason) and the first input of each kind
/// is printed as `==Differential== first <side> rejection (<reason>): <bytes>`; the counts are
/// printed at exit. When both accept and disagree on framing (where a message or its body ends,
/// how many messages the bytes hold, the field or trailer count), the input is a crash, unless
/// SafeParse's head shows a documented llhttp deviation (`KnownDeviation`): then it is counted.
public enum Differential {
    struct Counts {
        var agreed = 0
        var bothRejected = 0
        var oneSided: [String: Int] = [:]
        var atExitInstalled = false
    }

    static let counts = Mutex(Counts())

    /// One libFuzzer input; `responses` picks the response parser on both sides.
    public static func fuzz(responses: Bool, _ start: UnsafeRawPointer?, _ count: Int) -> CInt {
        let bytes = unsafe [UInt8](UnsafeRawBufferPointer(start: start, count: count))
        guard let input = DifferentialCase(bytes, responses: responses) else { return 0 }
        let llhttp = LLHTTPFraming.summarize(input, responses: responses)
        switch FramingComparison.compare(safeParse: input.safeParse, llhttp: llhttp) {
        case .agree where input.safeParse.rejection != nil:
            counts.withLock { $0.bothRejected += 1 }
        case .agree:
            counts.withLock { $0.agreed += 1 }
        case .oneSided(let side, let reason):
            record("\(side) rejection (\(reason))", input.payload)
        case .known(let deviation):
            record("known llhttp deviation (\(deviation.rawValue))", input.payload)
        case .disagree(let difference):
            report(responses ? "differential-response" : "differential-request",
                   "SafeParse and llhttp both accept and frame differently: \(difference)")
        }
        return 0
    }

    static func record(_ kind: String, _ payload: [UInt8]) {
        let (first, install) = counts.withLock { counts in
            let install = !counts.atExitInstalled
            counts.atExitInstalled = true
            counts.oneSided[kind, default: 0] += 1
            return (counts.oneSided[kind] == 1, install)
        }
        if install { atexit { Differential.printCounts() } }
        if first {
            printToStderr("==Differential== first \(kind): \(escaped(payload.prefix(200)))\n")
        }
    }

    static func printCounts() {
        let snapshot = counts.withLock { $0 }
        var text = "==Differential== both accept and agree: \(snapshot.agreed) inputs\n"
        text += "==Differential== both reject: \(snapshot.bothRejected) inputs\n"
        for (kind, count) in snapshot.oneSided.sorted(by: { $0.value > $1.value }) {
            text += "==Differential== \(kind): \(count) inputs\n"
        }
        printToStderr(text)
    }

    static func escaped(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { b in
            switch b {
            case 0x0D: "\\r"
            case 0x0A: "\\n"
            case 0x20..<0x7F: String(UnicodeScalar(b))
            default: "\\x" + String(b, radix: 16)
            }
        }.joined()
    }
}
