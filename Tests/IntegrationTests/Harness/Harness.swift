import Foundation
import Testing

/// One test's world: a temporary directory, a test origin and the proxy under test.
///
///     let h = try Harness(model: "pool")
///     defer { h.finish() }
///
/// `finish()` stops the proxy with the shutdown checks of `ProxyUnderTest.finish()` (unless the
/// test already stopped it), stops the origin and removes the directory; `deinit` kills
/// (by pid) whatever is still running if a test never got there.
///
/// Test bodies are plain function bodies, not closures passed to a helper: with Swift 6.3, a
/// closure literal inside `#expect(...)` within an enclosing closure can share its symbol with
/// a later closure of that enclosing closure, which then silently runs the wrong code.
final class Harness {
    let directory: TemporaryDirectory
    let origin: TestOrigin
    let proxy: ProxyUnderTest
    private var finished = false

    static let models = ["iterative", "fork", "thread", "pool", "epoll"]

    init(model: String, options: [String] = [], environment: [String: String] = [:]) throws {
        directory = try TemporaryDirectory("integ")
        do {
            origin = try TestOrigin()
        } catch {
            directory.remove()
            throw error
        }
        do {
            proxy = try ProxyUnderTest(model: model, options: options, environment: environment, in: directory)
        } catch {
            origin.stop()
            directory.remove()
            throw error
        }
    }

    /// Stops everything; the proxy must shut down cleanly (see `ProxyUnderTest.finish`).
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        guard !finished else { return }
        finished = true
        proxy.finish(sourceLocation: sourceLocation)
        origin.stop()
        directory.remove()
    }

    deinit {
        if !finished {
            proxy.child.kill9()
            origin.stop()
            directory.remove()
        }
    }

    /// curl through the proxy to the origin's `paths`.
    func curl(_ paths: [String], options: [String] = [], maxSeconds: Int = 30) throws -> CurlResult {
        try Curl.fetch(paths.map(origin.url), proxyPort: proxy.port, options: options, maxSeconds: maxSeconds, in: directory)
    }

    func curl(_ path: String, options: [String] = [], maxSeconds: Int = 30) throws -> CurlResult {
        try curl([path], options: options, maxSeconds: maxSeconds)
    }

    /// A raw client connected to the proxy.
    func connect() throws -> TCPClient { try TCPClient(port: proxy.port) }

    /// `GET http://127.0.0.1:<origin><path> HTTP/1.1` with Host, and `extra` field lines.
    func get(_ path: String, extra: [String] = []) -> String {
        var text = "GET \(origin.url(path)) HTTP/1.1\r\nHost: 127.0.0.1:\(origin.port)\r\n"
        for line in extra { text += line + "\r\n" }
        return text + "\r\n"
    }
}
