import DataPlane
#if canImport(Glibc)
import Glibc
#endif

/// Where the driver reads the wall clock: the system's realtime clock in production, a settable one in tests.
///
/// The engine needs wall time only for handshake timestamps and `wg show`'s last handshake. It is read
/// on every wake-up rather than extrapolated from one startup reading, so an NTP step is followed at
/// once; the engine itself keeps each peer's timestamps increasing when the clock steps back.
public protocol WallClock: AnyObject {
    /// The current wall-clock time.
    func now() -> WallClockTime
}

/// `CLOCK_REALTIME`.
public final class SystemWallClock: WallClock {
    public init() {}

    public func now() -> WallClockTime {
        var reading = timespec()
        clock_gettime(CLOCK_REALTIME, &reading)
        // tv_nsec is always in 0..<10^9; a clock before 1970 is a negative second count, which TAI64N carries.
        return WallClockTime(unixSeconds: Int64(reading.tv_sec), nanoseconds: UInt32(clamping: reading.tv_nsec))
    }
}
