/// Event loops over non-blocking sockets: `threads` loops (`-t`, default one per core), each
/// a thread running an `EventLoop` that accepts from the shared listening sockets and serves
/// its connections. The main thread only waits for the shutdown signal, then wakes the loops
/// so they stop accepting and close connections as their exchanges end.
struct EpollDriver: Driver {
    func serve(listener: Listener, engine: EngineContext, logger: Logger) -> Int32 {
        let log = LogBuffer(logger: logger, thread: "main")
        let live = AtomicCounter()
        let running = AtomicCounter()
        let count = max(1, engine.config.threads)
        var loops: [EventLoop] = []
        // The caps on idle origin connections hold for the process; each loop keeps its own.
        let budget = UpstreamIdleBudget(config: engine.config)
        for i in 1...count {
            let name = "loop-\(i)"
            do {
                let loop = try EventLoop(name: name, engine: engine, logger: logger, listeners: listener.fds, live: live, budget: budget)
                running.increment()
                if OSThread.spawn(name: name, {
                    engine.sandbox.enter(.worker)
                    loop.run()
                    running.decrement()
                }) {
                    loops.append(loop)
                } else {
                    running.decrement()
                    log.log(LogRecord(.error, "event_loop_start_failed", [("loop", .text(name))]))
                }
            } catch {
                log.log(LogRecord(.error, "event_loop_start_failed", [("loop", .text(name)), ("error", .text(error.description))]))
            }
        }
        guard !loops.isEmpty else {
            log.flush()
            return 1
        }
        log.log(LogRecord(.info, "Event loops started", [("loops", .int(loops.count))]))
        log.flush()
        engine.poolGauges.configure(workers: loops.count, maxQueueDepth: 0)
        engine.sandbox.enter(.acceptor)
        while true {
            guard let signal = listener.waitForShutdown(timeoutMs: 1000) else {
                log.flush()
                continue
            }
            log.log(LogRecord(.info, "shutdown_requested", [("signal", .int(Int(signal))), ("in_flight", .int(live.value))]))
            log.flush()
            engine.beginDraining()
            for loop in loops { loop.wake.signal() }
            let left = Drivers.drain(engine: engine, log: log) { running.value }
            if left > 0 { log.log(LogRecord(.warn, "drain_timeout", [("busy_loops", .int(left)), ("open_connections", .int(live.value))])) }
            return 0
        }
    }
}
