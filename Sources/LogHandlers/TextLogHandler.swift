import Logging

/// A swift-log handler that writes human-readable lines for a terminal:
/// `2026-11-25T12:34:56.123456Z INFO target: message key=value ...`.
///
/// Every record stays on one line: control characters in the message are escaped, and metadata values that
/// contain spaces, quotes, `=` or control characters are quoted, so `grep` and `less` show one event per line
/// and a crafted value cannot fake another log line. Nested dictionaries and arrays are written as compact JSON.
public struct TextLogHandler: LogHandler {
    private var core: HandlerCore

    /// Creates a handler whose level is what `filter` says for `label`, resolved once here so that each log call
    /// pays only swift-log's level comparison.
    ///
    /// - Parameters:
    ///   - label: The logger label, printed as the target and matched against the filter's directives.
    ///   - filter: The `RUST_LOG` style filter; defaults to everything at `info` and above.
    ///   - sink: Where finished lines go; standard error unless a test or the CLI passes another.
    ///   - metadataProvider: Contextual metadata added to every line, as given to `LoggingSystem.bootstrap`.
    ///   - clock: The time source; tests pass a fixed one.
    public init(
        label: String,
        filter: LogFilter = .default,
        sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) {
        self.init(label: label, level: filter.level(for: label), sink: sink, metadataProvider: metadataProvider,
                  clock: clock)
    }

    /// Creates a handler with an explicit filter level, for callers that resolved the level themselves.
    public init(
        label: String,
        level: LogFilter.Level,
        sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) {
        core = HandlerCore(label: label, level: level, sink: sink, metadataProvider: metadataProvider, clock: clock)
    }

    /// The logger label this handler prints as the target.
    public var label: String { core.label }

    /// The lowest level written. Starts at the filter's level for the label; setting it overrides the filter,
    /// including `off`.
    public var logLevel: Logger.Level {
        get { core.logLevel }
        set { core.logLevel = newValue }
    }

    /// Metadata written on every line from this logger.
    public var metadata: Logger.Metadata {
        get { core.metadata }
        set { core.metadata = newValue }
    }

    /// Contextual metadata (for example task-local request ids) merged into every line.
    public var metadataProvider: Logger.MetadataProvider? {
        get { core.metadataProvider }
        set { core.metadataProvider = newValue }
    }

    /// One metadata entry written on every line from this logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { core.metadata[key] }
        set { core.metadata[key] = newValue }
    }

    /// Formats the event as one text line and hands it to the sink in a single call.
    public func log(event: LogEvent) {
        guard !core.isOff else { return }
        core.sink.write(line(for: event, at: core.clock()))
    }

    /// The line for `event` including the trailing newline; internal so tests can check it without a sink.
    func line(for event: LogEvent, at time: LogTimestamp) -> String {
        var output = time.rfc3339
        output.reserveCapacity(96)
        output.append(" ")
        output.append(LogSeverity(event.level).rawValue)
        output.append(" ")
        if !core.label.isEmpty {
            Self.appendEscaped(core.label, to: &output)
            output.append(": ")
        }
        Self.appendEscaped(event.message.description, to: &output)
        if let error = event.error {
            output.append(" error=")
            Self.appendTextValue(String(describing: error), to: &output)
        }
        let metadata = core.mergedMetadata(for: event)
        for key in HandlerCore.sortedKeys(metadata) {
            output.append(" ")
            Self.appendTextValue(key, to: &output)
            output.append("=")
            switch metadata[key]! {
            case .string(let string):
                Self.appendTextValue(string, to: &output)
            case .stringConvertible(let convertible):
                Self.appendTextValue(convertible.description, to: &output)
            case let nested:
                JSONText.appendValue(nested, to: &output)
            }
        }
        output.append("\n")
        return output
    }

    /// Writes `value` bare when that is unambiguous, otherwise as a JSON-escaped quoted string.
    private static func appendTextValue(_ value: String, to output: inout String) {
        let needsQuotes = value.isEmpty || value.utf8.first == UInt8(ascii: "[")
            || value.utf8.first == UInt8(ascii: "{")
            || value.utf8.contains { byte in
                byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=")
                    || byte == UInt8(ascii: "\\")
            }
        if needsQuotes {
            JSONText.appendString(value, to: &output)
        } else {
            output.append(value)
        }
    }

    /// Writes free text (message, target) with control characters escaped so the record stays on one line.
    private static func appendEscaped(_ text: String, to output: inout String) {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            output.append(text)
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                output.append("\\u{" + hex + "}")
            default:
                output.unicodeScalars.append(scalar)
            }
        }
    }
}
