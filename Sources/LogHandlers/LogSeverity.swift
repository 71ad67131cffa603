import Logging

/// The severity names written in log lines: the five `RUST_LOG` levels, so tools built for the Rust clients'
/// logs (dashboards, `jq` filters, log routers) read the Swift data plane's logs unchanged.
public enum LogSeverity: String, Sendable, CaseIterable {
    case trace = "TRACE"
    case debug = "DEBUG"
    case info = "INFO"
    case warn = "WARN"
    case error = "ERROR"

    /// Folds swift-log's seven levels onto five: `notice` is `INFO`, `warning` is `WARN`, `critical` is `ERROR`.
    public init(_ level: Logger.Level) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info, .notice: self = .info
        case .warning: self = .warn
        case .error, .critical: self = .error
        }
    }
}
