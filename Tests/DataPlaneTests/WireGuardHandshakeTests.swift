import Crypto
import DataPlane
import Testing

@Suite("WireGuard handshake")
struct WireGuardHandshakeTests {
    @Test("Handshake completes and data flows both ways")
    func handshakeAndDataBothWays() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        let (first, _) = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        #expect(first == .staged(peer: pair.bID))
        let initiation = pair.drainA()
        #expect(initiation.count == 1)
        #expect(initiation.first?.bytes.count == 148)
        #expect(initiation.first?.type == 1)
        #expect(initiation.first?.endpoint == pair.bEndpoint)
        #expect(pair.deliverToB(initiation[0].bytes).0 == .handshakeProcessed)
        let response = pair.drainB()
        #expect(response.count == 1)
        #expect(response.first?.bytes.count == 92)
        #expect(response.first?.endpoint == pair.aEndpoint, "B learned A's endpoint from the initiation")
        #expect(pair.deliverToA(response[0].bytes).0 == .handshakeProcessed)
        // A now flushes the staged packet; it confirms B's keypair.
        let flushed = pair.drainA()
        #expect(flushed.count == 1)
        #expect(flushed.first?.type == 4)
        #expect((flushed.first!.bytes.count - 32) % 16 == 0, "plaintext padded to 16")
        let (result, packet) = pair.deliverToB(flushed[0].bytes)
        guard case .packet(_, let peer) = result else {
            Issue.record("expected a packet, got \(result)")
            return
        }
        #expect(peer == pair.aID)
        #expect(packet == pair.packetAtoB())

        let (back, bytes) = pair.encapsulate(pair.packetBtoA(), on: pair.b)
        #expect(back.isSend(to: pair.aEndpoint))
        let (atA, packetAtA) = pair.deliverToA(bytes!)
        #expect(atA.isPacket)
        #expect(packetAtA == pair.packetBtoA())

