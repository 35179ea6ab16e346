import Testing
import Proxy
#if canImport(Glibc)
import Glibc
#endif

@Suite struct LoggerTests {
    /// A pipe nobody reads fills up, the writer thread blocks on it, and the logger must then
    /// drop (and count) lines instead of blocking the workers or growing without bound.
    @Test func aStalledDestinationDropsAndCountsInsteadOfBlocking() throws {
        var fds: [Int32] = [0, 0]
        try #require(unsafe pipe(&fds) == 0)
        defer { close(fds[0]) }
        let logger = Logger(minimumLevel: .info, capacityBytes: 16 * 1024, fd: fds[1])
        let buffer = LogBuffer(logger: logger, thread: "worker-1")
        let lines = 20_000
        for i in 0..<lines {
            buffer.log(LogRecord(.info, "request_complete", [("status", .int(200)), ("n", .int(i))]))
        }
        buffer.flush()
        // 20,000 lines of ~90 bytes cannot fit in a 64 KiB pipe plus a 16 KiB queue.
        #expect(logger.dropped > 0)
        #expect(logger.dropped < lines)
        // Drain the pipe so the writer can finish, then stop it.
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        var sink = [UInt8](repeating: 0, count: 65536)
        var drained = 0
        let deadline = clock() + 5 * clock_t(CLOCKS_PER_SEC)
        while clock() < deadline {
            let n = unsafe read(fds[0], &sink, sink.count)
            if n > 0 { drained += n } else if drained > 0 { break }
        }
        logger.shutdown()
        close(fds[1])
        #expect(drained > 0)
    }

    @Test(arguments: [(LogLevel.info, false), (LogLevel.debug, true)])
    func debugLinesAppearOnlyInVerboseMode(level: LogLevel, debugShown: Bool) throws {
        var fds: [Int32] = [0, 0]
        try #require(unsafe pipe(&fds) == 0)
        defer { close(fds[0]) }
        let logger = Logger(minimumLevel: level, synchronous: true, fd: fds[1])
        let buffer = LogBuffer(logger: logger, thread: "worker-2")
        buffer.log(LogRecord(.debug, "cache_lookup", [("result", .text("MISS"))]))
        buffer.log(LogRecord(.info, "request_start"))
        buffer.flush()
        close(fds[1])
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = unsafe read(fds[0], &bytes, bytes.count)
        let text = String(decoding: bytes[0..<max(n, 0)], as: UTF8.self)
        #expect(text.contains("] [INFO] [worker-2] request_start\n"))
        #expect(text.contains("] [DEBUG] [worker-2] cache_lookup result=MISS\n") == debugShown)
    }
}

