import Testing
#if canImport(Glibc)
import Glibc
#endif
import Proxy

@Suite struct CommandLineTests {
    private func config(_ args: [String]) throws -> ProxyConfiguration {
        guard case .run(let box) = try Proxy.CommandLine.parse(args) else {
            Issue.record("expected a configuration")
            return ProxyConfiguration()
        }
        return box.config
    }

    private func usageError(_ args: [String]) -> String? {
        do {
            _ = try Proxy.CommandLine.parse(args)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func defaultsMatchTheSpec() throws {
        let c = try config([])
        #expect(c.port == 8080)
        #expect(c.model == .epoll)
        #expect(c.threads == max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))), "one event loop per core")
        #expect(try config(["-c", "pool"]).threads == 4, "the spec's default for pool")
        #expect(c.cacheMegabytes == 10)
        #expect(!c.verbose)
        #expect(c.listenAddresses == ["0.0.0.0"])
        #expect(c.allow.map(\.description) == ["127.0.0.0/8", "::1/128"])
    }

    @Test func upstreamPoolAndReadBufferOptions() throws {
        let d = try config([])
        #expect(d.upstreamIdlePerHost == 64 && d.upstreamIdleTotal == 256 && d.loopReadBytes == 65_536)
        let c = try config(["--upstream-keepalive", "8", "--loop-read-buffer", "16384"])
        #expect(c.upstreamIdlePerHost == 8 && c.loopReadBytes == 16_384)
        #expect(usageError(["--loop-read-buffer", "1000"]) != nil, "below 4096")
        #expect(usageError(["--loop-read-buffer", "2097152"]) != nil, "above 1 MiB")
    }

    @Test func notSentLowWaterOption() throws {
        #expect(try config([]).notSentLowWaterBytes == 32_768)
        #expect(try config(["--notsent-lowat", "0"]).notSentLowWaterBytes == 0, "0: the kernel's default")
        #expect(try config(["--notsent-lowat=131072"]).notSentLowWaterBytes == 131_072)
        #expect(usageError(["--notsent-lowat", "-1"]) != nil)
        #expect(usageError(["--notsent-lowat", "16777217"]) != nil, "above 16 MiB")
        #expect(usageError(["--notsent-lowat", "32k"]) != nil, "bytes, as a number")
        // Only epoll's sockets get it; a blocked thread would be woken once per mark.
        #expect(try config(["-c", "epoll"]).effectiveNotSentLowWaterBytes == 32_768)
        for model in ["iterative", "fork", "thread", "pool"] {
            #expect(try config(["-c", model, "--notsent-lowat", "65536"]).effectiveNotSentLowWaterBytes == 0, "\(model)")
        }
    }

    @Test func specShortOptionsAndLongForms() throws {
        let short = try config(["-p", "9000", "-c", "thread", "-t", "8", "-m", "50", "-v"])
        let long = try config(["--port", "9000", "--concurrency=thread", "--threads", "8", "--cache-mb", "50", "--verbose"])
        #expect(short.port == 9000 && short.model == .thread && short.threads == 8 && short.cacheMegabytes == 50 && short.verbose)
        #expect(ProxyConfigurationBox(short) == ProxyConfigurationBox(long))
    }

    @Test func ipv6IsAddedToTheDefaultIPv4Listener() throws {
        #expect(try config(["-6"]).listenAddresses == ["0.0.0.0", "::"])
        #expect(try config(["--ipv6", "--listen", "127.0.0.1"]).listenAddresses == ["127.0.0.1", "::"])
    }

    @Test func sandboxModeAndChecks() throws {
        #expect(try config([]).sandbox == .enforce)
        #expect(try config(["--sandbox", "log"]).sandbox == .log)
        #expect(try config(["--sandbox=off"]).sandbox == .off)
        #expect(try config(["--sandbox-test-violation"]).sandboxTestViolation)
        #expect(usageError(["--sandbox", "strict"]) == "unknown sandbox mode 'strict': expected enforce, log or off")
        #expect(try Proxy.CommandLine.parse(["--check-sandbox"]) == .checkSandbox)
        #expect(try Proxy.CommandLine.parse(["--print-sandbox-policy"]) == .printSandboxPolicy)
    }

    @Test func logLevelOption() throws {
        #expect(try config(["--log-level", "warn"]).logLevel == .warn)
        #expect(try config(["-v"]).logLevel == .debug)
        #expect(try config([]).logLevel == .info)
        #expect(usageError(["--log-level", "loud"]) == "unknown log level 'loud': expected debug, info, warn or error")
    }

    @Test func cacheOptions() throws {
        let c = try config(["-m", "64", "--cache-max-object", "1048576", "--cache-heuristic", "off", "--cache-default-ttl", "30",
                            "--cache-set-cookie", "on"])
        #expect(c.cacheMegabytes == 64 && c.cacheMaxObjectBytes == 1_048_576)
        #expect(!c.cacheHeuristic && c.cacheDefaultLifetimeSeconds == 30 && c.cacheSetCookie)
        #expect(try !config([]).cacheSetCookie, "Set-Cookie responses are not stored by default")
        #expect(usageError(["--cache-set-cookie", "yes"]) == "--cache-set-cookie takes on or off, not 'yes'")
    }

    @Test func cacheShardsOption() throws {
        #expect(try config([]).cacheShards == 0, "automatic by default")
        #expect(try config(["--cache-shards", "8"]).cacheShards == 8)
        #expect(try config(["-m", "16", "--cache-shards", "64"]).cacheShards == 64, "256 KiB shards")
        #expect(usageError(["--cache-shards", "65"]) == "invalid value '65' for --cache-shards: expected a number in 0...64")
        #expect(usageError(["--cache-shards", "64"])
                    == "--cache-shards 64 leaves less than 256 KiB per shard of the 10 MB cache; use fewer shards or a larger -m")
        #expect(try config(["-m", "0", "--cache-shards", "64"]).cacheShards == 64, "no cache, nothing to cut")
    }

    @Test func barePositionalPortAsInTheProxyLab() throws {
        #expect(try config(["15213"]).port == 15213)
        #expect(usageError(["15213", "-p", "80"]) == "port given twice")
    }

    @Test func listenAllowAndLimits() throws {
        let c = try config(["--listen", "::1", "--listen", "127.0.0.1", "--allow", "10.0.0.0/8", "--allow", "::1",
                            "--max-body", "1000", "--max-headers", "20", "--client-head-timeout", "500", "--via-name", "edge-1"])
        #expect(c.listenAddresses == ["::1", "127.0.0.1"])
        #expect(c.allow.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(c.requestLimits.maxBodyBytes == 1000 && c.requestLimits.maxFieldCount == 20)
        #expect(c.timeouts.clientHeadMs == 500)
        #expect(c.viaName == "edge-1")
    }

    @Test(arguments: [
        (["-p", "0"], "invalid value '0' for -p: expected a number in 1...65535"),
        (["-p", "70000"], "invalid value '70000' for -p: expected a number in 1...65535"),
        (["-p"], "option -p needs a value"),
        (["-c", "select"], "unknown concurrency model 'select': expected iterative, fork, thread, pool or epoll"),
        (["--bogus"], "unknown option '--bogus'"),
        (["-t", "x"], "invalid value 'x' for -t: expected a number in 1...1024"),
        (["--allow", "300.1.1.1/8"], "invalid CIDR '300.1.1.1/8' for --allow"),
        (["--listen", "localhost"], "invalid listen address 'localhost': expected a numeric IPv4 or IPv6 address"),
        (["--via-name", "a b"], "invalid --via-name 'a b': use letters, digits and punctuation, no spaces or commas"),
    ])
    func invalidOptionsGiveAClearMessage(args: [String], message: String) {
        #expect(usageError(args) == message)
    }

    @Test(arguments: ["iterative", "fork", "thread", "pool", "epoll"])
    func everyModelOfTheSpecIsBuilt(model: String) throws {
        #expect(try config(["-c", model]).model.rawValue == model)
    }

    @Test func epollRunsOneLoopPerCoreUnlessToldOtherwise() throws {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(try config(["-c", "epoll"]).threads == max(1, cores))
        #expect(try config(["-c", "epoll", "-t", "3"]).threads == 3)
        #expect(try config(["-t", "3", "-c", "epoll"]).threads == 3)
        #expect(try config(["-c", "pool"]).threads == 4)
    }

    @Test func versionPrintsTheVersion() throws {
        for option in ["-V", "--version"] {
            guard case .version(let text) = try Proxy.CommandLine.parse(["-p", "9000", option]) else {
                Issue.record("expected the version for \(option)")
                continue
            }
            #expect(text.hasPrefix("portcullis \(PortcullisVersion.string) (libseccomp 2."), "\(text)")
        }
    }

    @Test func helpPrintsUsage() throws {
        guard case .help(let text) = try Proxy.CommandLine.parse(["--help"]) else {
            Issue.record("expected help")
            return
        }
        #expect(text.hasPrefix("Usage: proxy [-p port] [-c iterative|fork|thread|pool|epoll] [-t num_threads] [-m cache_size_mb] [-v]"))
    }
}

@Suite struct CIDRTests {
    @Test(arguments: [
        ("127.0.0.0/8", "127.255.1.2", true), ("127.0.0.0/8", "128.0.0.1", false),
        ("10.1.0.0/16", "10.1.200.3", true), ("10.1.0.0/16", "10.2.0.1", false),
        ("0.0.0.0/0", "203.0.113.9", true), ("192.168.1.7", "192.168.1.7", true), ("192.168.1.7", "192.168.1.8", false),
        ("::1/128", "::1", true), ("::1/128", "::2", false), ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false), ("127.0.0.0/8", "::ffff:127.0.0.1", true), ("::1/128", "127.0.0.1", false),
        ("10.0.0.0/9", "10.127.255.255", true), ("10.0.0.0/9", "10.128.0.0", false),
    ])
    func membership(block: String, address: String, inside: Bool) throws {
        let cidr = try #require(CIDR(block))
        let addr = try #require(SocketAddress(numericHost: address, port: 1))
        #expect(cidr.contains(addr) == inside)
    }

