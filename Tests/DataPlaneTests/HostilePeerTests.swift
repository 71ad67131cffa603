import Crypto
import DataPlane
import Testing

/// The engine against peers and strangers that misbehave: floods, replays, garbage and forged sources.
@Suite struct HostilePeerTests {
    /// A valid-MAC1 initiation for B from a device B does not know (a stranger that knows B's public key).
    static func strangerInitiation<A: CryptoBackend, B: CryptoBackend>(_ pair: TunnelPair<A, B>) -> [UInt8] {
        let stranger = WireGuardDevice<SodiumBackend>(privateKey: privateKey(seed: 99), random: SeededRandom(seed: 5))
        try! stranger.addPeer(WireGuardPeerConfiguration(
            publicKey: pair.bPublic, allowedIPs: [network("10.0.0.2/32")], endpoint: pair.bEndpoint))
        var buffer = [UInt8](repeating: 0, count: 16 + 60 + 32)
        let packet = ipv4Packet(from: "10.0.0.99", to: "10.0.0.2", payload: [1])
        buffer.replaceSubrange(16..<(16 + packet.count), with: packet)
        _ = buffer.withUnsafeMutableBytes {
            stranger.encapsulate(buffer: $0, packet: 16..<(16 + packet.count), now: pair.now)
        }
        var out = [UInt8](repeating: 0, count: 256)
        let datagram = out.withUnsafeMutableBytes { stranger.nextDatagram(into: $0, now: pair.now) }!
        return Array(out[..<datagram.count])
    }

