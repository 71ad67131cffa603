import Foundation
import LogHandlers
import Logging
import Testing

@Suite("JSONLogHandler")
struct JSONLogHandlerTests {
    @Test("a line is one JSON object with time, severity, message and target")
    func lineHasFixedFields() throws {
        let collector = LineCollector()
        let logger = makeLogger(format: .json, collector: collector)
        logger.info("tunnel up")

        let lines = collector.lines
        try #require(lines.count == 1)
        #expect(lines[0].hasSuffix("\n"))
        #expect(lines[0].dropLast().contains("\n") == false)
        let object = try #require(parseJSONObject(lines[0]))
        #expect(object["time"] as? String == "2026-11-25T12:34:56.123456Z")
        #expect(object["severity"] as? String == "INFO")
        #expect(object["message"] as? String == "tunnel up")
        #expect(object["target"] as? String == "fzctl::tunnel")
        #expect(object.count == 4)
    }

    @Test("the real clock gives RFC 3339 UTC with sub-second digits")
    func timeFormat() throws {
        let collector = LineCollector()
        let logger = Logger(label: "t", factory: LogSetup.makeFactory(format: .json, sink: collector.sink))
        logger.info("now")
        let object = try firstObject(collector)
        let time = try #require(object["time"] as? String)
        let pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
        #expect(time.wholeMatch(of: pattern) != nil, "time was \(time)")

        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(formatter.date(from: time))
        #expect(abs(parsed.timeIntervalSinceNow) < 60)
    }

    @Test(
        "swift-log levels map to the five RUST_LOG severities",
        arguments: [
            (Logger.Level.trace, "TRACE"), (.debug, "DEBUG"), (.info, "INFO"), (.notice, "INFO"),
            (.warning, "WARN"), (.error, "ERROR"), (.critical, "ERROR"),
        ]
    )
    func severityMapping(level: Logger.Level, expected: String) throws {
        let collector = LineCollector()
        let logger = makeLogger(format: .json, collector: collector)
        logger.log(level: level, "x")
        let object = try firstObject(collector)
        #expect(object["severity"] as? String == expected)
        #expect(LogSeverity(level).rawValue == expected)
    }

    @Test("quotes, backslashes, newlines and control characters are escaped")
    func escaping() throws {
        let collector = LineCollector()
        var logger = makeLogger(label: "odd \"label\"", format: .json, collector: collector)
        logger[metadataKey: "path"] = "C:\\tmp\\\"x\""
        let message = "line one\nline \"two\"\t\\ end\r\u{01}\u{1F} ünï 🚀"
        logger.warning("\(message)")

        let line = try #require(collector.lines.first)
        #expect(line.filter { $0 == "\n" }.count == 1, "only the terminating newline is raw")
        #expect(line.contains("\\u0001"))
        let object = try #require(parseJSONObject(line))
        #expect(object["message"] as? String == message)
        #expect(object["target"] as? String == "odd \"label\"")
        #expect(object["path"] as? String == "C:\\tmp\\\"x\"")
    }

    @Test("handler metadata and per-call metadata become top-level fields, the call winning")
    func metadataFields() throws {
        let collector = LineCollector()
        var logger = makeLogger(format: .json, collector: collector)
        logger[metadataKey: "peer"] = "abc="
        logger[metadataKey: "conn"] = "handler"
        logger.info(
            "handshake",
            metadata: [
                "conn": "call",
                "count": .stringConvertible(3),
                "ok": .stringConvertible(true),
                "ratio": .stringConvertible(0.5),
                "nested": ["a": "1", "b": ["x", "y"]],
                "list": ["1", .stringConvertible(2)],
            ]
        )
        let object = try firstObject(collector)
        #expect(object["peer"] as? String == "abc=")
        #expect(object["conn"] as? String == "call")
        #expect(object["count"] as? Int == 3)
        #expect(object["ok"] as? Bool == true)
        #expect(object["ratio"] as? Double == 0.5)
        let nested = try #require(object["nested"] as? [String: Any])
        #expect(nested["a"] as? String == "1")
        #expect(nested["b"] as? [String] == ["x", "y"])
        let list = try #require(object["list"] as? [Any])
        #expect(list.count == 2)
        #expect(list[0] as? String == "1")
        #expect(list[1] as? Int == 2)
    }

