/// A wall-clock reading: seconds and nanoseconds since the Unix epoch.
///
/// The handshake needs real time for its TAI64N timestamp (a responder remembers the newest one per
/// peer across restarts of the initiator) and `wg show` reports the last handshake in wall time. It is
/// passed in like every other time, never read.
public struct WallClockTime: Hashable, Comparable, Sendable {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public var unixSeconds: Int64
    /// Nanoseconds within the second, below 10^9.
    public var nanoseconds: UInt32

    /// A reading of `unixSeconds` plus `nanoseconds` (0..<10^9).
    @inlinable
    public init(unixSeconds: Int64, nanoseconds: UInt32 = 0) {
        precondition(nanoseconds < 1_000_000_000, "nanoseconds must be below one billion")
        self.unixSeconds = unixSeconds
        self.nanoseconds = nanoseconds
    }

    /// The TAI64N stamp for this reading, with the nanoseconds rounded down to a multiple of 2^24 ns
    /// (about 16.8 ms) as the Linux kernel does, so a stamp does not leak a precise clock to the network.
    @inlinable
    public var whitenedTAI64N: TAI64N {
        TAI64N(unixSeconds: unixSeconds, nanoseconds: nanoseconds & ~(TAI64N.whiteningGranule - 1))
    }

    @inlinable
    public static func < (lhs: WallClockTime, rhs: WallClockTime) -> Bool {
        (lhs.unixSeconds, lhs.nanoseconds) < (rhs.unixSeconds, rhs.nanoseconds)
    }
}

/// "Now" as the engine sees it: a monotonic instant for timers plus a wall-clock reading for
/// timestamps, both supplied by the driver.
public struct WireGuardTime: Hashable, Sendable {
    /// Drives every timer, deadline and expiry.
    public var monotonic: MonotonicInstant
    /// Only used for handshake timestamps and the last-handshake statistic.
    public var wallClock: WallClockTime

    /// Both readings taken at the same moment.
    @inlinable
    public init(monotonic: MonotonicInstant, wallClock: WallClockTime) {
        self.monotonic = monotonic
        self.wallClock = wallClock
    }
}
