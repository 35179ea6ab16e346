// Stand-alone throughput table: SafeParse and llhttp (SwiftNIO's CNIOLLHTTP) parse the same
// batches of messages, each message one read on one keep-alive connection.
//
//   ParserThroughput [--seconds S] [--rounds R] [--filter TEXT] [--parser safeparse|llhttp] [--iterations N]
//
// --seconds     timing per parser and input (default 2), split in R rounds (default 5): the
//               parsers take turns round by round, and each one's fastest round is reported
//               (the machine may be shared: the best round is the least disturbed one)
// --filter      only rows whose input name contains TEXT
// --parser      only this parser
// --iterations  fixed number of batches instead of timing, and no table: for callgrind/perf
//
// Columns: MB/s of wire bytes, messages/s, ns per message, and heap allocations (malloc,
// calloc, realloc, posix_memalign... counted by ordo-one/malloc-interposer): over 20 batches
// (20000 messages) with a warm parser (steady state of a keep-alive connection), and over one
// batch of 1000 with a fresh parser (includes the parser's warm-up: its storage growing).
import CNIOLLHTTP
import Glibc
import MallocInterposerSwift
import ParserBenchKit
import SafeParse

// MARK: Options

var seconds = 2.0
var filter: String?
var onlyParser: String?
var fixedIterations: Int?
var rounds = 5
do {
    var args = CommandLine.arguments.dropFirst()
    while let arg = args.popFirst() {
        switch arg {
        case "--seconds": seconds = Double(args.popFirst() ?? "") ?? seconds
        case "--filter": filter = args.popFirst()
        case "--parser": onlyParser = args.popFirst()?.lowercased()
        case "--iterations": fixedIterations = Int(args.popFirst() ?? "")
        case "--rounds": rounds = max(1, Int(args.popFirst() ?? "") ?? rounds)
        default:
            print("usage: ParserThroughput [--seconds S] [--rounds R] [--filter TEXT] [--parser safeparse|llhttp] [--iterations N]")
            exit(2)
        }
    }
}

let batchSize = 1000

// MARK: Parsers behind one interface

/// One parser on one connection, parsing whole batches.
protocol Runner {
    var name: String { get }
    /// Parses one batch with the current parser (warm).
    mutating func parse(_ batch: [[UInt8]]) -> Tally
    /// Starts a new connection (a fresh parser).
    mutating func newConnection()
}

struct SafeParseRunner<P: SafeParseParser>: Runner {
    let name = "SafeParse"
    let make: () -> P
    var parser: P

    init(_ make: @escaping () -> P) {
        self.make = make
        parser = make()
    }

    mutating func parse(_ batch: [[UInt8]]) -> Tally {
        var tally = Tally()
        do {
            try SafeParseDriver.parse(batch, with: &parser, into: &tally)
        } catch {
            fatalError("SafeParse failed: \(error)")
        }
        return tally
    }

    mutating func newConnection() { parser = make() }
}

struct LLHTTPRunner: Runner {
    let name = "llhttp"
    let parser: LLHTTPParser

    init(_ kind: LLHTTPParser.Kind) { parser = LLHTTPParser(kind) }

    mutating func parse(_ batch: [[UInt8]]) -> Tally {
        parser.tally = Tally()
        let rc = parser.parse(batch)
        guard rc == HPE_OK else { fatalError("llhttp failed: \(parser.describe(rc))") }
        return parser.tally
    }

    mutating func newConnection() { parser.reset() }
}

// MARK: Measurement

struct Row {
    var parser: String
    var input: String
    var mbPerSecond = 0.0
    var messagesPerSecond = 0.0
    var nsPerMessage = 0.0
    var warmMallocs = 0
    var freshMallocsPerBatch = 0
}

/// Allocations: one batch on a fresh parser (warm-up included), then 20 batches on the warm parser.
func countAllocations(_ runner: inout some Runner, _ row: inout Row, _ batch: [[UInt8]], expected: Tally) {
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    runner.newConnection()
    let freshTally = runner.parse(batch)
    MallocInterposerSwift.unhook()
    row.freshMallocsPerBatch = MallocInterposerSwift.getStatistics().mallocCount
    precondition(freshTally == expected, "\(runner.name) on \(row.input): \(freshTally), expected \(expected)")

    for _ in 0..<5 { _ = runner.parse(batch) }
    let countedBatches = 20
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    for _ in 0..<countedBatches { _ = runner.parse(batch) }
    MallocInterposerSwift.unhook()
    row.warmMallocs = MallocInterposerSwift.getStatistics().mallocCount
}

/// One timing round: whole batches on the warm parser until `budget` has passed.
/// Returns seconds per message.
func timeRound(_ runner: inout some Runner, _ batch: [[UInt8]], budget: Duration) -> Double {
    let clock = ContinuousClock()
    var batches = 0
    var sink = 0
    let start = clock.now
    var elapsed = Duration.zero
    repeat {
        for _ in 0..<4 {
            sink &+= runner.parse(batch).messages
        }
        batches += 4
        elapsed = start.duration(to: clock.now)
    } while elapsed < budget
    precondition(sink == batches * batchSize)
    let secondsTaken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return secondsTaken / Double(batches * batchSize)
}

