/// A token bucket for the ICMP errors sent to one Client: a burst, then a steady rate.
///
/// The original Gateway answers every denied packet; a Client (or malware on it) sweeping ports would
/// then get an error per packet. Integer nanoseconds, no allocation.
struct ErrorRateLimiter {
    static let burst: UInt64 = 10
    /// One token per 100 ms: 10 errors per second per Client once the burst is spent.
    static let interval: UInt64 = 100_000_000

    private var tokens = ErrorRateLimiter.burst
    private var lastRefill: UInt64 = 0

    /// Takes a token if one is left at `now`.
    mutating func allow(now: MonotonicInstant) -> Bool {
        let elapsed = now.nanoseconds &- lastRefill
        if now.nanoseconds > lastRefill, elapsed >= Self.interval {
            let earned = elapsed / Self.interval
            tokens = min(Self.burst, tokens + earned)
            lastRefill += earned * Self.interval
        } else if now.nanoseconds < lastRefill {
            lastRefill = now.nanoseconds
        }
        guard tokens > 0 else { return false }
        tokens -= 1
        return true
    }
}
