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
        var message = "\n==FuzzTargets== \(target.rawValue): invariant violated: \(violation.message)\n"
        #if canImport(Glibc)
        message.withUTF8 { text in _ = unsafe write(2, text.baseAddress, text.count) }
        #else
        print(message)
        #endif
        preconditionFailure(violation.message)
    }
    return 0
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
