/// Start-up and shutdown around a driver: binds the listeners, prints the spec's start-up
/// block, serves until SIGINT/SIGTERM, drains, prints a final stats line.
public enum ProxyServer {
    /// Writes `text` to stderr unbuffered (usage errors, before any logger exists).
    public static func printError(_ text: String) {
        Logger.writeAll(2, Array(text.utf8))
    }

    /// Runs the proxy; returns the process exit status.
    public static func run(_ config: ProxyConfiguration) -> Int32 {
        Sys.ignoreSIGPIPE()
        guard let driver = Drivers.make(config.model) else {
            return 2 // rejected earlier by CommandLine; kept as a guard
        }
        // The listener blocks the shutdown signals; it must exist before any thread starts.
        let listener: Listener
        do {
            listener = try Listener(config: config, watchChildren: config.model == .fork)
        } catch {
            let logger = Logger(minimumLevel: .info, synchronous: true)
            logger.log(LogRecord(.error, "listen_failed", [("error", .text(error.description))]), thread: "main")
            return 1
        }
        // The fork model's parent must stay single-threaded: no log writer thread (lines are
        // written as they are flushed) and no resolver threads (children resolve inline).
        let singleThreaded = config.model == .fork
        let sandbox = Sandbox(mode: config.sandbox, testViolation: config.sandboxTestViolation)
        do throws(SandboxError) {
            try sandbox.prepare()
        } catch {
            let logger = Logger(minimumLevel: .info, synchronous: true)
            logger.log(LogRecord(.error, "sandbox_failed", [("error", .text(error.description))]), thread: "main")
            return 1
        }
        let logger = Logger(minimumLevel: config.logLevel, format: config.logFormat, synchronous: singleThreaded,
                            capacityBytes: config.logBufferLines * 256,
                            onWriterStart: { sandbox.enter(.logger) })
        let engine = EngineContext(config: config, sandbox: sandbox)
        let log = LogBuffer(logger: logger, thread: "main")
        log.log(LogRecord(.info, "Proxy starting", [("version", .text(PortcullisVersion.string))]))
        log.log(LogRecord(.info, "Configuration:", [
            ("port", .int(Int(config.port))), ("concurrency", .text(config.model.displayName)),
            ("workers", .int(config.threads)), ("cache_mb", .int(config.cacheMegabytes)),
            ("verbose", .text(config.verbose ? "enabled" : "disabled")), ("via", .text(config.viaName)),
            ("allow", .text(config.allow.map(\.description).joined(separator: ","))),
            ("admin_allow", .text(config.adminAllow.map(\.description).joined(separator: ","))),
            ("metrics", .text(config.metricsEnabled ? "on" : "off")),
        ]))
        log.log(LogRecord(.info, "Sandbox", sandbox.startupFields))
        for address in listener.addresses {
            log.log(LogRecord(.info, "Listening on \(address)", []))
        }
        log.flush()
        // After the listening lines, as in the specification's start-up example.
        if let cache = engine.cache {
            logger.log(LogRecord(.info, "LRU cache initialized (max \(config.cacheMegabytes) MB)", [
                ("arena_bytes", .int(cache.store.capacityBytes)), ("max_object_bytes", .int(cache.store.maxObjectBytes)),
                ("shards", .int(cache.store.shardCount)), ("shared", .text("MAP_SHARED")),
            ]), thread: "cache")
        } else if config.cacheMegabytes > 0 {
            logger.log(LogRecord(.error, "cache_unavailable", [("reason", .text("the shared arena could not be mapped")), ("cache_mb", .int(config.cacheMegabytes))]),
                       thread: "cache")
        } else {
            logger.log(LogRecord(.info, "cache disabled (-m 0)", []), thread: "cache")
        }
        if !singleThreaded { engine.resolver.start { _ in sandbox.enter(.resolver) } }
        let status = driver.serve(listener: listener, engine: engine, logger: logger)
        engine.resolver.shutdown()
        engine.upstreamPool.closeAllOnExit()
        listener.close()
        log.log(LogRecord(.info, "shutdown_complete", engine.stats.summaryFields + [("log_dropped", .int(logger.dropped)), ("sandbox_installs", .int(sandbox.installs))]))
        log.flush()
        logger.shutdown()
        return status
    }
}
