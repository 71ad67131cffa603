import Crypto
import DataPlane
import Testing

@Suite struct SourceRateLimiterTests {
    static func at(_ seconds: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: UInt64(seconds * 1e9))
    }

    @Test("A source gets its burst, then its rate, and nothing more")
    func burstThenRate() {
        var limiter = SourceRateLimiter(ratePerSecond: 20, burst: 5)
        let source = IPAddress.v4(IPv4Address(198, 51, 100, 7))
        let allowed = (0..<8).filter { _ in limiter.tryConsume(source, now: Self.at(1)) }.count
        #expect(allowed == 5)
        // 100 ms later: 2 more tokens.
        let later = (0..<8).filter { _ in limiter.tryConsume(source, now: Self.at(1.1)) }.count
        #expect(later == 2)
        // Another source is not affected.
        let other = limiter.tryConsume(.v4(IPv4Address(198, 51, 100, 8)), now: Self.at(1.1))
        #expect(other)
    }

    @Test("IPv6 sources in one /64 share a bucket")
    func ipv6PerPrefix() {
        var limiter = SourceRateLimiter(ratePerSecond: 20, burst: 5)
        var allowed = 0
        for host in 0..<10 {
            if limiter.tryConsume(.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: UInt64(host))), now: Self.at(1)) {
                allowed += 1
            }
        }
        #expect(allowed == 5)
        #expect(limiter.trackedSources == 1)
    }

    @Test("A flood of distinct sources cannot grow the table past its capacity")
    func boundedTable() {
        var limiter = SourceRateLimiter(ratePerSecond: 20, burst: 5, capacity: 64)
        for index in 0..<10_000 {
            let address = IPAddress.v4(IPv4Address(10, UInt8(index >> 16 & 0xFF), UInt8(index >> 8 & 0xFF),
                                                   UInt8(index & 0xFF)))
            _ = limiter.tryConsume(address, now: Self.at(1))
            #expect(limiter.trackedSources <= 64)
        }
        // Once the flood's buckets have refilled (idle), a new source is admitted again.
        let admitted = limiter.tryConsume(.v4(IPv4Address(192, 0, 2, 1)), now: Self.at(5))
        #expect(admitted)
        #expect(limiter.trackedSources <= 64)
    }

    @Test("Under load, initiations with a valid cookie are limited per source")
    func deviceLimitsCookieHolders() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.b.isUnderLoadOverride = true
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let initiation = pair.drainA()
        #expect(pair.deliverToB(initiation[0].bytes).0 == .dropped(.cookieRequired))
        #expect(pair.deliverToA(pair.drainB()[0].bytes).0 == .handshakeProcessed)
        pair.clock.advance(seconds: 5.4)
        pair.a.updateTimers(now: pair.now)
        let retry = pair.drainA()[0].bytes
        // The same MAC2-valid initiation, over and over from one source: only the burst gets past admission.
        var limited = 0
        for _ in 0..<20 where pair.deliverToB(retry).0 == .dropped(.rateLimited) {
            limited += 1
        }
        #expect(limited == 15)
        #expect(pair.b.drops[.rateLimited] == 15)
    }
}

@Suite struct SourceRateLimiterCostTests {
    @Test("A full table of busy sources costs a bounded number of checks per new source, not a rebuild")
    func constantWorkPerMissWhenFull() {
        var limiter = SourceRateLimiter(ratePerSecond: 20, burst: 5, capacity: 4096)
        let now = MonotonicInstant(nanoseconds: 1_000_000_000)
        for index in 0..<4096 {
            _ = limiter.tryConsume(.v4(IPv4Address(value: 0x0A00_0000 | UInt32(index))), now: now)
        }
        #expect(limiter.evictionChecks == 0)
        let misses = 100_000
        for index in 0..<misses {
            let admitted = limiter.tryConsume(.v4(IPv4Address(value: 0x0B00_0000 | UInt32(index))), now: now)
            #expect(!admitted || index < 0, "a busy full table admitted a new source")
        }
        // The old table rebuilt all 4096 buckets per miss (409,600,000 checks here).
        #expect(limiter.evictionChecks <= UInt64(misses * SourceRateLimiter.evictionProbes))
        #expect(limiter.trackedSources == 4096)
    }

    @Test("Busy sources move to the back of the ring, so an idle one behind them is still found")
    func busySourcesRotate() {
        var limiter = SourceRateLimiter(ratePerSecond: 1, burst: 5, capacity: 8)
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        // Eight sources; the first seven stay busy (they keep spending), the eighth goes quiet.
        for index in 0..<8 { _ = limiter.tryConsume(.v4(IPv4Address(value: UInt32(index + 1))), now: start) }
        let later = MonotonicInstant(nanoseconds: 4_000_000_000)
        for index in 0..<7 {
            for _ in 0..<5 { _ = limiter.tryConsume(.v4(IPv4Address(value: UInt32(index + 1))), now: later) }
        }
        let quiet = MonotonicInstant(nanoseconds: 5_500_000_000)
        var admitted = false
        for attempt in 0..<4 where !admitted {
            admitted = limiter.tryConsume(.v4(IPv4Address(value: UInt32(100 + attempt))), now: quiet)
        }
        #expect(admitted, "the idle eighth source was never evicted")
        #expect(limiter.trackedSources == 8)
    }
}
