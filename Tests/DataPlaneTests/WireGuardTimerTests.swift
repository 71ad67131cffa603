import Crypto
import DataPlane
import Testing

@Suite("WireGuard timers")
struct WireGuardTimerTests {
    /// The receiver index in a transport datagram: changes when a new keypair is in use.
    func receiverIndex(_ datagram: [UInt8]) -> [UInt8] { Array(datagram[4..<8]) }

    @Test("The initiator rekeys when sending on a keypair older than 120 s")
    func rekeyAfterTime() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let before = pair.sealedAtoB()
        _ = pair.deliverToB(before)
        pair.clock.advance(seconds: 119)
        _ = pair.sealedAtoB()
        #expect(pair.drainA().isEmpty, "no rekey before 120 s")
        pair.clock.advance(seconds: 2)
        let late = pair.sealedAtoB()
        #expect(pair.deliverToB(late).0.isPacket, "the old keypair still works until 180 s")
        let initiation = pair.drainA()
        #expect(initiation.map(\.type) == [1])
        _ = pair.deliverToB(initiation[0].bytes)
        _ = pair.deliverToA(pair.drainB()[0].bytes)
        pair.pump()
        let after = pair.sealedAtoB()
        #expect(receiverIndex(after) != receiverIndex(before))
        #expect(pair.deliverToB(after).0.isPacket)
    }

    @Test("After 180 s without a new handshake no data is sent or accepted")
    func rejectAfterTime() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let captured = pair.sealedAtoB()
        let (backResult, backBytes) = pair.encapsulate(pair.packetBtoA(), on: pair.b)
        #expect(backResult.isSend(to: pair.aEndpoint))
        pair.clock.advance(seconds: 180)
        #expect(pair.deliverToB(captured).0 == .dropped(.keypairExpired))
        #expect(pair.deliverToA(backBytes!).0 == .dropped(.keypairExpired))
        #expect(pair.encapsulate(pair.packetAtoB(), on: pair.a).0 == .staged(peer: pair.bID))
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0 == .staged(peer: pair.aID))
        #expect(pair.b.statistics(for: pair.aPublic, now: pair.now.monotonic)?.hasSession == false)
        // A new handshake restores the tunnel and delivers what was staged.
        let run = pair.pump()
        #expect(run.atB == [pair.packetAtoB()])
        #expect(run.atA == [pair.packetBtoA()])
    }

    @Test("The receiver of data sends a keepalive after 10 s of not sending")
    func keepaliveAfterTenSeconds() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        #expect(pair.drainB().isEmpty)
        pair.clock.advance(seconds: 9.9)
        pair.b.updateTimers(now: pair.now)
        #expect(pair.drainB().isEmpty)
        pair.clock.advance(seconds: 0.1)
        #expect(pair.b.nextDeadline != nil)
        pair.b.updateTimers(now: pair.now)
        let keepalive = pair.drainB()
        #expect(keepalive.count == 1)
        #expect(keepalive.first?.bytes.count == 32)
        #expect(pair.deliverToA(keepalive[0].bytes).0 == .keepalive(peer: pair.bID))
        // A heard back, so it does not start a handshake 15 s after sending.
        pair.clock.advance(seconds: 6)
        pair.a.updateTimers(now: pair.now)
        #expect(pair.drainA().isEmpty)
    }

    @Test("Sent data with no reply for 15 s starts a new handshake")
    func newHandshakeWithoutReply() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        _ = pair.sealedAtoB()
        pair.clock.advance(seconds: 15)
        pair.a.updateTimers(now: pair.now)
        #expect(pair.drainA().map(\.type) == [1])
    }

    @Test("An unanswered initiation is retried every 5 s plus jitter and given up after 90 s")
    func retryAndGiveUp() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let start = pair.clock.nanoseconds
        var times: [Double] = []
        func collect() {
            for sent in pair.drainA() where sent.type == 1 {
                times.append(Double(pair.clock.nanoseconds - start) / 1e9)
            }
        }
        collect()
        for _ in 0..<2000 {
            if let deadline = pair.a.nextDeadline, deadline.nanoseconds > pair.clock.nanoseconds {
                pair.clock.nanoseconds = deadline.nanoseconds
            } else {
                pair.clock.advance(seconds: 0.5)
            }
            if pair.clock.nanoseconds - start > 300_000_000_000 { break }
            pair.a.updateTimers(now: pair.now)
            collect()
        }
        #expect(times.first == 0)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= 5.0 && $0 <= 5.334 }, "gaps \(gaps)")
        #expect(Set(gaps).count > 1, "jitter varies")
        #expect(times.last! < 90 && times.last! > 80, "last retry \(times.last!)")
        #expect(times.count >= 16 && times.count <= 18)
        #expect(pair.a.drops[.handshakeTimedOut] == 1, "the staged packet was discarded")
        #expect(pair.a.statistics(for: pair.bPublic, now: pair.now.monotonic)?.stagedPackets == 0)
    }

    @Test("A Firezone-style 15 s rekey attempt window gives up sooner")
    func shortAttemptWindow() {
        var configuration = WireGuardConfiguration()
        configuration.rekeyAttemptTime = .seconds(15)
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, configuration: configuration)
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        var count = pair.drainA().count
        for _ in 0..<100 {
            pair.clock.advance(seconds: 0.5)
            pair.a.updateTimers(now: pair.now)
            count += pair.drainA().count
        }
        #expect(count == 3)
    }

    @Test("Rekey after REKEY_AFTER_MESSAGES sent messages")
    func rekeyAfterMessages() {
        var configuration = WireGuardConfiguration()
        configuration.rekeyAfterMessages = 10
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, configuration: configuration)
        pair.establish()
        pair.clock.advance(seconds: 6)
        for _ in 0..<8 { _ = pair.sealedAtoB() }
        #expect(pair.drainA().isEmpty)
        _ = pair.sealedAtoB()
        #expect(pair.drainA().map(\.type) == [1])
    }

    @Test("Keys are erased 540 s after the last handshake")
    func zeroKeys() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let captured = pair.sealedAtoB()
        pair.clock.advance(seconds: 541)
        pair.a.updateTimers(now: pair.now)
        pair.b.updateTimers(now: pair.now)
        #expect(pair.deliverToB(captured).0 == .dropped(.unknownReceiverIndex))
    }

    @Test("Persistent keepalive is sent after the interval without other traffic")
    func persistentKeepalive() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let (_, reply) = pair.encapsulate(pair.packetBtoA(), on: pair.b)
        #expect(pair.deliverToA(reply!).0.isPacket)
        try! pair.a.updatePeer(WireGuardPeerConfiguration(
            publicKey: pair.bPublic, presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A))),
            allowedIPs: [network("10.0.0.2/32")], persistentKeepalive: .seconds(25)))
        pair.a.updateTimers(now: pair.now)
        #expect(pair.drainA().map(\.bytes.count) == [32], "fires at once when configured")
        pair.clock.advance(seconds: 24)
        pair.a.updateTimers(now: pair.now)
        #expect(pair.drainA().isEmpty)
        pair.clock.advance(seconds: 1)
        pair.a.updateTimers(now: pair.now)
        #expect(pair.drainA().map(\.bytes.count) == [32])
    }
}