        let statsA = pair.a.statistics(for: pair.bPublic, now: pair.now.monotonic)!
        #expect(statsA.lastHandshake != nil)
        #expect(statsA.sentBytes > 0 && statsA.receivedBytes > 0)
        #expect(statsA.endpoint == pair.bEndpoint)
        #expect(statsA.hasSession)
        let statsB = pair.b.statistics(for: pair.aPublic, now: pair.now.monotonic)!
        #expect(statsB.lastHandshake != nil)
        #expect(statsB.endpoint == pair.aEndpoint)
    }

    @Test("SodiumBackend and SwiftCryptoBackend<PortableKernelSet> interoperate in both roles")
    func crossBackendInterop() {
        checkInterop(SodiumBackend.self, SwiftCryptoBackend<PortableKernelSet>.self)
        checkInterop(SwiftCryptoBackend<PortableKernelSet>.self, SodiumBackend.self)
    }

    @Test("SodiumBackend and OpenSSLBackend handshake and carry data both ways in both roles")
    func openSSLInterop() throws {
        let openssl = try #require(CryptoRegistry.all.first { $0.name == "openssl" })
        try #require(openssl.availability == .available, "libcrypto: \(openssl.availability)")
        checkInterop(SodiumBackend.self, OpenSSLBackend.self)
        checkInterop(OpenSSLBackend.self, SodiumBackend.self)
        checkInterop(OpenSSLBackend.self, SwiftCryptoBackend<PortableKernelSet>.self)
    }

    /// A (initiator) and B complete a handshake, and a packet crosses each way.
    func checkInterop<A: CryptoBackend, B: CryptoBackend>(_ a: A.Type, _ b: B.Type) {
        let pair = TunnelPair(a, b)
        let delivered = pair.establish()
        #expect(delivered == [pair.packetAtoB()], "\(A.name) -> \(B.name)")
        let (_, bytes) = pair.encapsulate(pair.packetBtoA(), on: pair.b)
        #expect(pair.deliverToA(bytes!).1 == pair.packetBtoA(), "\(B.name) -> \(A.name)")
    }

    @Test("A handshake with mismatched preshared keys never completes")
    func presharedKeyMismatch() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        try! pair.b.updatePeer(WireGuardPeerConfiguration(
            publicKey: pair.aPublic, presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 1))),
            allowedIPs: [network("10.0.0.1/32")]))
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let run = pair.pump()
        #expect(run.atB.isEmpty)
        #expect(pair.a.drops[.handshakeAuthenticationFailed] == 1, "A cannot open B's response")
    }

    @Test("A replayed initiation (same or older TAI64N) is rejected")
    func timestampReplay() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let initiation = pair.drainA()[0].bytes
        #expect(pair.deliverToB(initiation).0 == .handshakeProcessed)
        _ = pair.drainB()
        pair.clock.advance(seconds: 1)
        #expect(pair.deliverToB(initiation).0 == .dropped(.replayedTimestamp))
        #expect(pair.drainB().isEmpty)
        #expect(pair.b.drops[.replayedTimestamp] == 1)

        // An initiation from a device whose wall clock went backwards is also refused.
        let rewound = WireGuardDevice<SodiumBackend>(privateKey: pair.aKey, random: SeededRandom(seed: 99))
        try! rewound.addPeer(WireGuardPeerConfiguration(
            publicKey: pair.bPublic, presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A))),
            allowedIPs: [network("10.0.0.2/32")], endpoint: pair.bEndpoint))
        var earlier = pair.now
        earlier.wallClock.unixSeconds -= 60
        var buffer = [UInt8](repeating: 0, count: 16 + 40 + 32)
        let packet = pair.packetAtoB()
        buffer.replaceSubrange(16..<(16 + packet.count), with: packet)
        _ = buffer.withUnsafeMutableBytes {
            rewound.encapsulate(buffer: $0, packet: 16..<(16 + packet.count), now: earlier)
        }
        var out = [UInt8](repeating: 0, count: 256)
        let datagram = out.withUnsafeMutableBytes { rewound.nextDatagram(into: $0, now: earlier) }!
        pair.clock.advance(seconds: 1)
        #expect(pair.deliverToB(Array(out[..<datagram.count])).0 == .dropped(.replayedTimestamp))
    }

    @Test("A bad MAC1 is ignored without any reply")
    func badMAC1() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let initiation = pair.drainA()[0].bytes
        for offset in [0 + 8, 40, 100, 116, 131] {
            var bad = initiation
            bad[offset] ^= 0x01
            #expect(pair.deliverToB(bad).0 == .dropped(.invalidMAC1), "flipped byte \(offset)")
        }
        #expect(pair.drainB().isEmpty)
        #expect(pair.b.drops[.invalidMAC1] == 5)
        // MAC2 is not checked when not under load, so a flipped MAC2 byte still works.
        var mac2Flipped = initiation
        mac2Flipped[140] ^= 0xFF
        #expect(pair.deliverToB(mac2Flipped).0 == .handshakeProcessed)
    }

    @Test("An initiation from an unknown key is dropped")
    func unknownPeer() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        #expect(pair.b.removePeer(pair.aPublic))
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        let run = pair.pump()
        #expect(run.results == [.dropped(.unknownPeer)])
    }

    @Test("Malformed datagrams of every type and length are counted and dropped")
    func malformed() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        var random = SeededRandom(seed: 5)
        var dropped = 0
        for trial in 0..<3000 {
            let length = trial < 200 ? trial : Int(random.next() % 300)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if length >= 4 && trial % 2 == 0 {
                bytes[0] = UInt8(1 + trial % 4)
                if trial % 4 == 0 { bytes[1] = 0; bytes[2] = 0; bytes[3] = 0 }
            }
            let (result, _) = pair.deliverToB(bytes)
            if case .dropped = result { dropped += 1 }
        }
        #expect(dropped == 3000)
        #expect(pair.b.drops[.malformedMessage] > 0)
    }

    @Test("The responder learns a roaming initiator's new endpoint from authenticated data")
    func roaming() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let moved = Endpoint(address: .v6(IPv6Address(groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 7])), port: 4000)
        let datagram = pair.sealedAtoB()
        var tampered = datagram
        tampered[20] ^= 1
        #expect(pair.deliver(tampered, to: pair.b, from: moved).0 == .dropped(.decryptionFailed))
        #expect(pair.b.statistics(for: pair.aPublic, now: pair.now.monotonic)?.endpoint == pair.aEndpoint,
                "unauthenticated packets do not move the endpoint")
        #expect(pair.deliver(datagram, to: pair.b, from: moved).0.isPacket)
        #expect(pair.b.statistics(for: pair.aPublic, now: pair.now.monotonic)?.endpoint == moved)
        let (result, _) = pair.encapsulate(pair.packetBtoA(), on: pair.b)
        #expect(result.isSend(to: moved))
    }
}

extension WireGuardOutboundResult {
    func isSend(to endpoint: Endpoint) -> Bool {
        if case .send(_, let target, _) = self { return target == endpoint }
        return false
    }
}

extension WireGuardInboundResult {
    var isPacket: Bool {
        if case .packet = self { return true }
        return false
    }
}
