#if canImport(Glibc)
import Glibc
#endif

/// Turning a connection away when the proxy is at capacity: a 503 with Retry-After written
/// without blocking for long (best effort), then close. The acceptor never queues beyond its
/// bound.
enum Overload {
    /// Most time the acceptor spends writing one rejection, waiting for a send buffer.
    static let writeBudgetMs: UInt64 = 50

    /// `waitMs` bounds the wait for a full send buffer (0 for an event loop: one attempt).
    static func reject(fd: Int32, engine: EngineContext, log: LogBuffer, reason: String, waitMs: UInt64 = writeBudgetMs) {
        engine.stats.rejectedConnections.add(1, ordering: .relaxed)
        engine.metrics.countError("overloaded_" + reason)
        let page = ErrorPage.render(status: 503, detail: "The proxy is overloaded; retry shortly.", via: engine.config.viaName,
                                    close: true, extraFields: ["Retry-After: 1"])
        writeBriefly(fd, page, waitMs: waitMs)
        Sys.shutdownWrite(fd)
        Sys.close(fd)
        log.log(LogRecord(.warn, "overloaded", [("reason", .text(reason)), ("status", .int(503))]))
    }

    /// Writes `bytes` to a non-blocking socket, continuing after short writes and waiting for
    /// POLLOUT at most `waitMs` in all; gives up silently on an error or at the deadline.
    static func writeBriefly(_ fd: Int32, _ bytes: [UInt8], waitMs: UInt64 = writeBudgetMs) {
        let deadline = Sys.monotonicNanoseconds() &+ waitMs &* 1_000_000
        var offset = 0
        while offset < bytes.count {
            do {
                let n = try Sys.send(fd, bytes[offset...])
                if n == 0 { return }
                offset += n
            } catch {
                let now = Sys.monotonicNanoseconds()
                guard error.isWouldBlock, now < deadline else { return }
                var fds = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
                _ = try? Sys.poll(&fds, timeoutMs: Int32((deadline - now) / 1_000_000) + 1)
            }
        }
    }
}
