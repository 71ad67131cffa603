/// Token buckets per source address, for handshakes that arrive under load with a valid MAC2.
///
/// A valid MAC2 proves only that the sender can receive at its address, so without a per-source limit
/// one host holding a fresh cookie could make us run a Diffie-Hellman for every datagram it sends. As
/// the kernel does, IPv4 sources are limited per address and IPv6 sources per /64. The table is bounded:
/// when it is full, buckets that have refilled completely (idle sources) are forgotten, and if none has,
/// the new source is refused until one does, so a flood of distinct sources cannot grow it.
public struct SourceRateLimiter: Sendable {
    public let ratePerSecond: Int
    public let burst: Int
    public let capacity: Int
    var buckets: [IPAddress: HandshakeRateLimiter] = [:]

    public init(ratePerSecond: Int = 20, burst: Int = 5, capacity: Int = 4096) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.capacity = max(1, capacity)
    }

    /// Number of sources currently tracked.
    public var trackedSources: Int { buckets.count }

    /// Takes a token for `address` at `now`; false when that source is over its rate (or the table is full
    /// of active sources).
    public mutating func tryConsume(_ address: IPAddress, now: MonotonicInstant) -> Bool {
        let key = address.masked(to: address.bitWidth == 32 ? 32 : 64)
        if var bucket = buckets[key] {
            let allowed = bucket.tryConsume(now: now)
            buckets[key] = bucket
            return allowed
        }
        if buckets.count >= capacity {
            forgetIdle(now: now)
            guard buckets.count < capacity else { return false }
        }
        var bucket = HandshakeRateLimiter(ratePerSecond: ratePerSecond, burst: burst)
        let allowed = bucket.tryConsume(now: now)
        buckets[key] = bucket
        return allowed
    }

    /// Drops the buckets that are full again: their sources have been quiet for a while.
    mutating func forgetIdle(now: MonotonicInstant) {
        buckets = buckets.filter { _, bucket in
            var copy = bucket
            copy.refill(now: now)
            return copy.nanoTokens < UInt64(copy.burst) * 1_000_000_000
        }
    }
}
