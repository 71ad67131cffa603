import Logging

/// A per-target level filter written the way `RUST_LOG` is, e.g. `info,wireguard=debug,fzctl::tunnel=trace`.
///
/// Operators already know this syntax from the Rust Firezone clients, so the Swift data plane accepts the same
/// strings. A bare level sets the default; `target=level` sets the level for that target and for every target
/// below it (the target followed by `.` or `::`). The longest matching target wins, so a specific directive always
/// beats a broader one regardless of the order it was written in.
public struct LogFilter: Sendable, Equatable, CustomStringConvertible {
    /// The levels a directive can name, as `RUST_LOG` spells them, plus `off` to silence a target entirely.
    ///
    /// swift-log has no `off` level and more levels than `RUST_LOG`, so the filter keeps its own vocabulary and
    /// maps it onto ``Logging/Logger/Level`` with ``loggerLevel``.
    public enum Level: String, Sendable, CaseIterable, Equatable {
        case trace
        case debug
        case info
        case warn
        case error
        case off

        /// Parses a level name case-insensitively; `warning` is accepted as a synonym of `warn`.
        ///
        /// Returns `nil` for anything else so the caller can report which directive was wrong.
        public init?(name: String) {
            let lowered = name.lowercased()
            if lowered == "warning" {
                self = .warn
                return
            }
            guard let level = Level(rawValue: lowered) else { return nil }
            self = level
        }

        /// The lowest swift-log level this filter level lets through, or `nil` for `off`.
        ///
        /// `info` admits `notice` and `error` admits `critical`, matching how the handlers print those levels.
        public var loggerLevel: Logger.Level? {
            switch self {
            case .trace: return .trace
            case .debug: return .debug
            case .info: return .info
            case .warn: return .warning
            case .error: return .error
            case .off: return nil
            }
        }
    }

    /// The level for targets that no directive names.
    public var defaultLevel: Level

    /// The per-target levels, keyed by target prefix.
    public var targetLevels: [String: Level]

    /// The filter used when nothing is configured: everything at `info` and above.
    public static let `default` = LogFilter(defaultLevel: .info)

    /// Builds a filter from values the caller already has, for example from a configuration file.
    public init(defaultLevel: Level = .info, targetLevels: [String: Level] = [:]) {
        self.defaultLevel = defaultLevel
        self.targetLevels = targetLevels
    }

    /// Parses a `RUST_LOG` style specification.
    ///
    /// Directives are separated by commas; surrounding whitespace and empty directives (as in a trailing comma) are
    /// ignored, and an empty specification yields the `info` default. When the same target or the bare default is
    /// given twice, the later directive wins.
    ///
    /// - Throws: ``LogFilterError`` naming the first directive that is not a level or a `target=level` pair, so a
    ///   typo in `RUST_LOG` stops the program with a message instead of silently logging the wrong things.
    public init(parsing specification: String) throws(LogFilterError) {
        self.init(defaultLevel: .info)
        for rawDirective in specification.split(separator: ",", omittingEmptySubsequences: false) {
            let directive = Self.trimmed(rawDirective)
            if directive.isEmpty { continue }
            let parts = directive.split(separator: "=", omittingEmptySubsequences: false)
            switch parts.count {
            case 1:
                guard let level = Level(name: directive) else {
                    throw .unknownLevel(directive: directive, level: directive)
                }
                defaultLevel = level
            case 2:
                let target = Self.trimmed(parts[0])
                let levelName = Self.trimmed(parts[1])
                guard !target.isEmpty else { throw .emptyTarget(directive: directive) }
                guard !levelName.isEmpty else { throw .missingLevel(directive: directive) }
                guard let level = Level(name: levelName) else {
                    throw .unknownLevel(directive: directive, level: levelName)
                }
                targetLevels[target] = level
            default:
                throw .tooManyEquals(directive: directive)
            }
        }
    }

    /// The level that applies to `target` (a logger label).
    ///
    /// A directive applies when the target equals it or continues it with `.` or `::`; among those the longest
    /// directive wins, otherwise ``defaultLevel`` applies. This scans every directive, so handlers call it once per
    /// logger label when the logger is created, not once per message.
    public func level(for target: String) -> Level {
        var best: Level = defaultLevel
        var bestLength = -1
        for (prefix, level) in targetLevels {
            let length = prefix.utf8.count
            if length > bestLength && Self.target(target, isWithin: prefix) {
                best = level
                bestLength = length
            }
        }
        return best
    }

    /// The filter written back in `RUST_LOG` syntax, targets sorted, so it can be logged at startup.
    public var description: String {
        var directives = [defaultLevel.rawValue]
        for target in targetLevels.keys.sorted() {
            directives.append("\(target)=\(targetLevels[target]!.rawValue)")
        }
        return directives.joined(separator: ",")
    }

    private static func target(_ target: String, isWithin prefix: String) -> Bool {
        guard target.hasPrefix(prefix) else { return false }
        let rest = target.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.starts(with: ".".utf8) || rest.starts(with: "::".utf8)
    }

    private static func trimmed(_ text: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = text.lastIndex(where: { !isSpace($0) })!
        return String(text[first...last])
    }

    private static func trimmed(_ text: String) -> String {
        trimmed(Substring(text))
    }
}

/// Why a log filter specification was rejected; each case carries the offending directive.
public enum LogFilterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The level (the whole directive, or the part after `=`) is not one of the known level names.
    case unknownLevel(directive: String, level: String)
    /// The directive starts with `=`, so it names no target.
    case emptyTarget(directive: String)
    /// The directive ends with `=`, so it names no level.
    case missingLevel(directive: String)
    /// The directive has more than one `=`.
    case tooManyEquals(directive: String)

    /// The directive that was rejected, exactly as it appeared (without surrounding whitespace).
    public var directive: String {
        switch self {
        case .unknownLevel(let directive, _), .emptyTarget(let directive), .missingLevel(let directive),
            .tooManyEquals(let directive):
            return directive
        }
    }

    /// One line that names the directive and says how to write it correctly.
    public var description: String {
        let quoted = String(reflecting: directive)
        let levels = "trace, debug, info, warn, error or off"
        switch self {
        case .unknownLevel(_, let level):
            return "invalid log filter directive \(quoted): unknown level \(String(reflecting: level)); "
                + "use \(levels), alone for the default or as target=level"
        case .emptyTarget:
            return "invalid log filter directive \(quoted): the target before '=' is empty; "
                + "write target=level, e.g. wireguard=debug"
        case .missingLevel:
            return "invalid log filter directive \(quoted): the level after '=' is missing; use \(levels)"
        case .tooManyEquals:
            return "invalid log filter directive \(quoted): expected one '=' as in target=level"
        }
    }
}
