import LogHandlers
import Logging
import Testing

@Suite("LogFilter")
struct LogFilterTests {
    @Test("an empty or blank specification means info everywhere", arguments: ["", "  ", ",", " , "])
    func emptyIsInfo(specification: String) throws {
        let filter = try LogFilter(parsing: specification)
        #expect(filter == LogFilter.default)
        #expect(filter.level(for: "anything") == .info)
    }

    @Test("a bare level sets the default, case-insensitively, warning meaning warn")
    func bareLevel() throws {
        #expect(try LogFilter(parsing: "DEBUG").defaultLevel == .debug)
        #expect(try LogFilter(parsing: "Warning").defaultLevel == .warn)
        #expect(try LogFilter(parsing: "warn").defaultLevel == .warn)
        #expect(try LogFilter(parsing: "off").defaultLevel == .off)
        #expect(try LogFilter(parsing: "info,error").defaultLevel == .error, "the later directive wins")
    }

    @Test("target=level applies to the target and what lies below it after '.' or '::'")
    func perTarget() throws {
        let filter = try LogFilter(parsing: "info,wireguard=debug,fzctl::tunnel=trace")
        #expect(filter.defaultLevel == .info)
        #expect(filter.targetLevels == ["wireguard": .debug, "fzctl::tunnel": .trace])
        #expect(filter.level(for: "wireguard") == .debug)
        #expect(filter.level(for: "wireguard.handshake") == .debug)
        #expect(filter.level(for: "wireguard::timers") == .debug)
        #expect(filter.level(for: "wireguardx") == .info, "a prefix must end at a separator")
        #expect(filter.level(for: "fzctl::tunnel") == .trace)
        #expect(filter.level(for: "fzctl::tunnel::dns") == .trace)
        #expect(filter.level(for: "fzctl") == .info)
        #expect(filter.level(for: "fzctl::other") == .info)
    }

    @Test("the longest matching target wins whatever the order")
    func longestPrefix() throws {
        for specification in ["a=error,a.b=debug,a.b.c=trace", "a.b.c=trace,a.b=debug,a=error"] {
            let filter = try LogFilter(parsing: specification)
            #expect(filter.level(for: "a") == .error)
            #expect(filter.level(for: "a.x") == .error)
            #expect(filter.level(for: "a.b") == .debug)
            #expect(filter.level(for: "a.b::y") == .debug)
            #expect(filter.level(for: "a.b.c.d") == .trace)
        }
    }

    @Test("whitespace around directives and parts is ignored")
    func whitespace() throws {
        let filter = try LogFilter(parsing: " warn , wireguard = TRACE ,")
        #expect(filter == LogFilter(defaultLevel: .warn, targetLevels: ["wireguard": .trace]))
        #expect(filter.description == "warn,wireguard=trace")
    }

    @Test(
        "bad directives are rejected, naming the directive in one line",
        arguments: [
            ("info,wireguard=verbose", LogFilterError.unknownLevel(directive: "wireguard=verbose", level: "verbose")),
            ("loud", .unknownLevel(directive: "loud", level: "loud")),
            ("=debug", .emptyTarget(directive: "=debug")),
            ("info, =debug", .emptyTarget(directive: "=debug")),
            ("wireguard=", .missingLevel(directive: "wireguard=")),
            ("a=b=c", .tooManyEquals(directive: "a=b=c")),
        ]
    )
    func badDirectives(specification: String, expected: LogFilterError) {
        #expect(throws: expected) { try LogFilter(parsing: specification) }
        do {
            _ = try LogFilter(parsing: specification)
        } catch {
            #expect(error.directive == expected.directive)
            #expect(error.description.contains("\"\(expected.directive)\""))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("the error message says what is wrong and what is accepted")
    func errorMessage() {
        let error = LogFilterError.unknownLevel(directive: "wireguard=verbose", level: "verbose")
        #expect(
            error.description
                == "invalid log filter directive \"wireguard=verbose\": unknown level \"verbose\"; "
                + "use trace, debug, info, warn, error or off, alone for the default or as target=level"
        )
    }

    @Test("filter levels map onto swift-log levels")
    func loggerLevels() {
        #expect(LogFilter.Level.trace.loggerLevel == .trace)
        #expect(LogFilter.Level.debug.loggerLevel == .debug)
        #expect(LogFilter.Level.info.loggerLevel == .info)
        #expect(LogFilter.Level.warn.loggerLevel == .warning)
        #expect(LogFilter.Level.error.loggerLevel == .error)
        #expect(LogFilter.Level.off.loggerLevel == nil)
    }
}

@Suite("Filtering in the handlers")
struct HandlerFilteringTests {
    let filter = LogFilter(defaultLevel: .warn, targetLevels: ["wireguard": .debug, "noisy": .off])

    @Test("the handler's level is the filter's level for its label", arguments: LogFormat.allCases)
    func levelFromFilter(format: LogFormat) {
        let collector = LineCollector()
        let factory = LogSetup.makeFactory(format: format, filter: filter, sink: collector.sink, clock: fixedClock)
        #expect(Logger(label: "wireguard.timers", factory: factory).logLevel == .debug)
        #expect(Logger(label: "other", factory: factory).logLevel == .warning)

        let wireguard = Logger(label: "wireguard.timers", factory: factory)
        wireguard.trace("dropped")
        wireguard.debug("kept")
        let other = Logger(label: "other", factory: factory)
        other.info("dropped")
        other.notice("dropped")
        other.warning("kept")
        #expect(collector.lines.count == 2)
        #expect(collector.lines.allSatisfy { $0.contains("kept") })
    }

    @Test("off silences every level, and setting logLevel overrides the filter", arguments: LogFormat.allCases)
    func off(format: LogFormat) {
        let collector = LineCollector()
        let factory = LogSetup.makeFactory(format: format, filter: filter, sink: collector.sink, clock: fixedClock)
        var noisy = Logger(label: "noisy::part", factory: factory)
        noisy.critical("dropped")
        noisy.error("dropped")
        #expect(collector.lines.isEmpty)

        noisy.logLevel = .info
        noisy.info("kept")
        #expect(collector.lines.count == 1)
    }

    @Test("a logger copied from another keeps its own level")
    func valueSemantics() {
        let collector = LineCollector()
        let factory = LogSetup.makeFactory(format: .text, filter: filter, sink: collector.sink, clock: fixedClock)
        let original = Logger(label: "other", factory: factory)
        var copy = original
        copy.logLevel = .trace
        #expect(original.logLevel == .warning)
        #expect(copy.logLevel == .trace)
    }
}
