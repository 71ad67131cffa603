import Crypto
import DataPlane

/// A seeded xorshift64* generator so every handshake in a test is reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// A fake clock: monotonic nanoseconds plus a wall clock that moves with it.
struct FakeClock {
    var nanoseconds: UInt64 = 1_000_000_000
    var wallOffset: Int64 = 1_700_000_000

    var now: WireGuardTime {
        WireGuardTime(
            monotonic: MonotonicInstant(nanoseconds: nanoseconds),
            wallClock: WallClockTime(unixSeconds: wallOffset + Int64(nanoseconds / 1_000_000_000),
                                     nanoseconds: UInt32(nanoseconds % 1_000_000_000)))
    }

    mutating func advance(seconds: Double) {
        nanoseconds += UInt64(seconds * 1e9)
    }
}

/// A datagram that left a device.
struct Sent {
    var bytes: [UInt8]
    var endpoint: Endpoint
    /// The local end the device asked to send from (nil: the kernel chooses).
    var source: LocalSource? = nil

    var type: UInt8 { bytes[0] }
}

func privateKey(seed: UInt8) -> PrivateKey {
    PrivateKey(raw: Key32((0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(seed)) })!).clamped
}

func ipv4(_ text: String) -> IPv4Address {
    let parts = text.split(separator: ".").map { UInt8($0)! }
    return IPv4Address(parts[0], parts[1], parts[2], parts[3])
}

func network(_ text: String) -> IPNetwork {
    let pieces = text.split(separator: "/")
    return IPNetwork(.v4(ipv4(String(pieces[0]))), prefixLength: Int(pieces[1])!)!
}

/// An IPv4/UDP-looking packet from `source` to `destination` carrying `payload`.
func ipv4Packet(from source: String, to destination: String, payload: [UInt8]) -> [UInt8] {
    var packet = [UInt8](repeating: 0, count: 20)
    packet[0] = 0x45
    let total = 20 + payload.count
    packet[2] = UInt8(total >> 8)
    packet[3] = UInt8(total & 0xFF)
    packet[8] = 64
    packet[9] = 17
    let src = ipv4(source).value
    let dst = ipv4(destination).value
    for index in 0..<4 {
        packet[12 + index] = UInt8(truncatingIfNeeded: src >> UInt32(24 - 8 * index))
        packet[16 + index] = UInt8(truncatingIfNeeded: dst >> UInt32(24 - 8 * index))
    }
    return packet + payload
}