    @Test("metadata from the metadata provider is merged between handler and call metadata")
    func metadataProvider() throws {
        let collector = LineCollector()
        let provider = Logger.MetadataProvider { ["request": "r1", "conn": "provider"] }
        var logger = Logger(label: "p") { label in
            JSONLogHandler(label: label, filter: LogFilter(defaultLevel: .trace), sink: collector.sink,
                           metadataProvider: provider, clock: fixedClock)
        }
        logger[metadataKey: "conn"] = "handler"
        logger[metadataKey: "site"] = "s"
        logger.info("x")
        let object = try firstObject(collector)
        #expect(object["request"] as? String == "r1")
        #expect(object["conn"] as? String == "provider")
        #expect(object["site"] as? String == "s")
    }

    @Test("metadata named like a fixed field is renamed instead of producing duplicate keys")
    func reservedKeys() throws {
        let collector = LineCollector()
        let logger = makeLogger(format: .json, collector: collector)
        logger.info("real", metadata: ["message": "fake", "time": "t", "_time": "u"])
        let line = try #require(collector.lines.first)
        #expect(line.components(separatedBy: "\"message\":").count == 2)
        let object = try #require(parseJSONObject(line))
        #expect(object["message"] as? String == "real")
        #expect(object["_message"] as? String == "fake")
        #expect(object["time"] as? String == "2026-11-25T12:34:56.123456Z")
        #expect(object["_time"] as? String == "u")
        #expect(object["__time"] as? String == "t")
    }

    @Test("the exact line for a fixed clock")
    func exactLine() {
        let collector = LineCollector()
        let logger = makeLogger(label: "wireguard", format: .json, collector: collector)
        logger.error("boom", metadata: ["b": "2", "a": "1"])
        #expect(
            collector.lines == [
                #"{"time":"2026-11-25T12:34:56.123456Z","severity":"ERROR","message":"boom","target":"wireguard","#
                    + #""a":"1","b":"2"}"# + "\n"
            ]
        )
    }

    @Test("lines logged from many tasks arrive whole")
    func concurrentLogging() async throws {
        let collector = LineCollector()
        let logger = makeLogger(format: .json, collector: collector)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<100 {
                        logger.info("message", metadata: ["task": "\(task)", "index": "\(index)"])
                    }
                }
            }
        }
        let lines = collector.lines
        #expect(lines.count == 800)
        #expect(lines.allSatisfy { parseJSONObject($0) != nil })
    }
}

@Suite("LogTimestamp")
struct LogTimestampTests {
    @Test(
        "formats as RFC 3339 UTC with microseconds",
        arguments: [
            (Int64(0), Int32(0), "1970-01-01T00:00:00.000000Z"),
            (1_795_610_096, 123_456_789, "2026-11-25T12:34:56.123456Z"),
            (951_782_400, 999_999_999, "2000-02-29T00:00:00.999999Z"),
            (4_107_542_399, 1000, "2100-02-28T23:59:59.000001Z"),
            (-1, 500_000_000, "1969-12-31T23:59:59.500000Z"),
        ]
    )
    func formatting(seconds: Int64, nanoseconds: Int32, expected: String) {
        #expect(LogTimestamp(seconds: seconds, nanoseconds: nanoseconds).rfc3339 == expected)
    }

    @Test("agrees with Foundation for the current time")
    func matchesFoundation() throws {
        let now = LogTimestamp.now()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let date = Date(timeIntervalSince1970: TimeInterval(now.seconds))
        #expect(now.rfc3339.prefix(19) == formatter.string(from: date).prefix(19))
    }
}
