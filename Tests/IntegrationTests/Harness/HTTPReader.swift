import Foundation

/// One HTTP/1.1 response as the client received it.
struct HTTPResponse {
    var status: Int
    var statusLine: String
    /// Field lines in order, names as sent.
    var fields: [(name: String, value: String)]
    var body: [UInt8]
    /// The head as received, status line to the blank line.
    var rawHead: String

    /// Every value of `name` (case-insensitive), in order.
    func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
    func value(_ name: String) -> String? { values(name).first }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Reads responses off a `TCPClient`, keeping bytes that belong to the next one, so
/// pipelined responses can be read one after another.
final class HTTPReader {
    let client: TCPClient
    private var buffer: [UInt8] = []
    private var atEOF = false

    init(_ client: TCPClient) { self.client = client }

    /// The next response; `head` for an answer to HEAD (no body). Waits at most `timeoutMs`
    /// for each piece of data.
    func next(head: Bool = false, timeoutMs: Int32 = 10_000) throws -> HTTPResponse {
        let headEnd = try readUntil([0x0D, 0x0A, 0x0D, 0x0A], timeoutMs: timeoutMs)
        let headBytes = Array(buffer[0..<headEnd])
        buffer.removeFirst(headEnd)
        let text = String(decoding: headBytes, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw HarnessError("empty response head") }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw HarnessError("bad status line \(statusLine.debugDescription)")
        }
        var fields: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw HarnessError("bad field line \(line.debugDescription)") }
            fields.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = HTTPResponse(status: status, statusLine: statusLine, fields: fields, body: [], rawHead: text)
        if status < 200 {
            return try next(head: head, timeoutMs: timeoutMs) // interim: the final response follows
        }
        if head || status == 204 || status == 304 { return response }
        if response.value("Transfer-Encoding")?.lowercased() == "chunked" {
            response.body = try readChunked(timeoutMs: timeoutMs)
        } else if let length = response.value("Content-Length").flatMap(Int.init) {
            try fill(length, timeoutMs: timeoutMs)
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else {
            while !atEOF { try more(timeoutMs: timeoutMs) }
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// True once the server closed (reads until EOF, at most `timeoutMs`); false if it sent
    /// more bytes or kept the connection open.
    func serverClosed(timeoutMs: Int32) -> Bool {
        if !buffer.isEmpty { return false }
        do {
            try more(timeoutMs: timeoutMs)
        } catch {
            return false
        }
        return atEOF && buffer.isEmpty
    }

    private func more(timeoutMs: Int32) throws {
        guard !atEOF else { throw HarnessError("connection closed early (\(buffer.count) bytes buffered)") }
        let piece = try client.receive(timeoutMs: timeoutMs)
        if piece.isEmpty { atEOF = true } else { buffer.append(contentsOf: piece) }
    }

    private func fill(_ count: Int, timeoutMs: Int32) throws {
        while buffer.count < count { try more(timeoutMs: timeoutMs) }
    }

    /// Index just past the first occurrence of `marker`, reading as needed.
    private func readUntil(_ marker: [UInt8], timeoutMs: Int32) throws -> Int {
        var searched = 0
        while true {
            if buffer.count >= marker.count {
                var i = max(0, searched - marker.count)
                while i + marker.count <= buffer.count {
                    if buffer[i] == marker[0] && Array(buffer[i..<i + marker.count]) == marker { return i + marker.count }
                    i += 1
                }
                searched = buffer.count
            }
            try more(timeoutMs: timeoutMs)
        }
    }

    private func readChunked(timeoutMs: Int32) throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let lineEnd = try readUntil([0x0D, 0x0A], timeoutMs: timeoutMs)
            let line = String(decoding: buffer[0..<lineEnd - 2], as: UTF8.self)
            buffer.removeFirst(lineEnd)
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HarnessError("bad chunk size line \(line.debugDescription)")
            }
            if size == 0 {
                while true { // trailer section
                    let end = try readUntil([0x0D, 0x0A], timeoutMs: timeoutMs)
                    buffer.removeFirst(end)
                    if end == 2 { return body }
                }
            }
            try fill(size + 2, timeoutMs: timeoutMs)
            body.append(contentsOf: buffer[0..<size])
            guard buffer[size] == 0x0D, buffer[size + 1] == 0x0A else { throw HarnessError("chunk not followed by CRLF") }
            buffer.removeFirst(size + 2)
        }
    }
}
