import FuzzCommon

// libFuzzer executable for the `cache-operations` target (corpus/cache-operations/). The target, including its
// frozen input encoding, is FuzzTarget.cacheOperations in the root package (Sources/FuzzTargets).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    unsafe fuzzOne(.cacheOperations, start, count)
}

// Top-level code: SwiftPM makes it main(), so start libFuzzer's driver from here.
// (This file is not main.swift, but as the target's only file it is compiled as the main file.)
unsafe runLibFuzzer(fuzz)
