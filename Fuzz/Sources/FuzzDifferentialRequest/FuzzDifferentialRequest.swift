import Differential
import FuzzCommon

// libFuzzer executable for the `differential-request` target (corpus/differential-request/): SafeParse's
// request parser beside llhttp on the same bytes (Fuzz/Sources/Differential). Inputs use the frozen
// encoding of the request-parser target, which replays this corpus in `swift test` (llhttp is not
// linked there).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    unsafe Differential.fuzz(responses: false, start, count)
}

// Top-level code: SwiftPM makes it main(), so start libFuzzer's driver from here.
unsafe runLibFuzzer(fuzz)
