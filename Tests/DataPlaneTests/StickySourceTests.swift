import Crypto
import DataPlane
import Testing

/// The engine keeps the local end each peer's authenticated datagrams arrive at and answers from it.
@Suite("Sticky source: replies leave from where the peer's datagrams arrived")
struct StickySourceTests {
    /// B's second address, the one A writes to, on B's interface 3.
    let atB = LocalSource(address: .v4(IPv4Address(203, 0, 113, 9)), interfaceIndex: 3)
    /// Where B's datagrams reach A.
    let atA = LocalSource(address: .v6(IPv6Address(high: 0xfe80 << 48, low: 7)), interfaceIndex: 5)

    /// Runs the handshake started by a packet from A, each side seeing the other's datagrams arrive at its
    /// local end; returns the datagrams B sent (the response) and A sent after it (the packet that waited).
    func handshake(_ pair: TunnelPair<SodiumBackend, SodiumBackend>) -> (fromB: [Sent], fromA: [Sent]) {
        #expect(pair.encapsulate(pair.packetAtoB(), on: pair.a).0 == .staged(peer: pair.bID))
        let initiation = pair.drainA()
        #expect(initiation.map(\.type) == [1])
        #expect(initiation.first?.source == nil, "A has heard nothing from B yet: the kernel chooses")
        #expect(pair.deliver(initiation[0].bytes, to: pair.b, from: pair.aEndpoint, at: atB).0 == .handshakeProcessed)
        let response = pair.drainB()
        #expect(response.map(\.type) == [2])
        #expect(pair.deliver(response[0].bytes, to: pair.a, from: pair.bEndpoint, at: atA).0 == .handshakeProcessed)
        let flushed = pair.drainA()
        #expect(flushed.map(\.type) == [4])
        #expect(pair.deliver(flushed[0].bytes, to: pair.b, from: pair.aEndpoint, at: atB).0.isPacket)
        return (response, flushed)
    }

    @Test("The handshake response, keepalives and data leave from the address and interface the peer wrote to")
    func repliesLeaveFromWhereThePeerWrote() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        let (fromB, fromA) = handshake(pair)
        #expect(fromB.first?.source == atB)
        #expect(fromA.first?.source == atA, "A's waiting packet goes from where B's response arrived")
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0.sendSource == atB)
        #expect(pair.encapsulate(pair.packetAtoB(), on: pair.a).0.sendSource == atA)
        // B received data and sent none back: its keepalive leaves from the same place.
        _ = pair.deliver(pair.sealedAtoB(), to: pair.b, from: pair.aEndpoint, at: atB)
        pair.clock.advance(seconds: 10)
        pair.b.updateTimers(now: pair.now)
        let keepalive = pair.drainB()
        #expect(keepalive.map(\.bytes.count) == [32])
        #expect(keepalive.first?.source == atB)
    }

    @Test("An authenticated datagram at another local address moves the source; a forged one does not")
    func onlyAuthenticatedDatagramsMoveTheSource() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = handshake(pair)
        let elsewhere = LocalSource(address: .v4(IPv4Address(198, 51, 100, 2)), interfaceIndex: 4)
        var forged = pair.sealedAtoB()
        forged[forged.count - 1] ^= 1
        #expect(pair.deliver(forged, to: pair.b, from: pair.aEndpoint, at: elsewhere).0
            == .dropped(.decryptionFailed))
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0.sendSource == atB)
        #expect(pair.deliver(pair.sealedAtoB(), to: pair.b, from: pair.aEndpoint, at: elsewhere).0.isPacket)
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0.sendSource == elsewhere)
    }

    @Test("A driver that reports the wildcard address (or nothing) leaves the choice to the kernel")
    func unspecifiedLocalAddressIsNotKept() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = handshake(pair)
        let wildcard = LocalSource(address: .v4(IPv4Address(value: 0)), interfaceIndex: 2)
        #expect(pair.deliver(pair.sealedAtoB(), to: pair.b, from: pair.aEndpoint, at: wildcard).0.isPacket)
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0.sendSource == nil)
        #expect(pair.deliver(pair.sealedAtoB(), to: pair.b, from: pair.aEndpoint, at: nil).0.isPacket)
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0.sendSource == nil)
    }

    @Test("An unanswered handshake forgets the source: the address may be gone, so the kernel chooses again")
    func unansweredHandshakeForgetsTheSource() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = handshake(pair)
        // A's session expires; its new handshake first goes from where B was last heard.
        pair.clock.advance(seconds: 181)
        #expect(pair.encapsulate(pair.packetAtoB(), on: pair.a).0 == .staged(peer: pair.bID))
        let first = pair.drainA()
        #expect(first.map(\.type) == [1])
        #expect(first.first?.source == atA)
        // No answer: the retransmission leaves the choice to the kernel.
        pair.clock.advance(seconds: 5.5)
        pair.a.updateTimers(now: pair.now)
        let retry = pair.drainA()
        #expect(retry.map(\.type) == [1])
        #expect(retry.first?.source == nil)
    }

    @Test("Setting a new endpoint drops the old source; setting the same one keeps it")
    func newEndpointDropsTheSource() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = handshake(pair)
        try pair.b.updatePeer(WireGuardPeerConfiguration(
            publicKey: pair.aPublic, presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A))),
            allowedIPs: [network("10.0.0.1/32")], endpoint: pair.aEndpoint))
        #expect(pair.encapsulate(pair.packetBtoA(), on: pair.b).0.sendSource == atB)
        let moved = Endpoint(address: .v4(IPv4Address(192, 0, 2, 77)), port: 4000)
        try pair.b.updatePeer(WireGuardPeerConfiguration(
            publicKey: pair.aPublic, presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A))),
            allowedIPs: [network("10.0.0.1/32")], endpoint: moved))
        let result = pair.encapsulate(pair.packetBtoA(), on: pair.b).0
        #expect(result.isSend(to: moved))
        #expect(result.sendSource == nil)
    }

    @Test("A cookie reply under load leaves from the address the initiation arrived at")
    func cookieReplyLeavesFromTheArrivalAddress() {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.b.isUnderLoadOverride = true
        #expect(pair.encapsulate(pair.packetAtoB(), on: pair.a).0 == .staged(peer: pair.bID))
        let initiation = pair.drainA()
        #expect(pair.deliver(initiation[0].bytes, to: pair.b, from: pair.aEndpoint, at: atB).0
            == .dropped(.cookieRequired))
        let reply = pair.drainB()
        #expect(reply.map(\.type) == [3])
        #expect(reply.first?.source == atB)
    }
}

extension WireGuardOutboundResult {
    /// The local end a `.send` asks to leave from (nil for other results too).
    var sendSource: LocalSource? {
        if case .send(_, _, let source) = self { return source }
        return nil
    }
}
