import Foundation

/// One transfer of a curl run: status and head as curl saw them, and the body file.
struct CurlTransfer {
    var status: Int
    var head: HTTPResponse
    var bodyFile: URL
    var body: [UInt8] { Files.read(bodyFile.path) ?? [] }
}

/// The result of one curl process (possibly several URLs over one connection).
struct CurlResult {
    var exit: ChildProcess.Exit
    var transfers: [CurlTransfer]
    /// curl's `-w` output: per transfer "<http_code> <num_connects> <size_download>\n".
    var writeOut: String
    var stderr: String

    var succeeded: Bool { exit == .status(0) }
    /// New connections curl opened, summed over the transfers (1 means all shared one).
    var connectionsOpened: Int {
        writeOut.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }.reduce(0, +)
    }
}

/// Runs the real `curl` binary through the proxy.
enum Curl {

    /// Fetches `urls` in one curl process through `proxyPort` (curl reuses its connection
    /// between them). `options` go before the URLs; the run is bounded by `maxSeconds`.
    /// With `proxyPort` nil curl talks to the origin directly (the reference for comparisons).
    static func fetch(_ urls: [String], proxyPort: UInt16?, options: [String] = [], maxSeconds: Int = 30,
                      in directory: TemporaryDirectory) throws -> CurlResult {
        let tag = UUID().uuidString.prefix(8)
        let headFile = directory.file("curl-\(tag).head")
        var arguments = ["-q", "-sS", "--max-time", String(maxSeconds)]
        arguments += proxyPort.map { ["-x", "http://127.0.0.1:\($0)"] } ?? ["--noproxy", "*"]
        arguments += ["-D", headFile.path, "-w", "%{http_code} %{num_connects} %{size_download}\\n"]
        arguments += options
        var bodies: [URL] = []
        for (i, url) in urls.enumerated() {
            let body = directory.file("curl-\(tag)-\(i).body")
            bodies.append(body)
            arguments += [url, "-o", body.path]
        }
        let stdout = try directory.create("curl-\(tag).out")
        defer { close(stdout) }
        let stderr = try directory.create("curl-\(tag).err")
        defer { close(stderr) }
        let child = try ChildProcess("curl", arguments, environment: ChildEnvironment.minimal(), stdout: stdout, stderr: stderr)
        let exit = child.wait(seconds: Double(maxSeconds + 10)) ?? {
            child.kill9()
            return .signal(9)
        }()
        let writeOut = Files.readText(directory.file("curl-\(tag).out").path)
        let errText = Files.readText(directory.file("curl-\(tag).err").path)
        let heads = parseHeads(Files.readText(headFile.path))
        let codes = writeOut.split(separator: "\n").map { Int($0.split(separator: " ").first ?? "") ?? 0 }
        var transfers: [CurlTransfer] = []
        for (i, body) in bodies.enumerated() where i < heads.count {
            transfers.append(CurlTransfer(status: i < codes.count ? codes[i] : 0, head: heads[i], bodyFile: body))
        }
        return CurlResult(exit: exit, transfers: transfers, writeOut: writeOut, stderr: errText)
    }

    static func fetch(_ url: String, proxyPort: UInt16?, options: [String] = [], maxSeconds: Int = 30,
                      in directory: TemporaryDirectory) throws -> CurlResult {
        try fetch([url], proxyPort: proxyPort, options: options, maxSeconds: maxSeconds, in: directory)
    }

    /// The final (non-1xx) heads in a `-D` dump, in order.
    static func parseHeads(_ text: String) -> [HTTPResponse] {
        var heads: [HTTPResponse] = []
        for block in text.components(separatedBy: "\r\n\r\n") where block.hasPrefix("HTTP/") {
            var lines = block.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
            if status < 200 { continue }
            let fields = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            heads.append(HTTPResponse(status: status, statusLine: statusLine, fields: fields, body: [], rawHead: block))
        }
        return heads
    }
}
