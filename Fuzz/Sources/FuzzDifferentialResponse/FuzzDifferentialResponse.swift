import Differential
import FuzzCommon

// libFuzzer executable for the `differential-response` target (corpus/differential-response/): SafeParse's
// response parser beside llhttp on the same bytes (Fuzz/Sources/Differential). Inputs use the frozen
// encoding of the response-parser target, which replays this corpus in `swift test` (llhttp is not
// linked there).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    unsafe Differential.fuzz(responses: true, start, count)
}

// Top-level code: SwiftPM makes it main(), so start libFuzzer's driver from here.
unsafe runLibFuzzer(fuzz)
