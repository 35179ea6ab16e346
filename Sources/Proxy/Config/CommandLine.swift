/// The command line: exactly the spec's `proxy [-p port] [-c model] [-t num_threads]
/// [-m cache_size_mb] [-v]`, their long forms, a bare positional port (as the CS:APP proxy
/// lab runs `proxy 15213`), and options for addresses, access, timeouts and limits.
/// Parsing is separate from running so that tests can check every message and exit status.
public enum CommandLine {
    /// The smallest shard `--cache-shards` may leave (a shard's index, fill table and lock take
    /// about 10 KiB of it; half the rest is the largest object).
    static let minimumShardBytes = 256 << 10

    public enum Outcome: Equatable {
        case run(ProxyConfigurationBox)
        case help(String)
        /// `-V`, `--version`: the version line.
        case version(String)
        /// `--check-sandbox`: try forbidden and allowed calls under the worker policy.
        case checkSandbox
        /// `--print-sandbox-policy`: every role's allowlist with reasons (for SECURITY.md).
        case printSandboxPolicy
    }

    /// A usage error: the message to print; the process exits 2.
    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static let usage = """
    Usage: proxy [-p port] [-c iterative|fork|thread|pool|epoll] [-t num_threads] [-m cache_size_mb] [-v] [port]

    Options:
      -p, --port N               Listen port (default 8080)
      -c, --concurrency MODEL    iterative, fork, thread, pool or epoll (default epoll)
      -t, --threads N            Worker threads for pool (default 4); event loops for epoll (default: one per core)
      -m, --cache-mb N           Max cache size in MB, 0 = no cache (default 10)
          --cache-max-object BYTES   Largest response stored; larger ones stream uncached (default 4194304)
          --cache-shards N           Cache shards, each with its own lock and LRU, 1-64 (default 0: from -m
                                     and the largest object, up to 16); an object fits half a shard
          --cache-heuristic on|off   Heuristic freshness from Last-Modified, RFC 9111 4.2.2 (default on)
          --cache-default-ttl S      Lifetime of responses without freshness information (default 0: always revalidate)
          --cache-set-cookie on|off  Store responses that carry Set-Cookie (default off)
      -v, --verbose              Verbose logging (DEBUG lines); same as --log-level debug
          --log-level LEVEL      debug, info (default), warn or error
          --log-format FORMAT    text (default: the spec's lines) or json (one object per line)
          --admin-allow CIDR     Client block that may read /_stats, /metrics and /_dashboard, repeatable;
                                 replaces the default 127.0.0.0/8 and ::1 (others get 403)
          --metrics on|off       Per-request metrics: counts by status, histograms, errors (default on)
      -h, --help                 Show this help
      -V, --version              Print the version (and the libseccomp linked in) and exit
          --listen ADDR          Listen address, repeatable; replaces the default 0.0.0.0
      -6, --ipv6                 Also listen on :: (IPv6), in addition to the IPv4 address(es)
          --allow CIDR           Allowed client block, repeatable; replaces the default 127.0.0.0/8 and ::1
          --via-name NAME        Name used in Via and for loop detection (default: host name)
          --max-connections N    Open client connections at once (default 1024)
          --queue-capacity N     Pool queue bound; when full new connections get 503 (default 128)
          --client-head-timeout MS   Time to receive a request head (default 30000)
          --client-idle-timeout MS   Keep-alive idle time between requests (default 75000)
          --connect-timeout MS       Upstream connect timeout (default 10000)
          --response-timeout MS      Time to the upstream response head (default 60000)
          --body-idle-timeout MS     Longest gap between body bytes, either way (default 60000)
          --drain-timeout MS         Grace period for in-flight requests on SIGTERM (default 10000)
          --tunnel-idle-timeout MS   Close a CONNECT tunnel idle this long (default 300000)
          --connect-ports LIST       Ports CONNECT may reach, comma-separated (default 443)
          --upstream-keepalive N     Idle origin connections kept per host for reuse, 0 = off (default 64)
          --upstream-keepalive-total N   Idle origin connections kept in all (default 256)
          --upstream-idle-timeout MS Close a pooled origin connection idle this long (default 60000)
          --loop-read-buffer BYTES   epoll: bytes read at once into the loop's one buffer; also the most a
                                     connection buffers per direction (default 65536)
          --notsent-lowat BYTES      epoll: unsent bytes queued per socket before writes come up short
                                     (TCP_NOTSENT_LOWAT), 0 = kernel default, no limit (default 32768)
          --max-request-line BYTES   Request line limit, 414 above (default 8192)
          --max-header-line BYTES    One header line limit, 431 above (default 8192)
          --max-headers N            Header field count limit, 431 above (default 100)
          --max-head BYTES           Whole request head limit, 431 above (default 65536)
          --max-body BYTES           Request body limit, 413 above (default unlimited)
          --sandbox MODE             seccomp filters: enforce (default; a forbidden call kills the process), log, off
          --check-sandbox            Try forbidden and allowed calls under the worker policy, print the table, exit
          --print-sandbox-policy     Print each role's system call allowlist and exit
          --sandbox-test-violation   For tests: each serving thread makes one forbidden call (execve)
    """

