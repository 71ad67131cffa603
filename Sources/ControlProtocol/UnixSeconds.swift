/// A point in time as whole seconds since 1970-01-01 UTC, the unit of every time on the wire.
///
/// A wrapper rather than a bare `Int64` so an expiry cannot be confused with a duration or a port.
public struct UnixSeconds: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// The instant `seconds` after the epoch.
    public init(_ seconds: Int64) {
        self.rawValue = seconds
    }

    public static func < (lhs: UnixSeconds, rhs: UnixSeconds) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { String(rawValue) }
}
