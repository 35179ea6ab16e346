import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The TLS origin (Tests/Support/tls_origin.py) on loopback, with a throwaway self-signed
/// certificate, for CONNECT tunnels. It exits when its stdin closes.
final class TLSOrigin: @unchecked Sendable {
    private let server: ScriptServer
    let port: UInt16

    init(directory: TemporaryDirectory) throws {
        let script = BuildLocation.repositoryRoot.appendingPathComponent("Tests/Support/tls_origin.py").path
        let server = try ScriptServer(script: script, arguments: [directory.url.path], keyword: "PORT", words: 2)
        self.server = server
        port = try server.port(1)
    }

    /// `https://127.0.0.1:<port><path>`.
    func url(_ path: String) -> String { "https://127.0.0.1:\(port)\(path)" }

    func stop() { server.stop() }
}
