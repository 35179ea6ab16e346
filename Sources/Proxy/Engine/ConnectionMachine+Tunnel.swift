/// CONNECT tunnels (RFC 9110 §9.3.6): once the origin connection is up, the client gets
/// `200 Connection Established` and bytes pass through unchanged both ways until both sides
/// have closed. A half-close is propagated (the other socket is shut down for writing after
/// what was queued for it), and a tunnel idle in both directions for `tunnelIdleMs` ends.
extension ConnectionMachine {
    static let tunnelEstablished = Array("HTTP/1.1 200 Connection Established\r\n\r\n".utf8)

    /// The origin connection of a CONNECT is up: answer 200 and relay what the client already
    /// sent after its request head (a TLS ClientHello often arrives with it).
    mutating func openTunnel(now: UInt64, into out: inout [ConnectionAction]) {
        guard var ex = exchange else { return }
        phase = .tunneling
        ex.status = 200
        ex.sentUpstream = true
        ex.bytesToClient += Self.tunnelEstablished.count
        exchange = ex
        out.append(.writeClient(Self.tunnelEstablished))
        if logsInfo { out.append(.log(LogRecord(.info, "tunnel_open", [("host", .text(ex.host)), ("port", .int(Int(ex.port)))]))) }
        arm(.tunnelIdle, config.timeouts.tunnelIdleMs, into: &out)
        tunnelFromClient(into: &out)
        if clientEOF { tunnelClientClosed(now: now, into: &out) }
    }

    /// Client bytes waiting in the backlog go to the origin as they are.
    mutating func tunnelFromClient(into out: inout [ConnectionAction]) {
        guard !backlog.isEmpty else { return }
        let bytes = backlog
        backlog = []
        exchange?.requestBodyBytes += bytes.count
        out.append(.writeUpstream(bytes))
        arm(.tunnelIdle, config.timeouts.tunnelIdleMs, into: &out)
    }

    mutating func tunnelFromOrigin(_ bytes: Span<UInt8>, into out: inout [ConnectionAction]) {
        guard bytes.count > 0 else { return }
        var copy: [UInt8] = []
        copy.reserveCapacity(bytes.count)
        copy.append(bytes, 0..<bytes.count)
        exchange?.bytesToClient += bytes.count
        out.append(.writeClient(copy))
        arm(.tunnelIdle, config.timeouts.tunnelIdleMs, into: &out)
    }

    /// The client sent EOF: pass it on; the tunnel ends when the origin has closed too.
    mutating func tunnelClientClosed(now: UInt64, into out: inout [ConnectionAction]) {
        out.append(.shutdownUpstreamWrite)
        if tunnelUpstreamEOF { closeTunnel(nil, now: now, into: &out) }
    }

    /// The origin sent EOF: pass it on; the tunnel ends when the client has closed too.
    mutating func tunnelOriginClosed(now: UInt64, into out: inout [ConnectionAction]) {
        tunnelUpstreamEOF = true
        out.append(.shutdownClientWrite)
        if clientEOF { closeTunnel(nil, now: now, into: &out) }
    }

    /// Ends the tunnel: `reason` is nil for an orderly close by both sides. Logs the bytes
    /// relayed each way and the request's completion (status 200: the tunnel was made).
    mutating func closeTunnel(_ reason: String?, now: UInt64, into out: inout [ConnectionAction]) {
        if let ex = exchange {
            var fields: [(key: String, value: LogValue)] = [
                ("host", .text(ex.host)), ("port", .int(Int(ex.port))),
                ("bytes_up", .int(ex.requestBodyBytes)), ("bytes_down", .int(ex.bytesToClient - Self.tunnelEstablished.count)),
            ]
            if let reason { fields.append(("reason", .text(reason))) }
            out.append(.log(LogRecord(reason == nil ? .info : .warn, "tunnel_closed", fields)))
            logComplete(ex, now: now, into: &out)
        }
        exchange = nil
        closeAll(into: &out)
    }
}
