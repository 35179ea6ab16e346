import CLibFuzzer
import FuzzTargets
#if canImport(Glibc)
import Glibc
#endif

/// Runs one libFuzzer input through `target`. A broken invariant is written to stderr
/// (with write(2), unbuffered, so it survives the trap; release builds drop precondition
/// messages) and then traps, which libFuzzer records as a crash and saves the input for.
public func fuzzOne(_ target: FuzzTarget, _ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = unsafe [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    if let violation = target.check(bytes) {
        if target == .connectionMachine {
            // The events and actions that led there (triage: Fuzz/run repro connection-machine <file>).
            let trace = ConnectionMachineTarget.trace(bytes)
            printToStderr("==FuzzTargets== trace:\n" + trace.suffix(300).joined(separator: "\n") + "\n")
        }
        if target == .cacheOperations {
            // The decoded operations (triage: Fuzz/run repro cache-operations <file>).
            printToStderr("==FuzzTargets== trace:\n" + CacheOperationsTarget.trace(bytes).joined(separator: "\n") + "\n")
        }
        report(target.rawValue, violation.message)
    }
    return 0
}

/// Writes `==FuzzTargets== <target>: invariant violated: <message>` to stderr and traps.
public func report(_ target: String, _ message: String) -> Never {
    printToStderr("\n==FuzzTargets== \(target): invariant violated: \(message)\n")
    preconditionFailure(message)
}

/// Unbuffered, so the text survives a trap that follows.
public func printToStderr(_ text: String) {
    var text = text
    #if canImport(Glibc)
    text.withUTF8 { bytes in _ = unsafe write(2, bytes.baseAddress, bytes.count) }
    #else
    print(text)
    #endif
}

/// Hands the process to libFuzzer's driver with `testOneInput` (the executable's
/// `LLVMFuzzerTestOneInput`) and exits with its status. Called from the executables' top-level
/// code, which SwiftPM makes main() (see CLibFuzzer.h for why libFuzzer's main() is not used).
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafeRawPointer?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = unsafe CommandLine.unsafeArgv
    let status = unsafe LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
    exit(status)
}
