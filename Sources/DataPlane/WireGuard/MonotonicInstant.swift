/// A point on a monotonic clock, in nanoseconds from an arbitrary origin chosen by the driver.
///
/// The engine never reads a clock: every input carries the time, so tests drive it with a fake clock and
/// the same inputs always give the same outputs. Only differences between instants mean anything.
public struct MonotonicInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the driver's origin.
    public var nanoseconds: UInt64

    /// The instant `nanoseconds` after the origin.
    @inlinable
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// The instant `seconds` after the origin, for tests and drivers that count in seconds.
    @inlinable
    public static func seconds(_ seconds: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: UInt64(max(0, seconds) * 1e9))
    }

    /// This instant moved forward by `duration` (saturating at the end of time).
    @inlinable
    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        lhs.advanced(byNanoseconds: rhs.wireGuardNanoseconds)
    }

    /// The time from `earlier` to this instant, zero if `earlier` is later.
    @inlinable
    public func elapsed(since earlier: MonotonicInstant) -> Duration {
        nanoseconds > earlier.nanoseconds ? .nanoseconds(Int64(clamping: nanoseconds - earlier.nanoseconds)) : .zero
    }

    /// Whether at least `duration` has passed since `earlier`.
    @inlinable
    public func hasElapsed(_ duration: Duration, since earlier: MonotonicInstant) -> Bool {
        hasElapsed(nanoseconds: duration.wireGuardNanoseconds, since: earlier)
    }

    /// This instant moved forward by `nanoseconds` (saturating at the end of time): the packet path keeps its
    /// intervals as integer nanoseconds, since converting a `Duration` costs 128-bit divisions.
    @inlinable
    public func advanced(byNanoseconds nanoseconds: UInt64) -> MonotonicInstant {
        let (sum, overflow) = self.nanoseconds.addingReportingOverflow(nanoseconds)
        return MonotonicInstant(nanoseconds: overflow ? .max : sum)
    }

    /// Whether at least `nanoseconds` have passed since `earlier`: `hasElapsed(_:since:)` in integer nanoseconds.
    @inlinable
    public func hasElapsed(nanoseconds interval: UInt64, since earlier: MonotonicInstant) -> Bool {
        nanoseconds >= earlier.nanoseconds && nanoseconds - earlier.nanoseconds >= interval
    }

    @inlinable
    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to zero for negative durations.
    @inlinable
    var wireGuardNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
