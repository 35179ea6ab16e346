import Proxy
import SafeParse

/// Fuzz target `connection-machine`: the whole `ConnectionMachine` in-process, driven by a
/// script of client bytes, origin bytes, connect results, closes and timer events (encoding:
/// MachineScript.swift), through an in-memory driver (`MachineDriverModel`) that checks every
/// action (`MachineObserver`). Each input gets a new engine with its own small cache and a fixed
/// wall clock, so an input means the same thing whatever ran before it; at the end every entry
/// in that cache must carry the body of a response the origin completed (nothing is cached from
/// a failed response: one cut short by EOF or a reset, or malformed).
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
        let engine = EngineContext(config: configurations[options.contextIndex], wallClock: (wallSecondsAtStart, 1_000_000_000))
        var driver = MachineDriverModel(engine: engine, client: options.clientDenied ? deniedClient : allowedClient)
        if tracing { driver.trace = [] }
        do throws(InvariantViolation) {
            try driver.start()
            for event in events { try driver.run(event) }
            driver.trace?.append("end of script")
            try driver.finish()
            try checkCachedBodies(engine, driver.observer)
            return (nil, driver.trace ?? [])
        } catch {
            return (error, driver.trace ?? [])
        }
    }

    static let allowedClient = SocketAddress.v4(address: 0x7F00_0001, port: 40000)
    static let deniedClient = SocketAddress.v4(address: 0x0A00_0001, port: 40000)

    /// Nothing is cached from a failed response: every stored entry's body is the decoded body
    /// of a final response the origin sent completely on one of the input's upstream
    /// connections.
    static func checkCachedBodies(_ engine: EngineContext, _ observer: MachineObserver) throws(InvariantViolation) {
        guard let store = engine.cache?.store else { return }
        let entries = store.snapshotByRecency()
        guard !entries.isEmpty else { return }
        let completed = observer.connections.flatMap { connection in
            connection.responses.messages.filter { $0.isComplete && !$0.isInterim }.map(\.body)
        }
        for entry in entries where !completed.contains(entry.body) {
            throw InvariantViolation("cached \(entry.body.count) body bytes that no complete origin response carried (key "
                                     + MachineDriverModel.text(entry.key) + ")")
        }
    }

    /// The wall-clock second at the driver's starting monotonic time (1 s): fixed, so freshness
    /// does not depend on when the input runs.
    static let wallSecondsAtStart: Int64 = 1_700_000_000

    /// One configuration per option combination; each input makes its engine (and cache) anew.
    static let configurations: [ProxyConfiguration] = (0..<MachineOptions.combinations).map { index in
        var config = ProxyConfiguration()
        config.viaName = CannedMessages.viaName
        config.requestLimits = LimitsProfile(rawValue: UInt8(index & 3))?.limits ?? .default
        config.responseLimits = LimitsProfile(rawValue: UInt8((index >> 2) & 3))?.limits ?? .default
        // Response bodies stream unbounded in the proxy; keep that whatever the profile.
        config.responseLimits.maxBodyBytes = nil
        // CONNECT tunnels carry opaque bytes, which the output checks would read as HTTP: every
        // CONNECT is refused here (403), and tunnels are covered by the unit tests.
        config.connectPorts = []
        // A small cache (the arena is made per input), its largest object the store's limit;
        // two shards (of 512 KiB), so that keys are routed as in the proxy's larger caches.
        config.cacheMegabytes = 1
        config.cacheShards = 2
        return config
    }
}
