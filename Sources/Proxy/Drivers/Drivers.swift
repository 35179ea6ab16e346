/// A concurrency model: owns threads and sockets, runs `BlockingConnection`s, holds no HTTP
/// logic. `serve` returns after a shutdown signal once connections drained (or the drain
/// timeout passed).
protocol Driver {
    func serve(listener: Listener, engine: EngineContext, logger: Logger) -> Int32
}

enum Drivers {
    static func make(_ model: ConcurrencyModel) -> (any Driver)? {
        switch model {
        case .iterative: IterativeDriver()
        case .thread: ThreadDriver()
        case .pool: PoolDriver()
        case .epoll: EpollDriver()
        case .fork: ForkDriver()
        }
    }

    /// Waits until `active()` is 0 or the drain timeout passes; returns the number left.
    static func drain(engine: EngineContext, log: LogBuffer, active: () -> Int) -> Int {
        let deadline = Sys.monotonicNanoseconds() &+ engine.config.timeouts.drainMs &* 1_000_000
        while active() > 0 && Sys.monotonicNanoseconds() < deadline {
            Sys.sleep(milliseconds: 20)
        }
        return active()
    }
}

/// One connection at a time on the main thread.
struct IterativeDriver: Driver {
    func serve(listener: Listener, engine: EngineContext, logger: Logger) -> Int32 {
        let log = LogBuffer(logger: logger, thread: "main")
        engine.sandbox.enter(.servingAcceptor)
        while true {
            switch listener.next() {
            case .connection(let fd, let peer):
                engine.stats.acceptedConnections.add(1, ordering: .relaxed)
                engine.upstreamPool.maintain(now: Sys.monotonicNanoseconds())
                // Signals are only read in `next()`; while a connection is served, it checks
                // for one itself, so an idle keep-alive client cannot delay shutdown.
                BlockingConnection(engine: engine, clientFD: fd, peer: peer, log: log,
                                   shutdownRequested: listener.shutdownSignalPending).run()
            case .shutdown(let signal):
                log.log(LogRecord(.info, "shutdown_requested", [("signal", .int(Int(signal)))]))
                engine.beginDraining()
                log.flush()
                return 0
            case .idle, .childExited:
                engine.upstreamPool.maintain(now: Sys.monotonicNanoseconds())
                log.flush()
            }
        }
    }
}

/// A thread per connection, at most `maxConnections` at once; over the cap: 503.
struct ThreadDriver: Driver {
    func serve(listener: Listener, engine: EngineContext, logger: Logger) -> Int32 {
        let log = LogBuffer(logger: logger, thread: "main")
        let live = AtomicCounter()
        var counter = 0
        // Connection threads are created by this thread and inherit its filter.
        engine.sandbox.enter(.spawningAcceptor)
        while true {
            switch listener.next() {
            case .connection(let fd, let peer):
                engine.stats.acceptedConnections.add(1, ordering: .relaxed)
                engine.upstreamPool.maintain(now: Sys.monotonicNanoseconds())
                guard live.value < engine.config.maxConnections else {
                    Overload.reject(fd: fd, engine: engine, log: log, reason: "max_connections")
                    continue
                }
                counter += 1
                let name = "conn-\(counter)"
                live.increment()
                let started = OSThread.spawn(name: name) {
                    let connectionLog = LogBuffer(logger: logger, thread: name)
                    BlockingConnection(engine: engine, clientFD: fd, peer: peer, log: connectionLog).run()
                    live.decrement()
                }
                if !started {
                    live.decrement()
                    Overload.reject(fd: fd, engine: engine, log: log, reason: "thread_limit")
                }
            case .shutdown(let signal):
                log.log(LogRecord(.info, "shutdown_requested", [("signal", .int(Int(signal))), ("in_flight", .int(live.value))]))
                log.flush()
                engine.beginDraining()
                let left = Drivers.drain(engine: engine, log: log) { live.value }
                if left > 0 { log.log(LogRecord(.warn, "drain_timeout", [("abandoned", .int(left))])) }
                return 0
            case .idle, .childExited:
                engine.upstreamPool.maintain(now: Sys.monotonicNanoseconds())
                log.flush()
            }
        }
    }
}

/// N worker threads fed by a bounded queue of accepted connections; when the queue is full
/// the acceptor answers 503 with Retry-After and closes.
struct PoolDriver: Driver {
    func serve(listener: Listener, engine: EngineContext, logger: Logger) -> Int32 {
        let log = LogBuffer(logger: logger, thread: "main")
        let queue = BoundedQueue<(fd: Int32, peer: SocketAddress)>(capacity: engine.config.queueCapacity)
        let running = AtomicCounter()
        let workers = max(1, engine.config.threads)
        for i in 1...workers {
            running.increment()
            let name = "worker-\(i)"
            let started = OSThread.spawn(name: name) {
                engine.sandbox.enter(.worker)
                let workerLog = LogBuffer(logger: logger, thread: name)
                while let job = queue.pop() {
                    engine.poolGauges.queueDepth.store(queue.depth, ordering: .relaxed)
                    engine.poolGauges.busyWorkers.add(1, ordering: .relaxed)
                    BlockingConnection(engine: engine, clientFD: job.fd, peer: job.peer, log: workerLog).run()
                    engine.poolGauges.busyWorkers.subtract(1, ordering: .relaxed)
                }
                workerLog.flush()
                running.decrement()
            }
            if !started {
                running.decrement()
                log.log(LogRecord(.error, "worker_start_failed", [("worker", .text(name))]))
            }
        }
        log.log(LogRecord(.info, "Thread pool started with \(workers) workers", []))
        log.flush()
        engine.poolGauges.configure(workers: workers, maxQueueDepth: queue.capacity)
        // Last: threads started after this would inherit the acceptor's filter.
        engine.sandbox.enter(.acceptor)
        while true {
            switch listener.next() {
            case .connection(let fd, let peer):
                engine.stats.acceptedConnections.add(1, ordering: .relaxed)
                engine.upstreamPool.maintain(now: Sys.monotonicNanoseconds())
                if !queue.tryPush((fd, peer)) {
                    Overload.reject(fd: fd, engine: engine, log: log, reason: "queue_full")
                }
                engine.poolGauges.queueDepth.store(queue.depth, ordering: .relaxed)
            case .shutdown(let signal):
                log.log(LogRecord(.info, "shutdown_requested", [("signal", .int(Int(signal))), ("queued", .int(queue.depth))]))
                log.flush()
                engine.beginDraining()
                queue.close()
                let left = Drivers.drain(engine: engine, log: log) { running.value }
                if left > 0 { log.log(LogRecord(.warn, "drain_timeout", [("busy_workers", .int(left))])) }
                return 0
            case .idle, .childExited:
                engine.upstreamPool.maintain(now: Sys.monotonicNanoseconds())
                log.flush()
            }
        }
    }
}