/// Two devices, A (10.0.0.1) and B (10.0.0.2), each configured with the other as a peer, plus a fake
/// network that carries datagrams between them on demand.
final class TunnelPair<BackendA: CryptoBackend, BackendB: CryptoBackend> {
    let a: WireGuardDevice<BackendA>
    let b: WireGuardDevice<BackendB>
    let aKey = privateKey(seed: 1)
    let bKey = privateKey(seed: 2)
    let aPublic: PublicKey
    let bPublic: PublicKey
    /// A's id on B.
    let aID: PeerID
    /// B's id on A.
    let bID: PeerID
    var aEndpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820)
    let bEndpoint = Endpoint(address: .v4(IPv4Address(198, 51, 100, 2)), port: 51821)
    var clock = FakeClock()

    init(_ backendA: BackendA.Type, _ backendB: BackendB.Type,
         configuration: WireGuardConfiguration = WireGuardConfiguration(),
         presharedKey: PresharedKey = PresharedKey(raw: Key32(bytes: SIMD32(repeating: 0x5A))),
         aKnowsBEndpoint: Bool = true, bKnowsAEndpoint: Bool = false) {
        a = WireGuardDevice<BackendA>(privateKey: aKey, configuration: configuration, random: SeededRandom(seed: 11))
        b = WireGuardDevice<BackendB>(privateKey: bKey, configuration: configuration, random: SeededRandom(seed: 22))
        aPublic = a.publicKey!
        bPublic = b.publicKey!
        bID = try! a.addPeer(WireGuardPeerConfiguration(
            publicKey: bPublic, presharedKey: presharedKey, allowedIPs: [network("10.0.0.2/32")],
            endpoint: aKnowsBEndpoint ? bEndpoint : nil))
        aID = try! b.addPeer(WireGuardPeerConfiguration(
            publicKey: aPublic, presharedKey: presharedKey, allowedIPs: [network("10.0.0.1/32")],
            endpoint: bKnowsAEndpoint ? aEndpoint : nil))
    }

    var now: WireGuardTime { clock.now }

    /// Everything A has queued.
    func drainA() -> [Sent] { drain(a) }
    /// Everything B has queued.
    func drainB() -> [Sent] { drain(b) }

    func drain<B: CryptoBackend>(_ device: WireGuardDevice<B>) -> [Sent] {
        var result: [Sent] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while let datagram = buffer.withUnsafeMutableBytes({ device.nextDatagram(into: $0, now: now) }) {
            result.append(Sent(bytes: Array(buffer[..<datagram.count]), endpoint: datagram.endpoint,
                               source: datagram.source))
        }
        return result
    }

    /// Delivers a datagram to a device; returns the result and the decrypted packet if any.
    func deliver<B: CryptoBackend>(
        _ bytes: [UInt8], to device: WireGuardDevice<B>, from source: Endpoint, at local: LocalSource? = nil
    ) -> (WireGuardInboundResult, [UInt8]?) {
        var buffer = bytes
        let result = buffer.withUnsafeMutableBytes { device.handleDatagram($0, from: source, to: local, now: now) }
        if case .packet(let range, _) = result { return (result, Array(buffer[range])) }
        return (result, nil)
    }

    func deliverToB(_ bytes: [UInt8]) -> (WireGuardInboundResult, [UInt8]?) { deliver(bytes, to: b, from: aEndpoint) }
    func deliverToA(_ bytes: [UInt8]) -> (WireGuardInboundResult, [UInt8]?) { deliver(bytes, to: a, from: bEndpoint) }

    /// Moves datagrams both ways until both devices are quiet; returns the packets each side decrypted.
    @discardableResult
    func pump(maxRounds: Int = 20) -> (atA: [[UInt8]], atB: [[UInt8]], results: [WireGuardInboundResult]) {
        var atA: [[UInt8]] = []
        var atB: [[UInt8]] = []
        var results: [WireGuardInboundResult] = []
        for _ in 0..<maxRounds {
            let fromA = drainA()
            let fromB = drainB()
            if fromA.isEmpty && fromB.isEmpty { break }
            for sent in fromA {
                let (result, packet) = deliverToB(sent.bytes)
                results.append(result)
                if let packet { atB.append(packet) }
            }
            for sent in fromB {
                let (result, packet) = deliverToA(sent.bytes)
                results.append(result)
                if let packet { atA.append(packet) }
            }
        }
        return (atA, atB, results)
    }

    /// Encapsulates `packet` on a device in a buffer with exact headroom and tailroom.
    func encapsulate<B: CryptoBackend>(_ packet: [UInt8], on device: WireGuardDevice<B>)
        -> (WireGuardOutboundResult, [UInt8]?)
    {
        var buffer = [UInt8](repeating: 0xEE, count: 16 + packet.count + 32)
        buffer.replaceSubrange(16..<(16 + packet.count), with: packet)
        let result = buffer.withUnsafeMutableBytes {
            device.encapsulate(buffer: $0, packet: 16..<(16 + packet.count), now: now)
        }
        if case .send(let range, _, _) = result { return (result, Array(buffer[range])) }
        return (result, nil)
    }

    /// A packet from A's tunnel address to B's.
    func packetAtoB(_ payload: [UInt8] = Array("hello from A".utf8)) -> [UInt8] {
        ipv4Packet(from: "10.0.0.1", to: "10.0.0.2", payload: payload)
    }

    /// A packet from B's tunnel address to A's.
    func packetBtoA(_ payload: [UInt8] = Array("hello from B".utf8)) -> [UInt8] {
        ipv4Packet(from: "10.0.0.2", to: "10.0.0.1", payload: payload)
    }

    /// Runs the handshake (started by a packet from A) and delivers that packet; returns it as B saw it.
    @discardableResult
    func establish() -> [[UInt8]] {
        let (result, _) = encapsulate(packetAtoB(), on: a)
        precondition(result == .staged(peer: bID))
        return pump().atB
    }

    /// A transport datagram from A to B carrying a fresh packet.
    func sealedAtoB(_ payload: [UInt8] = [1, 2, 3]) -> [UInt8] {
        let (result, bytes) = encapsulate(packetAtoB(payload), on: a)
        guard case .send = result, let bytes else { preconditionFailure("A has no session: \(result)") }
        return bytes
    }
}
