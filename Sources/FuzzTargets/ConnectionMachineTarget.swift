import Proxy
import SafeParse

/// Fuzz target `connection-machine`: the whole `ConnectionMachine` in-process, driven by a
/// script of client bytes, origin bytes, connect results, closes and timer events (encoding:
/// MachineScript.swift), through an in-memory driver (`MachineDriverModel`) that checks every
/// action (`MachineObserver`). The cache does not exist yet: "nothing is cached from a failed
/// response" waits for it.
public enum ConnectionMachineTarget {
    public static func run(_ data: [UInt8]) {
        trap(on: check(data))
    }

    public static func check(_ data: [UInt8]) -> InvariantViolation? {
        execute(data, tracing: false).violation
    }

    /// The events delivered and the actions they produced, ending with the violation if any
    /// (for triage of a crash file).
    public static func trace(_ data: [UInt8]) -> [String] {
        let (violation, trace) = execute(data, tracing: true)
        return trace + (violation.map { ["VIOLATION: \($0.message)"] } ?? [])
    }

    static func execute(_ data: [UInt8], tracing: Bool) -> (violation: InvariantViolation?, trace: [String]) {
        guard let (options, events) = MachineScript.decode(data) else { return (nil, ["skipped: reserved option bit"]) }
        var driver = MachineDriverModel(engine: contexts[options.contextIndex],
                                        client: options.clientDenied ? deniedClient : allowedClient)
        if tracing { driver.trace = [] }
        do throws(InvariantViolation) {
            try driver.start()
            for event in events { try driver.run(event) }
            driver.trace?.append("end of script")
            try driver.finish()
            return (nil, driver.trace ?? [])
        } catch {
            return (error, driver.trace ?? [])
        }
    }

    static let allowedClient = SocketAddress.v4(address: 0x7F00_0001, port: 40000)
    static let deniedClient = SocketAddress.v4(address: 0x0A00_0001, port: 40000)

    /// One engine per option combination, made once (an engine is shared by connections).
    static let contexts: [EngineContext] = (0..<MachineOptions.combinations).map { index in
        var config = ProxyConfiguration()
        config.viaName = CannedMessages.viaName
        config.requestLimits = LimitsProfile(rawValue: UInt8(index & 3))?.limits ?? .default
        config.responseLimits = LimitsProfile(rawValue: UInt8((index >> 2) & 3))?.limits ?? .default
        // Response bodies stream unbounded in the proxy; keep that whatever the profile.
        config.responseLimits.maxBodyBytes = nil
        // CONNECT tunnels carry opaque bytes, which the output checks would read as HTTP: every
        // CONNECT is refused here (403), and tunnels are covered by the unit tests.
        config.connectPorts = []
        return EngineContext(config: config)
    }
}