    @Test("A flood of valid-MAC1 initiations from spoofed sources gets cookies while a real peer still connects")
    func floodWithLegitimateHandshake() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, bKnowsAEndpoint: false)
        let flood = Self.strangerInitiation(pair)
        var offered = 0
        var connectedAfter: Double?
        let stepSeconds = 0.01
        // The flood runs for a second before the real peer starts, so B is already under load.
        let peerStarts = 100
        for step in 0..<1000 where connectedAfter == nil {
            if step == peerStarts { _ = pair.encapsulate(pair.packetAtoB(), on: pair.a) }
            // 50 spoofed initiations per 10 ms: 5,000 per second, fifty times the handshake rate.
            for index in 0..<50 {
                let host = UInt32((offered + index) & 0xFFFF)
                let source = Endpoint(address: .v4(IPv4Address(value: 0xC612_0000 | host)), port: 40000)
                _ = pair.deliver(flood, to: pair.b, from: source)
            }
            offered += 50
            // B's answers to strangers go nowhere; its answers to A reach A.
            for sent in pair.drainB() where sent.endpoint == pair.aEndpoint { _ = pair.deliverToA(sent.bytes) }
            for sent in pair.drainA() { _ = pair.deliverToB(sent.bytes) }
            for sent in pair.drainB() where sent.endpoint == pair.aEndpoint { _ = pair.deliverToA(sent.bytes) }
            if pair.a.statistics(for: pair.bPublic, now: pair.now.monotonic)?.hasSession == true {
                connectedAfter = Double(step - peerStarts) * stepSeconds
            }
            pair.clock.advance(seconds: stepSeconds)
            pair.a.updateTimers(now: pair.now)
            pair.b.updateTimers(now: pair.now)
        }
        let seconds = try #require(connectedAfter, "the legitimate peer never completed its handshake")
        // The first initiation is answered with a cookie; the retransmission (REKEY_TIMEOUT plus jitter)
        // carries MAC2 and gets through.
        #expect(seconds >= 5 && seconds <= 5.5)
        #expect(pair.b.cookieRepliesQueued > UInt64(offered) / 2)
        #expect(pair.b.drops[.cookieRequired] > 0)
        // Strangers got cookie replies, never a Diffie-Hellman beyond the backstop rate and its burst: 50 per
        // 10 ms turn is below the backlog threshold, so here the rate alone decides.
        let limits = WireGuardConfiguration()
        let bound = UInt64(limits.handshakeBurst) + UInt64((seconds + 1) * Double(limits.handshakesPerSecond)) + 5
        #expect(pair.b.drops[.unknownPeer] <= bound)
        print("flood (in process): \(offered) valid-MAC1 initiations at 5000/s (simulated), "
              + "\(pair.b.cookieRepliesQueued) cookie replies, legitimate handshake after \(seconds) s")
    }

    @Test("A backlog of handshakes in one turn puts the responder under load for a second; the rate alone does not")
    func backlogInOneTurnMeansUnderLoad() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, bKnowsAEndpoint: false)
        let flood = Self.strangerInitiation(pair)
        let threshold = WireGuardConfiguration().handshakeBacklogThreshold
        func deliverTurn(_ count: Int, from first: Int) -> (processed: Int, cookies: Int) {
            var result = (processed: 0, cookies: 0)
            for index in 0..<count {
                let source = Endpoint(address: .v4(IPv4Address(value: 0xC612_0000 | UInt32(first + index))), port: 9)
                switch pair.deliver(flood, to: pair.b, from: source).0 {
                case .dropped(.cookieRequired): result.cookies += 1
                case .dropped(.unknownPeer): result.processed += 1   // the Diffie-Hellman work was done
                default: break
                }
            }
            return result
        }
        // Turns below the threshold, well within the rate: every initiation is worked on.
        for turn in 0..<3 {
            #expect(deliverTurn(threshold - 1, from: turn * 1000) == (threshold - 1, 0))
            pair.clock.advance(seconds: 0.1)
        }
        // One turn reaching the threshold: the rest of it, and the next turns for a second, get cookies.
        let backlog = deliverTurn(threshold + 20, from: 5000)
        #expect(backlog.processed == threshold - 1)
        #expect(backlog.cookies == 21)
        pair.clock.advance(seconds: 0.5)
        #expect(deliverTurn(5, from: 7000) == (0, 5))
        pair.clock.advance(seconds: 0.6)
        #expect(deliverTurn(5, from: 8000) == (5, 0), "a second after the backlog the load is over")
    }

    @Test("Every replayed transport datagram is rejected, however often and in whatever order it comes back")
    func replaysAreAllRejected() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let captured = (0..<300).map { pair.sealedAtoB([UInt8(truncatingIfNeeded: $0)]) }
        var delivered = 0
        for datagram in captured where pair.deliverToB(datagram).1 != nil { delivered += 1 }
        #expect(delivered == 300)
        var random = SeededRandom(seed: 3)
        for _ in 0..<3 {
            for datagram in captured.shuffled(using: &random) {
                #expect(pair.deliverToB(datagram).0 == .dropped(.replayedCounter))
            }
        }
        #expect(pair.b.drops[.replayedCounter] == 900)
    }

    @Test("Unknown receiver indices, wrong sizes and random garbage are dropped and counted, never delivered")
    func garbageIsDropped() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let valid = pair.sealedAtoB()
        var random = SeededRandom(seed: 42)
        let before = pair.b.drops.total
        let sizes = [0, 1, 3, 4, 15, 16, 31, 32, 63, 64, 65, 91, 92, 93, 147, 148, 149, 1500]
        var sent = 0
        for round in 0..<2000 {
            var bytes: [UInt8]
            switch round % 4 {
            case 0:  // any size, any bytes
                bytes = (0..<sizes[round % sizes.count]).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 1:  // a real message type with the wrong size
                bytes = [UInt8(1 + round % 4), 0, 0, 0]
                    + (0..<sizes[(round / 4) % sizes.count]).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 2:  // transport data for an unknown receiver index
                bytes = valid
                bytes[4] ^= 0x5A
            default:  // a valid datagram with one random bit flipped
                bytes = valid
                let bit = Int(random.next() % UInt64(bytes.count * 8))
                bytes[bit / 8] ^= UInt8(1 << (bit % 8))
            }
            // Every case changes at least one byte of a datagram (or is not one), and the tag covers the
            // counter too: nothing here may be accepted.
            let (result, packet) = pair.deliverToB(bytes)
            if case .dropped = result {} else { Issue.record("accepted a mangled datagram: \(result)") }
            #expect(packet == nil)
            sent += 1
        }
        #expect(pair.b.drops.total - before == UInt64(sent))
        #expect(pair.b.drops[.malformedMessage] > 0 && pair.b.drops[.unknownReceiverIndex] > 0)
        #expect(pair.b.drops[.decryptionFailed] > 0)
    }

    @Test("A peer cannot get a packet past the source check by forging its source, protocol or fragments")
    func forgedInnerSourcesAreDropped() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        var random = SeededRandom(seed: 8)
        let forgedSources = ["10.0.0.2", "10.0.0.3", "0.0.0.0", "255.255.255.255", "127.0.0.1", "10.0.1.1"]
        var attempts = 0
        for source in forgedSources {
            for proto: UInt8 in [1, 6, 17, 47, 58, 255] {
                for fragmentBits: UInt16 in [0, 0x2000, 0x0001, 0x3FFF] {
                    var packet = ipv4Packet(from: source, to: "10.0.0.2",
                                            payload: (0..<24).map { _ in UInt8(truncatingIfNeeded: random.next()) })
                    packet[9] = proto
                    packet[6] = UInt8(fragmentBits >> 8)
                    packet[7] = UInt8(fragmentBits & 0xFF)
                    // A's device routes by destination only, so it seals whatever A's TUN gives it.
                    let (result, datagram) = pair.encapsulate(packet, on: pair.a)
                    guard case .send = result, let datagram else {
                        Issue.record("A did not seal the forged packet: \(result)")
                        continue
                    }
                    #expect(pair.deliverToB(datagram).0 == .dropped(.disallowedSource))
                    attempts += 1
                }
            }
        }
        #expect(pair.b.drops[.disallowedSource] == UInt64(attempts))
    }
}

