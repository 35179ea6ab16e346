import SafeParse

/// Requests addressed to the proxy itself: an origin-form target naming one of the admin
/// endpoints (`AdminEndpoints`: /_stats, /metrics, /_dashboard) is answered here instead of
/// with the 400 every other origin-form request gets. Nothing goes upstream.
///
/// Counting: a request answered by an endpoint counts in `total_requests` (its head was
/// parsed) and in the admin counts, not in the counts by status or the histograms, so a
/// scrape or the dashboard does not change what it reads. A refusal (403 outside
/// `--admin-allow`, 405 for other methods) counts as any error the proxy answers.
extension ConnectionMachine {
    /// Answers `head` if it names an admin endpoint; returns false (nothing done) otherwise.
    mutating func answerAdminRequest(_ head: RequestHead, bodyPending: Bool, now: UInt64, into out: inout [ConnectionAction]) -> Bool {
        guard case .origin(let range) = head.target, let endpoint = AdminEndpoints.route(target: head.bytes[range]) else {
            return false
        }
        let close = bodyPending || !(exchange?.clientPersistent ?? false) || clientEOF
        let isAdmin = engine.isAdmin(client)
        let answer = AdminEndpoints.answer(endpoint, method: String(decoding: head.methodBytes, as: UTF8.self), isAdmin: isAdmin,
                                           engine: engine, now: now, headOnly: head.method == .head, close: close)
        out.append(.writeClient(answer.bytes))
        engine.stats.bytesToClients.add(answer.bytes.count)
        let latency = engine.completionTime(eventTime: now) &- (exchange?.startedAt ?? now)
        if let reason = answer.errorReason {
            if !isAdmin {
                engine.metrics.countAdmin(.denied)
                out.append(.log(LogRecord(.warn, "admin_denied", [("path", .text(endpoint.rawValue)), ("client", .text(clientText))])))
            }
            engine.metrics.countError(reason)
            engine.stats.countResponse(status: answer.status)
            engine.metrics.recordResponse(status: answer.status, bytes: answer.bytes.count, latencyNanoseconds: latency)
        } else {
            engine.metrics.countAdmin(endpoint)
        }
        if logsInfo {
            out.append(.log(LogRecord(.info, "request_complete", [
                ("status", .int(answer.status)), ("bytes", .int(answer.bytes.count)), ("latency_ms", .int(Int(latency / 1_000_000))),
                ("cache", .text("BYPASS")), ("endpoint", .text(endpoint.rawValue)),
            ])))
        }
        exchange = nil
        if close {
            closeAll(into: &out)
        } else {
            phase = .awaitingRequest
            requestStarted = false
            arm(.clientIdle, config.timeouts.clientIdleMs, into: &out)
        }
        return true
    }
}
