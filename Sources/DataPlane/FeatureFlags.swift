/// A switch for behaviour that is being rolled out and can be turned on per process without a new build.
///
/// Names match the Rust Firezone clients' feature flags so one setting means the same thing in both. Add a case
/// here to add a flag; it is then read from `FZFF_` + the name in upper case and defaults to off.
public enum FeatureFlag: String, CaseIterable, Sendable {
    /// When an ICMP destination-unreachable "communication administratively prohibited" error comes back for a
    /// flow, set up a new flow for the next packet instead of keeping the one the error was reported on.
    case icmpErrorUnreachableProhibitedCreateNewFlow = "icmp_error_unreachable_prohibited_create_new_flow"

    /// The environment variable that overrides this flag, e.g.
    /// `FZFF_ICMP_ERROR_UNREACHABLE_PROHIBITED_CREATE_NEW_FLOW`.
    public var environmentVariable: String {
        FeatureFlags.environmentPrefix + rawValue.uppercased()
    }
}

/// Where a flag's value came from, so the CLI can show why a flag is on or off.
public enum FeatureFlagSource: Equatable, Sendable, CustomStringConvertible {
    /// No override was given; every flag defaults to off.
    case `default`
    /// The named environment variable set the value.
    case environment(variable: String)

    /// `default` or `environment (FZFF_...)`.
    public var description: String {
        switch self {
        case .default: return "default"
        case .environment(let variable): return "environment (\(variable))"
        }
    }
}

/// Why the feature flag settings were rejected.
public enum FeatureFlagError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A flag's variable held something other than exactly `true` or `false`.
    case invalidValue(variable: String, value: String)

    /// One line naming the variable, the value it had and what it accepts.
    public var description: String {
        switch self {
        case .invalidValue(let variable, let value):
            return "invalid value \(String(reflecting: value)) for \(variable): "
                + "accepted values are exactly \"true\" or \"false\" (lowercase), or leave it unset for false"
        }
    }
}

/// The resolved value of every ``FeatureFlag`` for this process.
///
/// Built from an environment passed in rather than read from the process, so the data plane stays free of I/O and
/// tests can try any combination. Values must be exactly `true` or `false`: a flag that silently read `1` or `yes`
/// as off would leave a user believing they had turned something on.
public struct FeatureFlags: Equatable, Sendable {
    /// The prefix that marks a feature flag variable.
    public static let environmentPrefix = "FZFF_"

    /// Every `FZFF_` variable that names no known flag, sorted, so the CLI can warn about typos and stale flags
    /// instead of ignoring them silently.
    public let unknownVariables: [String]

    private var overrides: [FeatureFlag: Bool]

    /// All flags at their defaults (off).
    public init() {
        overrides = [:]
        unknownVariables = []
    }

    /// Reads the flags from `environment` (the process environment, or any other map of variables).
    ///
    /// - Throws: ``FeatureFlagError/invalidValue(variable:value:)`` for the first flag (in ``FeatureFlag/allCases``
    ///   order) whose variable holds anything but `true` or `false`. Unknown `FZFF_` variables are not errors;
    ///   they are listed in ``unknownVariables``.
    public init(environment: [String: String]) throws(FeatureFlagError) {
        var overrides: [FeatureFlag: Bool] = [:]
        var known: Set<String> = []
        for flag in FeatureFlag.allCases {
            let variable = flag.environmentVariable
            known.insert(variable)
            guard let value = environment[variable] else { continue }
            switch value {
            case "true": overrides[flag] = true
            case "false": overrides[flag] = false
            default: throw .invalidValue(variable: variable, value: value)
            }
        }
        self.overrides = overrides
        unknownVariables = environment.keys
            .filter { $0.hasPrefix(Self.environmentPrefix) && !known.contains($0) }
            .sorted()
    }

    /// Whether `flag` is on.
    public func isEnabled(_ flag: FeatureFlag) -> Bool {
        overrides[flag] ?? false
    }

    /// Where the value of `flag` came from.
    public func source(of flag: FeatureFlag) -> FeatureFlagSource {
        overrides[flag] == nil ? .default : .environment(variable: flag.environmentVariable)
    }

    /// Every flag with its value and source, in declaration order, for a status listing.
    public var states: [FeatureFlagState] {
        FeatureFlag.allCases.map { FeatureFlagState(flag: $0, isEnabled: isEnabled($0), source: source(of: $0)) }
    }
}

/// One flag's resolved value and where it came from.
public struct FeatureFlagState: Equatable, Sendable {
    /// The flag.
    public let flag: FeatureFlag
    /// Whether it is on.
    public let isEnabled: Bool
    /// Where the value came from.
    public let source: FeatureFlagSource
}
