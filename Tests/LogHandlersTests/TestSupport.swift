import Foundation
import LogHandlers
import Logging
import Locks
import Testing

/// Collects what the handlers write so tests can inspect each line.
final class LineCollector: Sendable {
    private let storage = Locked<[String]>([])

    var sink: LogSink {
        LogSink { [self] line in storage.withLock { $0.append(line) } }
    }

    var lines: [String] {
        storage.withLock { $0 }
    }
}

/// A fixed instant: 2026-11-25T12:34:56.123456Z.
let fixedTime = LogTimestamp(seconds: 1_795_610_096, nanoseconds: 123_456_789)

let fixedClock: @Sendable () -> LogTimestamp = { fixedTime }

/// A logger that writes `format` lines to `collector` with the fixed clock.
func makeLogger(
    label: String = "fzctl::tunnel",
    format: LogFormat,
    filter: LogFilter = LogFilter(defaultLevel: .trace),
    collector: LineCollector
) -> Logger {
    Logger(label: label, factory: LogSetup.makeFactory(format: format, filter: filter, sink: collector.sink,
                                                       clock: fixedClock))
}

/// Parses a JSON line into a dictionary, or nil if it is not one JSON object.
func parseJSONObject(_ line: String) -> [String: Any]? {
    guard let data = line.data(using: .utf8),
        let object = try? JSONSerialization.jsonObject(with: data),
        let dictionary = object as? [String: Any]
    else { return nil }
    return dictionary
}

/// The first line the collector received, parsed as a JSON object; fails the test if there is none.
func firstObject(_ collector: LineCollector) throws -> [String: Any] {
    let line = try #require(collector.lines.first)
    return try #require(parseJSONObject(line), "not a JSON object: \(line)")
}
