import Foundation

/// The LD_PRELOAD shim of Tests/Shims/faulty_io.c, compiled once per test process with the
/// system C compiler into a temporary directory.
enum FaultyIOShim {
    /// The built library, or why it could not be built.
    static let library: Result<URL, HarnessError> = {
        do {
            let directory = try TemporaryDirectory("shim")
            let output = directory.file("libfaultyio.so")
            let log = try directory.create("cc.log")
            defer { close(log) }
            let cc = try ChildProcess("cc", ["-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o", output.path,
                                       BuildLocation.faultyIOSource.path, "-ldl"],
                                      environment: ChildEnvironment.minimal(), stdout: log, stderr: log)
            let exit = cc.wait(seconds: 60)
            guard exit == .status(0) else {
                let text = Files.readText(directory.file("cc.log").path)
                return .failure(HarnessError("cc failed (\(exit?.description ?? "timeout")): \(text)"))
            }
            return .success(output)
        } catch {
            return .failure(HarnessError("cannot build the shim: \(error)"))
        }
    }()

    /// Environment for a proxy under the shim; `faultLog` receives the injected-fault counts.
    static func environment(seed: UInt64, rate: Double, faultLog: URL) throws -> [String: String] {
        let library = try library.get()
        return ["LD_PRELOAD": library.path, "FAULTY_IO_SEED": String(seed), "FAULTY_IO_RATE": String(rate),
                "FAULTY_IO_LOG": faultLog.path]
    }

    /// "calls=N eintr=N eagain=N short=N" from the fault log, as numbers.
    static func counts(_ faultLog: URL) -> [String: Int] {
        let text = Files.readText(faultLog.path)
        var out: [String: Int] = [:]
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let kv = pair.split(separator: "=")
            if kv.count == 2, let n = Int(kv[1]) { out[String(kv[0])] = n }
        }
        return out
    }
}
