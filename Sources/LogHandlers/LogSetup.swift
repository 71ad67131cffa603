import Logging

/// The two output formats: `json` for collectors and `jq`, `text` for a person at a terminal.
///
/// A `String` raw value so the CLI can take it straight from a flag or environment variable
/// (`extension LogFormat: ExpressibleByArgument {}` is all ArgumentParser needs).
public enum LogFormat: String, Sendable, CaseIterable {
    case json
    case text
}

/// Installs the handlers as the process-wide swift-log backend.
public enum LogSetup {
    /// Bootstraps swift-log so every `Logger` writes `format` lines to `sink`, filtered by `filter`.
    ///
    /// The filter is resolved once per logger label, when swift-log calls the factory to create the logger's
    /// handler, so a filtered-out message costs one level comparison. swift-log allows one bootstrap per process,
    /// so call this once, early in `main`.
    ///
    /// - Parameters:
    ///   - format: `json` or `text`.
    ///   - filter: Levels per target, usually `try LogFilter(parsing: environment["RUST_LOG"] ?? "")`.
    ///   - sink: Where lines go; standard error by default.
    ///   - metadataProvider: Contextual metadata merged into every line, if any.
    public static func bootstrap(
        format: LogFormat,
        filter: LogFilter = .default,
        sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        let factory = makeFactory(format: format, filter: filter, sink: sink)
        LoggingSystem.bootstrap(factory, metadataProvider: metadataProvider)
    }

    /// The factory `bootstrap` installs, exposed so tests and tools can build loggers with
    /// `Logger(label:factory:)` without touching the process-wide logging system.
    public static func makeFactory(
        format: LogFormat,
        filter: LogFilter = .default,
        sink: LogSink = .standardError,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) -> @Sendable (String, Logger.MetadataProvider?) -> any LogHandler {
        return { label, metadataProvider in
            makeHandler(label: label, format: format, filter: filter, sink: sink,
                        metadataProvider: metadataProvider, clock: clock)
        }
    }

    /// One handler for `label` in `format`, at the level `filter` gives that label.
    public static func makeHandler(
        label: String,
        format: LogFormat,
        filter: LogFilter = .default,
        sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil,
        clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now
    ) -> any LogHandler {
        switch format {
        case .json:
            return JSONLogHandler(label: label, filter: filter, sink: sink, metadataProvider: metadataProvider,
                                  clock: clock)
        case .text:
            return TextLogHandler(label: label, filter: filter, sink: sink, metadataProvider: metadataProvider,
                                  clock: clock)
        }
    }
}
