import Crypto
import DataPlane
import Testing

/// Dense peer ids: slots reused lowest first, so tables above the engine can be arrays.
@Suite struct PeerIDTests {
    func key(_ seed: UInt8) -> PublicKey { SodiumBackend.publicKey(for: privateKey(seed: seed)) }

    func device() -> WireGuardDevice<SodiumBackend> {
        WireGuardDevice<SodiumBackend>(privateKey: privateKey(seed: 1), random: SeededRandom(seed: 5))
    }

    @Test("Ids are dense from 0, a removed peer's slot goes to the next peer added, lowest free slot first")
    func idsAreDenseAndReused() throws {
        let device = device()
        #expect(device.peerSlotCount == 0)
        var ids: [PeerID] = []
        for seed in UInt8(10)..<15 { ids.append(try device.addPeer(WireGuardPeerConfiguration(publicKey: key(seed)))) }
        #expect(ids.map(\.index) == [0, 1, 2, 3, 4])
        #expect(device.peerSlotCount == 5)
        #expect(device.removePeer(ids[3]))
        #expect(device.removePeer(key(11)))
        #expect(!device.removePeer(ids[3]), "a free slot is removed only once")
        #expect(device.publicKey(of: ids[1]) == nil && device.peerID(for: key(11)) == nil)
        #expect(device.peerSlotCount == 5, "slot 4 is still in use")
        let first = try device.addPeer(WireGuardPeerConfiguration(publicKey: key(20)))
        let second = try device.addPeer(WireGuardPeerConfiguration(publicKey: key(21)))
        let third = try device.addPeer(WireGuardPeerConfiguration(publicKey: key(22)))
        #expect([first.index, second.index, third.index] == [1, 3, 5])
        #expect(device.publicKey(of: first) == key(20) && device.peerID(for: key(21)) == second)
        #expect(device.peerIDs.map(\.index) == [0, 1, 2, 3, 4, 5])
        // Removing the highest slots shrinks the bound, so arrays sized by it stay small.
        #expect(device.removePeer(third) && device.removePeer(ids[4]))
        #expect(device.peerSlotCount == 4)
        #expect(device.publicKey(of: PeerID(index: 400)) == nil)
    }

