import SafeParse

/// (a) Parses `payload` whole (checking the round trip at every head), then split by the
/// input's pattern, then byte by byte when short, and requires transcripts that agree.
func checkSplitInvariance<Parser: FuzzedParser>(
    _ payload: [UInt8], options: MessageOptions,
    makeParser: @escaping (Limits) -> Parser,
    roundTrip: @escaping (Parser) throws(InvariantViolation) -> Void
) throws(InvariantViolation) {
    let limits = options.limits
    var driver = MessageDriver(makeParser: { makeParser(limits) }, callsFinish: options.callsFinish, onHead: roundTrip)
    let whole = try driver.run(payload, pieces: [0..<payload.count])
    driver.onHead = nil
    let split = try driver.run(payload, pieces: options.split.pieces(count: payload.count))
    try require(split.agrees(with: whole), "split pattern \(options.split.byte) changes the transcript: \(split.difference(from: whole))")
    if payload.count <= byteByByteMaxCount {
        let bytewise = try driver.run(payload, pieces: SplitPattern.byteByByte(count: payload.count))
        try require(bytewise.agrees(with: whole), "byte-by-byte feeding changes the transcript: \(bytewise.difference(from: whole))")
    }
}
