/// A token bucket for handshake messages, all peers together, refilled from the `now` of each call.
///
/// When it is empty the device is "under load": it then answers handshakes that lack a valid MAC2 with
/// a cookie reply instead of doing the expensive Diffie-Hellman work (WireGuard paper section 5.3).
public struct HandshakeRateLimiter: Sendable {
    /// Tokens added per second.
    public let ratePerSecond: Int
    /// The most tokens the bucket holds.
    public let burst: Int
    /// Tokens in nano-token units (1 token = 10^9), so refill needs no floating point.
    var nanoTokens: UInt64
    var lastRefill: MonotonicInstant?

    /// A full bucket.
    public init(ratePerSecond: Int, burst: Int) {
        self.ratePerSecond = max(1, ratePerSecond)
        self.burst = max(1, burst)
        nanoTokens = UInt64(self.burst) * 1_000_000_000
    }

    /// Takes a token if one is available at `now`.
    public mutating func tryConsume(now: MonotonicInstant) -> Bool {
        refill(now: now)
        guard nanoTokens >= 1_000_000_000 else { return false }
        nanoTokens -= 1_000_000_000
        return true
    }

    /// Whether a token is available at `now`, without taking it.
    public mutating func hasToken(now: MonotonicInstant) -> Bool {
        refill(now: now)
        return nanoTokens >= 1_000_000_000
    }

    mutating func refill(now: MonotonicInstant) {
        defer { lastRefill = now }
        guard let last = lastRefill, now > last else { return }
        let capacity = UInt64(burst) * 1_000_000_000
        let elapsed = min(now.nanoseconds - last.nanoseconds, 1_000_000_000 * UInt64(burst))
        nanoTokens = min(capacity, nanoTokens + elapsed * UInt64(ratePerSecond))
    }
}
