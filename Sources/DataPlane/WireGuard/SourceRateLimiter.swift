/// Token buckets per source address, for handshakes that arrive under load with a valid MAC2.
///
/// A valid MAC2 proves only that the sender can receive at its address, so without a per-source limit
/// one host holding a fresh cookie could make us run a Diffie-Hellman for every datagram it sends. As
/// the kernel does, IPv4 sources are limited per address and IPv6 sources per /64.
///
/// The table is bounded and every call costs O(1), even when a flood of distinct sources keeps it full:
/// sources sit in a ring in the order they arrived. A new source in a full table looks at no more than
/// ``evictionProbes`` of the oldest ones; the first that has refilled completely (gone quiet) makes room,
/// the busy ones move to the back. If all probed sources are busy, the new one is refused for now.
public struct SourceRateLimiter: Sendable {
    public let ratePerSecond: Int
    public let burst: Int
    public let capacity: Int
    /// Oldest entries examined per new source when the table is full.
    public static let evictionProbes = 4

    var buckets: [IPAddress: HandshakeRateLimiter] = [:]
    /// The tracked sources, oldest first, in a ring of `capacity` slots starting at `ringHead`.
    var ring: [IPAddress]
    var ringHead = 0
    /// Buckets examined for eviction since the limiter was made (diagnostics: stays at most
    /// ``evictionProbes`` per new source, whatever the table holds).
    public private(set) var evictionChecks: UInt64 = 0

    public init(ratePerSecond: Int = 20, burst: Int = 5, capacity: Int = 4096) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.capacity = max(1, capacity)
        ring = []
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
        if ring.count < capacity {
            ring.append(key)
        } else {
            guard let slot = evictIdle(now: now) else { return false }
            ring[slot] = key
        }
        var bucket = HandshakeRateLimiter(ratePerSecond: ratePerSecond, burst: burst)
        let allowed = bucket.tryConsume(now: now)
        buckets[key] = bucket
        return allowed
    }

    /// Looks at up to ``evictionProbes`` of the oldest sources. Removes the first one whose bucket is full
    /// again and returns its ring slot, which becomes the newest; busy ones are moved to the newest end.
    mutating func evictIdle(now: MonotonicInstant) -> Int? {
        for _ in 0..<min(Self.evictionProbes, ring.count) {
            let slot = ringHead
            // The ring is full, so advancing the head makes the oldest slot the newest.
            ringHead = (ringHead + 1) % ring.count
            evictionChecks &+= 1
            let candidate = ring[slot]
            // The ring and the table always hold the same sources.
            var bucket = buckets[candidate]!
            bucket.refill(now: now)
            if bucket.nanoTokens >= UInt64(bucket.burst) * 1_000_000_000 {
                buckets[candidate] = nil
                return slot
            }
            buckets[candidate] = bucket
        }
        return nil
    }
}