    @Test("Results name the peer by its id: staged, packet and keepalive, and routing lookups")
    func resultsCarryIDs() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        // On B, A moves to slot 3 behind three other peers, so an id taken from the wrong place shows.
        _ = try pair.b.addPeer(WireGuardPeerConfiguration(publicKey: key(30)))
        _ = try pair.b.addPeer(WireGuardPeerConfiguration(publicKey: key(31)))
        #expect(pair.b.removePeer(pair.aPublic))
        _ = try pair.b.addPeer(WireGuardPeerConfiguration(publicKey: key(32)))
        let aOnB = try pair.b.addPeer(WireGuardPeerConfiguration(
            publicKey: pair.aPublic, presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A))),
            allowedIPs: [network("10.0.0.1/32")]))
        #expect(aOnB.index == 3 && pair.b.peerID(for: pair.aPublic) == aOnB)
        let delivered = pair.establish()
        #expect(delivered == [pair.packetAtoB()])
        let (result, _) = pair.deliverToB(pair.sealedAtoB())
        #expect(result == .packet(range: 16..<(16 + pair.packetAtoB([1, 2, 3]).count), peer: aOnB))
        #expect(pair.b.peer(routing: .v4(ipv4("10.0.0.1"))) == aOnB)
        let reply = pair.encapsulate(pair.packetBtoA(), on: pair.b).0
        guard case .send = reply else {
            Issue.record("expected B to send on the session, got \(reply)")
            return
        }
    }

    @Test("encapsulate(to:) sends to that peer whatever the destination routes to; a free slot is no route")
    func encapsulateToIgnoresRoutes() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        // 203.0.113.9 routes nowhere on A: the routed entry point refuses it, the addressed one sends it.
        let stray = ipv4Packet(from: "10.0.0.1", to: "203.0.113.9", payload: Array("icmp error".utf8))
        #expect(pair.encapsulate(stray, on: pair.a).0 == .dropped(.noRoute))
        var buffer = [UInt8](repeating: 0, count: 16 + stray.count + 32)
        buffer.replaceSubrange(16..<(16 + stray.count), with: stray)
        let result = buffer.withUnsafeMutableBytes {
            pair.a.encapsulate(to: pair.bID, buffer: $0, packet: 16..<(16 + stray.count), now: pair.now)
        }
        guard case .send(let range, let endpoint, _) = result else {
            Issue.record("expected a send, got \(result)")
            return
        }
        #expect(endpoint == pair.bEndpoint)
        let (received, packet) = pair.deliverToB(Array(buffer[range]))
        #expect(received == .packet(range: 16..<(16 + stray.count), peer: pair.aID))
        #expect(packet == stray)

        // The send encrypted the buffer in place: put the plaintext back for the next attempt.
        buffer.replaceSubrange(16..<(16 + stray.count), with: stray)
        let missing = buffer.withUnsafeMutableBytes {
            pair.a.encapsulate(to: PeerID(index: 9), buffer: $0, packet: 16..<(16 + stray.count), now: pair.now)
        }
        #expect(missing == .dropped(.noRoute))
    }

    @Test("encapsulate(to:) without a session stages the packet and starts a handshake that delivers it")
    func encapsulateToStagesWithoutSession() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        let stray = ipv4Packet(from: "10.0.0.1", to: "198.51.100.77", payload: [9, 9])
        var buffer = [UInt8](repeating: 0, count: 16 + stray.count + 32)
        buffer.replaceSubrange(16..<(16 + stray.count), with: stray)
        let result = buffer.withUnsafeMutableBytes {
            pair.a.encapsulate(to: pair.bID, buffer: $0, packet: 16..<(16 + stray.count), now: pair.now)
        }
        #expect(result == .staged(peer: pair.bID))
        #expect(pair.pump().atB == [stray])
    }

    @Test("Allowed IPs change per peer id: add one, remove one whoever owns it, replace all, list")
    func allowedIPsByID() throws {
        let device = device()
        let first = try device.addPeer(WireGuardPeerConfiguration(publicKey: key(10),
                                                                  allowedIPs: [network("10.1.0.0/16")]))
        let second = try device.addPeer(WireGuardPeerConfiguration(publicKey: key(11)))
        device.addAllowedIP(network("10.2.0.5/32"), to: second)
        device.addAllowedIP(network("10.1.2.0/24"), to: second)
        #expect(device.peer(routing: .v4(ipv4("10.2.0.5"))) == second)
        #expect(device.peer(routing: .v4(ipv4("10.1.2.3"))) == second, "the longer prefix wins")
        #expect(device.peer(routing: .v4(ipv4("10.1.9.9"))) == first)
        #expect(device.allowedIPs(of: second) == [network("10.2.0.5/32"), network("10.1.2.0/24")])
        device.removeAllowedIP(network("10.1.2.0/24"))
        #expect(device.peer(routing: .v4(ipv4("10.1.2.3"))) == first)
        device.setAllowedIPs([network("10.3.0.0/16")], of: first)
        #expect(device.allowedIPs(of: first) == [network("10.3.0.0/16")])
        #expect(device.peer(routing: .v4(ipv4("10.1.9.9"))) == nil)
        #expect(device.statistics(of: first, now: MonotonicInstant(nanoseconds: 0))?.publicKey == key(10))
        device.addAllowedIP(network("10.4.0.0/16"), to: PeerID(index: 7))
        #expect(device.peer(routing: .v4(ipv4("10.4.0.1"))) == nil, "a free slot gets no routes")
        #expect(device.allowedIPs(of: PeerID(index: 7)).isEmpty)
    }
}