/// Throughput of each runner: `rounds` rounds, the runners taking turns (so that a change in
/// the machine's load hits both alike), and the fastest round of each kept.
@MainActor func measure(_ runners: inout [any Runner], _ inputName: String, _ batch: [[UInt8]], expected: Tally) -> [Row] {
    let batchBytes = Double(batch.reduce(0) { $0 + $1.count }) / Double(batchSize)
    var rows: [Row] = []
    for i in runners.indices {
        var row = Row(parser: runners[i].name, input: inputName)
        countAllocations(&runners[i], &row, batch, expected: expected)
        rows.append(row)
    }
    let budget = Duration.milliseconds(Int64(seconds * 1000) / Int64(rounds))
    var best = [Double](repeating: .infinity, count: runners.count)
    for _ in 0..<rounds {
        for i in runners.indices {
            best[i] = min(best[i], timeRound(&runners[i], batch, budget: budget))
        }
    }
    for i in rows.indices {
        rows[i].nsPerMessage = best[i] * 1e9
        rows[i].messagesPerSecond = 1 / best[i]
        rows[i].mbPerSecond = batchBytes / best[i] / 1e6
    }
    return rows
}

// MARK: Sanity check of the allocation counter

do {
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    var probe: [Int] = []
    for i in 0..<3 { probe = Array(repeating: i, count: 100 + i) }
    MallocInterposerSwift.unhook()
    let counted = MallocInterposerSwift.getStatistics().mallocCount
    if counted < 3 || probe.isEmpty {
        print("error: the malloc interposer is not active (\(counted) mallocs counted for 3 arrays);"
              + " run with LD_PRELOAD=<scratch>/release/libMallocInterposerSwift.so")
        exit(1)
    }
}

// MARK: Cases

let sets: [(name: String, inputs: [Input], kind: LLHTTPParser.Kind)] = [
    ("requests mix", Inputs.requests, .request),
] + Inputs.requests.map { ("  \($0.name)", [$0], .request) } + [
    ("responses mix", Inputs.responses, .response),
] + Inputs.responses.map { ("  \($0.name)", [$0], .response) }

func expectedTally(_ inputs: [Input]) -> Tally {
    var t = Tally()
    for i in 0..<batchSize {
        let input = inputs[i % inputs.count]
        t.heads += 1
        t.fields += input.fieldCount
        t.bodyBytes += input.bodyBytes
        t.messages += 1
    }
    return t
}

@MainActor func runners(_ kind: LLHTTPParser.Kind) -> [any Runner] {
    var all: [any Runner] = kind == .request
        ? [SafeParseRunner { RequestParser() }, LLHTTPRunner(.request)]
        : [SafeParseRunner { ResponseParser() }, LLHTTPRunner(.response)]
    if let onlyParser { all = all.filter { $0.name.lowercased() == onlyParser } }
    return all
}

// Fixed work for profilers: no timing, no table.
if let fixedIterations {
    for set in sets where filter.map({ set.name.contains($0) }) ?? true {
        let batch = Inputs.batch(set.inputs, count: batchSize)
        for var runner in runners(set.kind) {
            var messages = 0
            for _ in 0..<fixedIterations { messages &+= runner.parse(batch).messages }
            print("\(runner.name)\t\(set.name)\t\(messages) messages")
        }
    }
    exit(0)
}

func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, n - s.count))
    return right ? fill + s : s + fill
}

func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (x * scale).rounded() / scale
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if digits == 0 { s = String(s[..<dot]) } else if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    }
    return s
}

print("message sizes: " + (Inputs.requests + Inputs.responses).map { "\($0.name) = \($0.bytes.count) B" }.joined(separator: "; ")
      + " (cookie value: \(Inputs.cookie.utf8.count) B)")
print("batch: \(batchSize) messages, one read each, one connection; per input \(rounds) timing rounds of "
      + "\(fixed(seconds / Double(rounds), 2)) s per parser, taking turns; the fastest round is shown\n")
let header = "| parser    | input                                          |    MB/s |  messages/s | ns/msg | mallocs, 20000 msgs warm | mallocs, 1000 msgs fresh |"
print(header)
print("|-----------|------------------------------------------------|--------:|------------:|-------:|-------------------------:|-------------------------:|")
var ratios: [(String, Double)] = []
for set in sets where filter.map({ set.name.contains($0) }) ?? true {
    let batch = Inputs.batch(set.inputs, count: batchSize)
    let expected = expectedTally(set.inputs)
    var parsers = runners(set.kind)
    let rows = measure(&parsers, set.name, batch, expected: expected)
    for row in rows {
        print("| \(pad(row.parser, 9)) | \(pad(row.input, 46)) | \(pad(fixed(row.mbPerSecond, 1), 7, right: true)) | "
              + "\(pad(fixed(row.messagesPerSecond, 0), 11, right: true)) | \(pad(fixed(row.nsPerMessage, 1), 6, right: true)) | "
              + "\(pad("\(row.warmMallocs)", 24, right: true)) | \(pad("\(row.freshMallocsPerBatch)", 24, right: true)) |")
    }
    if rows.count == 2 { ratios.append((set.name, rows[0].mbPerSecond / rows[1].mbPerSecond)) }
}
if !ratios.isEmpty {
    print("\nSafeParse throughput / llhttp throughput:")
    for (name, ratio) in ratios { print("  \(pad(name, 46)) \(fixed(ratio, 2))x") }
}
