#if canImport(Glibc)
import Glibc
#endif

/// A process per connection (the spec's `fork` model). The parent only accepts, forks and
/// reaps; it stays single-threaded (no log writer, resolver or other threads: `ProxyServer`
/// starts none in this model), because only then may a child run ordinary code after
/// fork(). Each child serves its one connection with a `BlockingConnection`, logging as
/// `child-<pid>`, and leaves with `_exit(0)` on every path. Counters live in shared memory
/// (`ProxyStats`), so the parent's totals include the children's work.
///
/// Children are reaped when SIGCHLD arrives (read from the listener's signalfd), so none
/// stays a zombie; at most `maxConnections` live at once, and a connection over the cap gets
/// 503. On SIGTERM/SIGINT the parent stops accepting and passes SIGTERM on; children finish
/// their exchange, and those still running at the drain timeout are killed.
struct ForkDriver: Driver {
    func serve(listener: Listener, engine: EngineContext, logger: Logger) -> Int32 {
        let log = LogBuffer(logger: logger, thread: "main")
        var children = Set<pid_t>()
        // Children start under this filter and narrow it to `forkChild` at once.
        engine.sandbox.enter(.forkParent)
        while true {
            switch listener.next() {
            case .connection(let fd, let peer):
                engine.stats.acceptedConnections.add(1, ordering: .relaxed)
                Self.reap(&children, cache: engine.cache, stats: engine.stats)
                guard children.count < engine.config.maxConnections else {
                    Overload.reject(fd: fd, engine: engine, log: log, reason: "max_children")
                    continue
                }
                log.flush() // nothing buffered may be written twice, by parent and child
                let pid = fork()
                if pid == 0 {
                    Self.runChild(fd: fd, peer: peer, listener: listener, engine: engine, logger: logger)
                }
                if pid < 0 {
                    Overload.reject(fd: fd, engine: engine, log: log, reason: "fork_failed")
                    continue
                }
                Sys.close(fd)
                children.insert(pid)
            case .childExited:
                Self.reap(&children, cache: engine.cache, stats: engine.stats)
            case .shutdown(let signal):
                log.log(LogRecord(.info, "shutdown_requested", [("signal", .int(Int(signal))), ("children", .int(children.count))]))
                log.flush()
                engine.beginDraining()
                for pid in children { kill(pid, SIGTERM) }
                let left = Drivers.drain(engine: engine, log: log) {
                    Self.reap(&children, cache: engine.cache, stats: engine.stats)
                    return children.count
                }
                if left > 0 {
                    log.log(LogRecord(.warn, "drain_timeout", [("killed_children", .int(left))]))
                    for pid in children { kill(pid, SIGKILL) }
                    for pid in children { var status: Int32 = 0; _ = unsafe waitpid(pid, &status, 0) }
                }
                return 0
            case .idle:
                Self.reap(&children, cache: engine.cache, stats: engine.stats)
                log.flush()
            }
        }
    }

    /// Collects every child that has exited, without blocking. A child killed by a signal
    /// may have died in the middle of storing a response: its reservation in the shared cache
    /// is freed (`reclaimDeadWriters` walks the arena, so only then). Such a child could not
    /// drain its upstream pool either; the parent never pools, so once no child is alive
    /// nothing is idle and the shared idle gauge is set back to 0.
    static func reap(_ children: inout Set<pid_t>, cache: ResponseCache?, stats: ProxyStats) {
        var killed = false
        while true {
            var status: Int32 = 0
            let pid = unsafe waitpid(-1, &status, WNOHANG)
            if pid <= 0 { break }
            children.remove(pid)
            if status & 0x7F != 0 { killed = true } // WIFSIGNALED
        }
        if killed, let cache { _ = cache.store.reclaimDeadWriters() }
        if children.isEmpty { stats.upstreamIdle.store(0, ordering: .relaxed) }
    }

    /// The child: serves one connection, then exits without running the parent's exit
    /// handlers or flushing anything the parent owns. Before `_exit` it closes the origin
    /// connections its own pool still holds (parked when its client left), so the shared
    /// stats count them as closed (`closed_on_exit`) and no longer as idle.
    static func runChild(fd: Int32, peer: SocketAddress, listener: Listener, engine: EngineContext, logger: Logger) -> Never {
        listener.closeListeningSockets()
        engine.sandbox.enter(.forkChild) // before any byte of the client is read
        let name = "child-\(getpid())"
        let log = LogBuffer(logger: logger, thread: name)
        // SIGTERM from the parent arrives on the inherited signalfd, which now reports the
        // child's own signals: the connection finishes its exchange, then ends.
        BlockingConnection(engine: engine, clientFD: fd, peer: peer, log: log,
                           shutdownRequested: listener.shutdownSignalPending).run()
        engine.upstreamPool.closeAllOnExit()
        log.flush()
        _exit(0)
    }
}