    @Test(arguments: ["", "1.2.3.4/33", "::1/129", "1.2.3/8", "a.b.c.d", "1.2.3.4/-1", "1.2.3.4/8/9"])
    func malformedBlocksAreRejected(text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test func networkIsMaskedToItsPrefix() {
        #expect(CIDR("10.1.2.3/8")?.description == "10.0.0.0/8")
    }
}

@Suite struct LogFormatTests {
    private func line(_ record: LogRecord) -> String {
        var out: [UInt8] = []
        LogFormat.appendLine(record, thread: "worker-3", timestamp: "2024-01-15T10:00:15.123Z", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func specFormat() {
        let text = line(LogRecord(.info, "request_start", [("method", .text("GET")), ("uri", .text("http://a/b")), ("client", .text("127.0.0.1:54321"))]))
        #expect(text == "[2024-01-15T10:00:15.123Z] [INFO] [worker-3] request_start method=GET uri=http://a/b client=127.0.0.1:54321\n")
    }

    @Test func valuesWithSpacesQuotesAndControlBytesAreQuotedAndEscaped() {
        let text = line(LogRecord(.warn, "x", [("error", .text("Name or service not known")),
                                               ("uri", .bytes(Array("/a\"b\\c\r\n[2024] [INFO] fake=1\u{1}".utf8) + [0xFF])), ("n", .int(-3))]))
        #expect(text == "[2024-01-15T10:00:15.123Z] [WARN] [worker-3] x error=\"Name or service not known\" uri=\"/a\\\"b\\\\c\\r\\n[2024] [INFO] fake=1\\x01\\xff\" n=-3\n")
        #expect(text.utf8.filter { $0 == 0x0A }.count == 1) // one record, one line
    }

    @Test func emptyValuesAreQuoted() {
        #expect(line(LogRecord(.debug, "e", [("v", .text(""))])).hasSuffix("e v=\"\"\n"))
    }
}
