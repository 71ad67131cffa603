import ArgumentParser
import DataPlane
import LogHandlers
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("log-format"), help: "Log format on stderr: json (one object per line) or text.")
    var logFormat: String = "text"

    @Option(
        name: .customLong("log"),
        help: "Log filter in the RUST_LOG style, e.g. info,wireguard=debug (default: $FZ_LOG, else info)."
    )
    var logFilter: String?
}

/// What every command sets up first: logging and feature flags, both validated before any work.
struct Runtime {
    let logger: Logger
    let flags: FeatureFlags

    init(_ options: GlobalOptions) throws {
        let environment = Runtime.environment()
        guard let format = LogFormat(rawValue: options.logFormat) else {
            throw FZCtlError.invalidInput("--log-format '\(options.logFormat)' is not a log format; use json or text")
        }
        let filterText = options.logFilter ?? environment["FZ_LOG"] ?? "info"
        let filter: LogFilter
        do {
            filter = try LogFilter(parsing: filterText)
        } catch {
            let source = options.logFilter == nil && environment["FZ_LOG"] != nil ? "FZ_LOG" : "--log"
            throw FZCtlError.invalidInput("\(source): \(error)")
        }
        do {
            flags = try FeatureFlags(environment: environment)
        } catch {
            throw FZCtlError.invalidInput("\(error)")
        }
        Runtime.bootstrapOnce(format: format, filter: filter)
        logger = Logger(label: "fzctl")
        for variable in flags.unknownVariables {
            logger.warning("ignoring unknown feature flag variable", metadata: ["variable": "\(variable)"])
        }
    }

    nonisolated(unsafe) private static var bootstrapped = false

    private static func bootstrapOnce(format: LogFormat, filter: LogFilter) {
        // LoggingSystem.bootstrap may run only once per process; tests construct several runtimes.
        guard !bootstrapped else { return }
        bootstrapped = true
        LogSetup.bootstrap(format: format, filter: filter)
    }

    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
