import Logging

/// A swift-log handler that writes one JSON object per line, for log collectors and `jq`.
///
/// Each line has `time` (RFC 3339 UTC with microseconds), `severity` (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`),
/// `message` and `target` (the logger label), followed by every metadata entry as a top-level field, so
/// `jq -r '"\(.time) \(.severity) \(.message)"'` renders a readable log and `select(.peer == "...")` works without
/// digging into a nested object. Metadata keys that would overwrite one of the four fixed fields (or `error`, when
/// the event carries one) are written with a leading underscore instead, so a line never has duplicate keys.
public struct JSONLogHandler: LogHandler {
    private var core: HandlerCore

    /// The fields every line starts with; metadata with these names is renamed rather than dropped.
    static let reservedFields: Set<String> = ["time", "severity", "message", "target"]

    /// Creates a handler whose level is what `filter` says for `label`, resolved once here so that each log call
    /// pays only swift-log's level comparison.
    ///
    /// - Parameters:
    ///   - label: The logger label, written as `target` and matched against the filter's directives.
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

    /// The logger label this handler writes as `target`.
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

    /// Formats the event as one JSON line and hands it to the sink in a single call.
    public func log(event: LogEvent) {
        guard !core.isOff else { return }
        core.sink.write(line(for: event, at: core.clock()))
    }

    /// The line for `event` including the trailing newline; internal so tests can check it without a sink.
    func line(for event: LogEvent, at time: LogTimestamp) -> String {
        let metadata = core.mergedMetadata(for: event)
        var reserved = Self.reservedFields
        var output = "{\"time\":\""
        output.reserveCapacity(128)
        output.append(time.rfc3339)
        output.append("\",\"severity\":\"")
        output.append(LogSeverity(event.level).rawValue)
        output.append("\",\"message\":")
        JSONText.appendString(event.message.description, to: &output)
        output.append(",\"target\":")
        JSONText.appendString(core.label, to: &output)
        if let error = event.error {
            output.append(",\"error\":")
            JSONText.appendString(String(describing: error), to: &output)
            reserved.insert("error")
        }
        for key in HandlerCore.sortedKeys(metadata) {
            var name = key
            while reserved.contains(name) || (name != key && metadata[name] != nil) {
                name = "_" + name
            }
            reserved.insert(name)
            output.append(",")
            JSONText.appendString(name, to: &output)
            output.append(":")
            JSONText.appendValue(metadata[key]!, to: &output)
        }
        output.append("}\n")
        return output
    }
}
