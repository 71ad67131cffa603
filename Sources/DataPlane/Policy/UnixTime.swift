/// A wall-clock instant in whole seconds since 1970-01-01 UTC, as the portal sends expiry times.
///
/// Authorizations expire at portal-chosen wall-clock times, so they are compared against the wall clock,
/// not a monotonic one; a typed wrapper keeps them from being mixed up with durations.
public struct UnixTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Seconds since the Unix epoch.
    public var seconds: Int64

    /// The instant `seconds` after the Unix epoch.
    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.seconds < rhs.seconds }

    public var description: String { "\(seconds)" }

    /// Decodes from a bare JSON integer, as the wire messages carry it.
    public init(from decoder: any Decoder) throws {
        seconds = try decoder.singleValueContainer().decode(Int64.self)
    }

    /// Encodes as a bare JSON integer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(seconds)
    }
}
