import Crypto
import DataPlane
import Testing

@Suite("WireGuard transport")
struct WireGuardTransportTests {
    @Test("A replayed counter is rejected")
    func replay() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let datagram = pair.sealedAtoB()
        #expect(pair.deliverToB(datagram).0.isPacket)
        #expect(pair.deliverToB(datagram).0 == .dropped(.replayedCounter))
        #expect(pair.b.drops[.replayedCounter] == 1)
    }

    @Test("Reordered packets inside the window are accepted once; packets behind it are rejected")
    func reorderAndTooOld() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let datagrams = (0..<5000).map { pair.sealedAtoB([UInt8(truncatingIfNeeded: $0)]) }
        // Deliver newest first within a 2048 span: all accepted once.
        for index in stride(from: 2100, through: 53, by: -1) {
            #expect(pair.deliverToB(datagrams[index]).0.isPacket, "index \(index)")
        }
        for index in [2100, 1000, 53] {
            #expect(pair.deliverToB(datagrams[index]).0 == .dropped(.replayedCounter))
        }
        // Jump ahead far: the old ones fall out of the window.
        #expect(pair.deliverToB(datagrams[4999]).0.isPacket)
        #expect(pair.deliverToB(datagrams[20]).0 == .dropped(.replayedCounter), "behind the window")
        #expect(pair.deliverToB(datagrams[4999 - 2048]).0.isPacket, "2048 behind is still inside")
        #expect(pair.deliverToB(datagrams[4998]).0.isPacket)
    }

    @Test("Tampered transport packets are dropped and never delivered")
    func tampering() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let datagram = pair.sealedAtoB(Array(repeating: 7, count: 100))
        for offset in [8, 15, 16, 60, datagram.count - 1] {
            var bad = datagram
            bad[offset] ^= 0x80
            #expect(pair.deliverToB(bad).0 == .dropped(.decryptionFailed), "byte \(offset)")
        }
        var badIndex = datagram
        badIndex[5] ^= 0x80
        #expect(pair.deliverToB(badIndex).0 == .dropped(.unknownReceiverIndex))
        var badReserved = datagram
        badReserved[1] = 1
        #expect(pair.deliverToB(badReserved).0 == .dropped(.malformedMessage))
        #expect(pair.deliverToB(Array(datagram[..<31])).0 == .dropped(.malformedMessage))
        #expect(pair.deliverToB(datagram).0.isPacket, "the original still opens")
    }

    @Test("A decrypted packet with a source outside the peer's allowed IPs is dropped")
    func spoofedSource() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        let spoofed = ipv4Packet(from: "10.0.0.99", to: "10.0.0.2", payload: [1, 2, 3])
        let (result, bytes) = pair.encapsulate(spoofed, on: pair.a)
        #expect(result.isSend(to: pair.bEndpoint), "A routes by destination only")
        #expect(pair.deliverToB(bytes!).0 == .dropped(.disallowedSource))
        #expect(pair.b.drops[.disallowedSource] == 1)
    }

    @Test("Outgoing packets without a route, endpoint or room are dropped")
    func outgoingDrops() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, bKnowsAEndpoint: false)
        #expect(pair.encapsulate(ipv4Packet(from: "10.0.0.1", to: "10.9.9.9", payload: []), on: pair.a).0
            == .dropped(.noRoute))
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0 == .dropped(.noEndpoint))
        #expect(pair.encapsulate([0x45, 0, 0], on: pair.a).0 == .dropped(.invalidInnerPacket))
        var buffer = pair.packetAtoB() + [UInt8](repeating: 0, count: 32)
        let count = pair.packetAtoB().count
        let result = buffer.withUnsafeMutableBytes { pair.a.encapsulate(buffer: $0, packet: 0..<count, now: pair.now) }
        #expect(result == .dropped(.insufficientBufferSpace))
    }

    @Test("The staged queue holds at most 128 packets, dropping the oldest, and flushes in order")
    func stagedQueue() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        for index in 0..<130 {
            #expect(pair.encapsulate(pair.packetAtoB([UInt8(index)]), on: pair.a).0 == .staged(peer: pair.bID))
        }
        #expect(pair.a.drops[.stagedQueueOverflow] == 2)
        #expect(pair.drainA().count == 1, "one initiation, not one per packet")
        pair.clock.advance(seconds: 0.01)
        _ = pair.encapsulate(pair.packetAtoB([200]), on: pair.a)
        // Re-send the initiation by retransmission so pump starts from scratch.
        pair.clock.advance(seconds: 6)
        pair.a.updateTimers(now: pair.now)
        let run = pair.pump()
        #expect(run.atB.count == 128)
        #expect(run.atB.first?.last == 3)
        #expect(run.atB.last?.last == 200)
    }

    @Test("Keepalives are empty transport packets of 32 bytes")
    func keepaliveShape() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = pair.encapsulate(pair.packetAtoB(), on: pair.a)
        _ = pair.deliverToB(pair.drainA()[0].bytes)
        _ = pair.deliverToA(pair.drainB()[0].bytes)
        let flushed = pair.drainA()
        #expect(flushed.count == 1)
        // No staged data: a fresh pair sends a keepalive to confirm the session instead.
        let other = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        try! other.a.updatePeer(WireGuardPeerConfiguration(
            publicKey: other.bPublic, presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A))),
            allowedIPs: [network("10.0.0.2/32")], endpoint: other.bEndpoint,
            persistentKeepalive: .seconds(25)))
        other.a.updateTimers(now: other.now)
        _ = other.deliverToB(other.drainA()[0].bytes)
        _ = other.deliverToA(other.drainB()[0].bytes)
        let keepalive = other.drainA()
        #expect(keepalive.count == 1)
        #expect(keepalive.first?.bytes.count == 32)
        #expect(other.deliverToB(keepalive[0].bytes).0 == .keepalive(peer: other.aID))
    }

    @Test("IPv6 packets are routed and source-checked by the same table")
    func ipv6() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        let psk = PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A)))
        let aAddress = IPv6Address(groups: [0xfd00, 0, 0, 0, 0, 0, 0, 1])
        let bAddress = IPv6Address(groups: [0xfd00, 0, 0, 0, 0, 0, 0, 2])
        try! pair.a.updatePeer(WireGuardPeerConfiguration(
            publicKey: pair.bPublic, presharedKey: psk,
            allowedIPs: [network("10.0.0.2/32"), IPNetwork(.v6(bAddress), prefixLength: 128)!]))
        try! pair.b.updatePeer(WireGuardPeerConfiguration(
            publicKey: pair.aPublic, presharedKey: psk,
            allowedIPs: [network("10.0.0.1/32"), IPNetwork(.v6(aAddress), prefixLength: 128)!]))
        pair.establish()
        func packet(from source: IPv6Address, to destination: IPv6Address) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 40 + 5)
            bytes[0] = 0x60
            bytes[5] = 5
            bytes[6] = 17
            bytes.withUnsafeMutableBytes {
                source.store(to: $0.baseAddress! + 8)
                destination.store(to: $0.baseAddress! + 24)
            }
            return bytes
        }
        let good = packet(from: aAddress, to: bAddress)
        let (result, bytes) = pair.encapsulate(good, on: pair.a)
        #expect(result.isSend(to: pair.bEndpoint))
        #expect(pair.deliverToB(bytes!).1 == good)
        let spoofed = packet(from: IPv6Address(groups: [0xfd00, 0, 0, 0, 0, 0, 0, 9]), to: bAddress)
        #expect(pair.deliverToB(pair.encapsulate(spoofed, on: pair.a).1!).0 == .dropped(.disallowedSource))
        #expect(pair.a.peer(routing: .v6(bAddress)) == pair.bID)
    }
}