    public static func parse(_ arguments: [String]) throws(UsageError) -> Outcome {
        var config = ProxyConfiguration()
        var listen: [String] = []
        var allow: [CIDR] = []
        var adminAllow: [CIDR] = []
        var portSeen = false
        var ipv6 = false
        var threadsSeen = false
        var i = 0

        func value(_ option: String) throws(UsageError) -> String {
            i += 1
            guard i < arguments.count else { throw UsageError(message: "option \(option) needs a value") }
            return arguments[i]
        }
        func number<T: FixedWidthInteger>(_ option: String, _ text: String, _ range: ClosedRange<T>) throws(UsageError) -> T {
            guard let n = T(text), range.contains(n) else {
                throw UsageError(message: "invalid value '\(text)' for \(option): expected a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        func setPort(_ option: String, _ text: String) throws(UsageError) {
            if portSeen { throw UsageError(message: "port given twice") }
            config.port = try number(option, text, 1...65535)
            portSeen = true
        }

        while i < arguments.count {
            let arg = arguments[i]
            // Accept --option=value as well as --option value.
            var option = arg
            var inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                option = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            func next() throws(UsageError) -> String {
                if let inline { return inline }
                return try value(option)
            }
            switch option {
            case "-h", "--help":
                return .help(usage)
            case "-V", "--version":
                return .version("portcullis \(PortcullisVersion.string) (libseccomp \(PortcullisVersion.seccompLibrary))")
            case "--check-sandbox":
                return .checkSandbox
            case "--print-sandbox-policy":
                return .printSandboxPolicy
            case "--sandbox":
                let text = try next()
                guard let mode = SandboxMode(rawValue: text) else {
                    throw UsageError(message: "unknown sandbox mode '\(text)': expected enforce, log or off")
                }
                config.sandbox = mode
            case "--sandbox-test-violation": config.sandboxTestViolation = true
            case "-p", "--port":
                try setPort(option, try next())
            case "-c", "--concurrency":
                let text = try next()
                guard let model = ConcurrencyModel(rawValue: text) else {
                    throw UsageError(message: "unknown concurrency model '\(text)': expected iterative, fork, thread, pool or epoll")
                }
                config.model = model
            case "-t", "--threads":
                config.threads = try number(option, try next(), 1...1024)
                threadsSeen = true
            case "-m", "--cache-mb": config.cacheMegabytes = try number(option, try next(), 0...1_048_576)
            case "--cache-max-object": config.cacheMaxObjectBytes = try number(option, try next(), 1...(1 << 40))
            case "--cache-shards": config.cacheShards = try number(option, try next(), 0...CacheStore.maxShards)
            case "--cache-default-ttl": config.cacheDefaultLifetimeSeconds = try number(option, try next(), 0...(1 << 31))
            case "--cache-heuristic":
                let text = try next()
                guard text == "on" || text == "off" else { throw UsageError(message: "--cache-heuristic takes on or off, not '\(text)'") }
                config.cacheHeuristic = text == "on"
            case "--cache-set-cookie":
                let text = try next()
                guard text == "on" || text == "off" else { throw UsageError(message: "--cache-set-cookie takes on or off, not '\(text)'") }
                config.cacheSetCookie = text == "on"
            case "-v", "--verbose": config.verbose = true; config.logLevel = .debug
            case "--log-level":
                let text = try next()
                guard let level = LogLevel(name: text) else {
                    throw UsageError(message: "unknown log level '\(text)': expected debug, info, warn or error")
                }
                config.logLevel = level
                config.verbose = level == .debug
            case "--log-format":
                let text = try next()
                guard let format = LogOutputFormat(rawValue: text) else {
                    throw UsageError(message: "unknown log format '\(text)': expected text or json")
                }
                config.logFormat = format
            case "--admin-allow":
                let text = try next()
                guard let block = CIDR(text) else { throw UsageError(message: "invalid CIDR '\(text)' for --admin-allow") }
                adminAllow.append(block)
            case "--metrics":
                let text = try next()
                guard text == "on" || text == "off" else { throw UsageError(message: "invalid value '\(text)' for --metrics: expected on or off") }
                config.metricsEnabled = text == "on"
            case "--listen":
                let text = try next()
                let host = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
                guard SocketAddress(numericHost: host, port: 0) != nil else {
                    throw UsageError(message: "invalid listen address '\(text)': expected a numeric IPv4 or IPv6 address")
                }
                listen.append(host)
            case "-6", "--ipv6": ipv6 = true
            case "--allow":
                let text = try next()
                guard let block = CIDR(text) else { throw UsageError(message: "invalid CIDR '\(text)' for --allow") }
                allow.append(block)
            case "--via-name":
                let text = try next()
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2C }) else {
                    throw UsageError(message: "invalid --via-name '\(text)': use letters, digits and punctuation, no spaces or commas")
                }
                config.viaName = text
            case "--max-connections": config.maxConnections = try number(option, try next(), 1...1_000_000)
            case "--queue-capacity": config.queueCapacity = try number(option, try next(), 1...1_000_000)
            case "--client-head-timeout": config.timeouts.clientHeadMs = try number(option, try next(), 1...86_400_000)
            case "--client-idle-timeout": config.timeouts.clientIdleMs = try number(option, try next(), 1...86_400_000)
            case "--connect-timeout": config.timeouts.upstreamConnectMs = try number(option, try next(), 1...86_400_000)
            case "--response-timeout": config.timeouts.upstreamResponseMs = try number(option, try next(), 1...86_400_000)
            case "--body-idle-timeout": config.timeouts.bodyIdleMs = try number(option, try next(), 1...86_400_000)
            case "--drain-timeout": config.timeouts.drainMs = try number(option, try next(), 0...86_400_000)
            case "--upstream-keepalive": config.upstreamIdlePerHost = try number(option, try next(), 0...10_000)
            case "--upstream-keepalive-total": config.upstreamIdleTotal = try number(option, try next(), 0...1_000_000)
            case "--loop-read-buffer": config.loopReadBytes = try number(option, try next(), 4096...1_048_576)
            case "--notsent-lowat": config.notSentLowWaterBytes = try number(option, try next(), 0...16_777_216)
            case "--upstream-idle-timeout": config.timeouts.upstreamIdleMs = try number(option, try next(), 1...86_400_000)
            case "--tunnel-idle-timeout": config.timeouts.tunnelIdleMs = try number(option, try next(), 1...86_400_000)
            case "--connect-ports":
                let text = try next()
                var ports: [UInt16] = []
                for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                    ports.append(try number(option, String(part), 1...65535))
                }
                config.connectPorts = ports
            case "--max-request-line": config.requestLimits.maxRequestLineBytes = try number(option, try next(), 64...1 << 20)
            case "--max-header-line": config.requestLimits.maxFieldLineBytes = try number(option, try next(), 64...1 << 20)
            case "--max-headers": config.requestLimits.maxFieldCount = try number(option, try next(), 1...10_000)
            case "--max-head": config.requestLimits.maxHeadBytes = try number(option, try next(), 256...1 << 24)
            case "--max-body": config.requestLimits.maxBodyBytes = try number(option, try next(), 0...UInt64(Int64.max))
            default:
                if arg.hasPrefix("-") { throw UsageError(message: "unknown option '\(arg)'") }
                try setPort("port", arg)
            }
            i += 1
        }
        if !listen.isEmpty { config.listenAddresses = listen }
        if ipv6 && !config.listenAddresses.contains("::") { config.listenAddresses.append("::") }
        if !allow.isEmpty { config.allow = allow }
        if !adminAllow.isEmpty { config.adminAllow = adminAllow }
        if config.model == .epoll && !threadsSeen { config.threads = Sys.onlineProcessors() }
        if config.cacheShards > 0 && config.cacheMegabytes > 0
            && (config.cacheMegabytes << 20) / config.cacheShards < CommandLine.minimumShardBytes {
            throw UsageError(message: "--cache-shards \(config.cacheShards) leaves less than 256 KiB per shard of "
                + "the \(config.cacheMegabytes) MB cache; use fewer shards or a larger -m")
        }
        guard ConcurrencyModel.implemented.contains(config.model) else {
            throw UsageError(message: "concurrency model '\(config.model.rawValue)' is not built yet; available: "
                + ConcurrencyModel.implemented.map(\.rawValue).joined(separator: ", "))
        }
        return .run(ProxyConfigurationBox(config))
    }
}

/// Equatable wrapper so `Outcome` can be compared in tests (configurations compare by fields
/// that matter to the command line).
public struct ProxyConfigurationBox: Equatable {
    public let config: ProxyConfiguration
    public init(_ config: ProxyConfiguration) { self.config = config }
    public static func == (a: Self, b: Self) -> Bool {
        a.config.port == b.config.port && a.config.model == b.config.model && a.config.threads == b.config.threads
            && a.config.cacheMegabytes == b.config.cacheMegabytes && a.config.verbose == b.config.verbose
            && a.config.listenAddresses == b.config.listenAddresses && a.config.allow == b.config.allow
            && a.config.timeouts == b.config.timeouts && a.config.sandbox == b.config.sandbox && a.config.requestLimits == b.config.requestLimits
            && a.config.adminAllow == b.config.adminAllow && a.config.metricsEnabled == b.config.metricsEnabled
            && a.config.logFormat == b.config.logFormat
    }
}
