// SafeParse beside llhttp (SwiftNIO's CNIOLLHTTP), parsing the same bytes.
//
// One benchmark iteration parses one batch of 1000 messages on one connection: each message
// is one read, handed to the same parser (keep-alive). `scalingFactor: .kilo` makes the
// scaled output per message: throughput in messages/s, mallocs per message.
//
// "fresh" benchmarks start each batch with a new parser, so they include SafeParse's warm-up
// (its head storage grows on the first messages); "warm" benchmarks keep one parser across
// iterations, which is the steady state of a long keep-alive connection: the head
// allocations target (zero per parsed head) is read there.
import Benchmark
import CNIOLLHTTP
import ParserBenchKit
import SafeParse

/// State kept across iterations of a "warm" benchmark (one connection for the whole run).
final class Connection<Parser>: @unchecked Sendable {
    var parser: Parser
    init(_ parser: Parser) { self.parser = parser }
}

let batchSize = 1000

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    let suites: [(name: String, inputs: [Input], kind: LLHTTPParser.Kind)] = [
        ("requests mix", Inputs.requests, .request),
        ("responses mix", Inputs.responses, .response),
    ] + Inputs.requests.map { ("request: \($0.name)", [$0], .request) }
      + Inputs.responses.map { ("response: \($0.name)", [$0], .response) }

    for suite in suites {
        let batch = Inputs.batch(suite.inputs, count: batchSize)
        let kind = suite.kind

        // SafeParse, a new parser per batch.
        Benchmark("SafeParse fresh, \(suite.name)") { benchmark in
            var tally = Tally()
            if kind == .request {
                var parser = RequestParser()
                try SafeParseDriver.parse(batch, with: &parser, into: &tally)
            } else {
                var parser = ResponseParser()
                try SafeParseDriver.parse(batch, with: &parser, into: &tally)
            }
            precondition(tally.messages == batchSize)
            blackHole(tally)
        }

        // SafeParse, one parser for the whole run (warmed up before measuring).
        if kind == .request {
            let connection = Connection(RequestParser())
            Benchmark("SafeParse warm, \(suite.name)") { benchmark in
                var tally = Tally()
                try SafeParseDriver.parse(batch, with: &connection.parser, into: &tally)
                precondition(tally.messages == batchSize)
                blackHole(tally)
            }
        } else {
            let connection = Connection(ResponseParser())
            Benchmark("SafeParse warm, \(suite.name)") { benchmark in
                var tally = Tally()
                try SafeParseDriver.parse(batch, with: &connection.parser, into: &tally)
                precondition(tally.messages == batchSize)
                blackHole(tally)
            }
        }

        // llhttp: its state is a fixed-size struct, reinitialised in place for each batch.
        let llhttp = Connection(LLHTTPParser(kind))
        Benchmark("llhttp, \(suite.name)") { benchmark in
            let parser = llhttp.parser
            parser.reset()
            parser.tally = Tally()
            let rc = parser.parse(batch)
            precondition(rc == HPE_OK, parser.describe(rc))
            precondition(parser.tally.messages == batchSize)
            blackHole(parser.tally)
        }
    }
}
