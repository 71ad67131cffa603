import Crypto
import DataPlane
import Testing

func take(_ bucket: inout HandshakeRateLimiter, _ now: MonotonicInstant) -> Bool { bucket.tryConsume(now: now) }

@Suite("WireGuard cookies and rate limit")
struct WireGuardCookieTests {
    @Test("Under load the responder answers with a cookie; the initiator retries with MAC2 and succeeds")
    func cookieRoundTrip() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.b.isUnderLoadOverride = true
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let initiation = pair.drainA()
        #expect(pair.deliverToB(initiation[0].bytes).0 == .dropped(.cookieRequired))
        let cookieReply = pair.drainB()
        #expect(cookieReply.map(\.bytes.count) == [64])
        #expect(cookieReply.first?.type == 3)
        #expect(cookieReply.first?.endpoint == pair.aEndpoint)
        // A tampered cookie reply is refused; the real one is accepted.
        var bad = cookieReply[0].bytes
        bad[40] ^= 1
        #expect(pair.deliverToA(bad).0 == .dropped(.invalidCookieReply))
        #expect(pair.deliverToA(cookieReply[0].bytes).0 == .handshakeProcessed)
        // The retry (after REKEY_TIMEOUT) carries MAC2 and is processed although B is still under load.
        pair.clock.advance(seconds: 5.4)
        pair.a.updateTimers(now: pair.now)
        let retry = pair.drainA()
        #expect(retry.map(\.type) == [1])
        #expect(retry[0].bytes[132..<148].contains { $0 != 0 }, "MAC2 is set")
        #expect(pair.deliverToB(retry[0].bytes).0 == .handshakeProcessed)
        let run = pair.pump()
        #expect(run.atB == [pair.packetAtoB()])
        // A cookie is bound to the source address: the same message from elsewhere needs a new cookie.
        pair.clock.advance(seconds: 1)
        let elsewhere = Endpoint(address: .v4(IPv4Address(203, 0, 113, 9)), port: 9)
        #expect(pair.deliver(retry[0].bytes, to: pair.b, from: elsewhere).0 == .dropped(.cookieRequired))
    }

    @Test("More than the handshake rate puts the responder under load")
    func globalRateLimit() {
        var configuration = WireGuardConfiguration()
        configuration.handshakesPerSecond = 100
        configuration.handshakeBurst = 100
        configuration.minimumInitiationInterval = .zero
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, configuration: configuration)
        // 150 distinct initiations from A, delivered to B within one millisecond of each other.
        var initiations: [[UInt8]] = []
        while initiations.count < 150 {
            pair.clock.advance(seconds: 5.4)
            pair.a.updateTimers(now: pair.now)
            _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
            initiations += pair.drainA().filter { $0.type == 1 }.map(\.bytes)
        }
        #expect(initiations.count >= 150)
        var processed = 0
        var cookies = 0
        for initiation in initiations.prefix(150) {
            pair.clock.nanoseconds += 1000
            switch pair.deliverToB(initiation).0 {
            case .handshakeProcessed: processed += 1
            case .dropped(.cookieRequired): cookies += 1
            default: break
            }
        }
        #expect(processed == 100)
        #expect(cookies == 50)
        // One second later the bucket has refilled.
        pair.clock.advance(seconds: 1)
        pair.a.updateTimers(now: pair.now)
        pair.clock.advance(seconds: 5.5)
        pair.a.updateTimers(now: pair.now)
        let fresh = pair.drainA().filter { $0.type == 1 }
        #expect(pair.deliverToB(fresh.last!.bytes).0 == .handshakeProcessed)
    }

    @Test("The token bucket refills at its rate and caps at its burst")
    func tokenBucket() {
        var bucket = HandshakeRateLimiter(ratePerSecond: 10, burst: 5)
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        var taken = 0
        while bucket.tryConsume(now: start) { taken += 1 }
        #expect(taken == 5)
        #expect(!take(&bucket, start + .milliseconds(99)))
        #expect(take(&bucket, start + .milliseconds(100)))
        #expect(!take(&bucket, start + .milliseconds(100)))
        taken = 0
        while bucket.tryConsume(now: start + .seconds(60)) { taken += 1 }
        #expect(taken == 5)
    }
}
