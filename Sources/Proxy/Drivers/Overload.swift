/// Turning a connection away when the proxy is at capacity: a 503 with Retry-After written
/// without blocking (best effort), then close. The acceptor never queues beyond its bound.
enum Overload {
    static func reject(fd: Int32, engine: EngineContext, log: LogBuffer, reason: String) {
        engine.stats.rejectedConnections.add(1, ordering: .relaxed)
        let page = ErrorPage.render(status: 503, detail: "The proxy is overloaded; retry shortly.", via: engine.config.viaName,
                                    close: true, extraFields: ["Retry-After: 1"])
        _ = try? Sys.send(fd, page[...])
        Sys.shutdownWrite(fd)
        Sys.close(fd)
        log.log(LogRecord(.warn, "overloaded", [("reason", .text(reason)), ("status", .int(503))]))
    }
}