/// Every table a peer or stranger can make grow has a limit.
@Suite struct BoundedStateTests {
    @Test("Cookie replies waiting in the outbox stop at the backlog limit when the driver does not drain")
    func cookieBacklogIsCapped() {
        var configuration = WireGuardConfiguration()
        configuration.cookieReplyBacklogLimit = 256
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, configuration: configuration)
        pair.b.isUnderLoadOverride = true
        let flood = HostilePeerTests.strangerInitiation(pair)
        for index in 0..<5000 {
            let source = Endpoint(address: .v4(IPv4Address(value: 0x0A00_0000 | UInt32(index))), port: 1)
            #expect(pair.deliver(flood, to: pair.b, from: source).0 == .dropped(.cookieRequired))
            #expect(pair.b.pendingDatagramCount <= 256)
        }
        #expect(pair.b.cookieRepliesQueued == 256)
        #expect(pair.drainB().count == 256)
        #expect(pair.b.pendingDatagramCount == 0)
        // Drained, the device answers again.
        _ = pair.deliver(flood, to: pair.b, from: Endpoint(address: .v4(IPv4Address(192, 0, 2, 200)), port: 1))
        #expect(pair.b.pendingDatagramCount == 1)
    }

    @Test("A thousand rekeys leave the receiver-index tables at a few entries per peer")
    func indexTablesStayBounded() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        for round in 0..<1000 {
            pair.clock.advance(seconds: 121)
            _ = pair.encapsulate(pair.packetAtoB([UInt8(truncatingIfNeeded: round)]), on: pair.a)
            pair.pump()
            #expect(pair.a.receiverIndexCount <= 4 && pair.b.receiverIndexCount <= 4)
        }
        #expect(pair.a.statistics(for: pair.bPublic, now: pair.now.monotonic)?.hasSession == true)
    }

    @Test("Packets for a peer without a session are held up to the staged limit, however many arrive")
    func stagedQueueIsCapped() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, aKnowsBEndpoint: true)
        for index in 0..<10_000 {
            _ = pair.encapsulate(pair.packetAtoB([UInt8(truncatingIfNeeded: index)]), on: pair.a)
        }
        #expect(pair.a.statistics(for: pair.bPublic, now: pair.now.monotonic)?.stagedPackets == 128)
        #expect(pair.a.drops[.stagedQueueOverflow] == 10_000 - 128)
    }
}
