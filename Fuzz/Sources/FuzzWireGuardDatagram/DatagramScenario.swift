import DataPlane
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

/// Two devices and a lossy, reordering, tampering network between them, driven by the fuzzer's input.
///
/// `responder` is the device under attack: real keys, one configured peer. `initiator` is that peer, a
/// second in-process device, so real handshakes and real transport data exist for the fuzzer to deliver,
/// drop, reorder, replay and mutate. Crafted messages come from "attacker" endpoints with a MAC1 the
/// harness computes, so mutated bodies get past MAC1 into the Noise decryption.
///
/// Properties checked on every result (a violation traps, and libFuzzer keeps the input):
/// - a real message changed in transit where the AEAD authenticates it is never accepted (packet,
///   keepalive, processed initiation or response); messages from the input itself may be genuine, since
///   every run uses the same static keys and seeded randomness;
/// - a transport datagram is accepted at most once (the replay window), an initiation at most once while
///   the peer is configured (its timestamp);
/// - a decrypted packet is exactly the packet the other device encapsulated, and its range lies inside the
///   datagram between header and tag;
/// - an encapsulated datagram lies inside the caller's buffer, right before the packet's headroom;
/// - `nextDatagram` writes within the buffer and nothing is pending once it returned nil;
/// - after `updateTimers(now)` no timer is still due at `now`, or a driver sleeping until `nextDeadline`
///   would spin.
/// `FZ_FUZZ_TRACE=1` prints every operation, delivery and result, to see what a crashing input does.
let tracing = getenv("FZ_FUZZ_TRACE") != nil

/// The opcodes of a program, chosen by `byte % allCases.count`.
enum DatagramOperation: CaseIterable {
    case initiatorSendsPacket, responderSendsPacket, deliverToResponder, deliverToInitiator, dropInFlight
    case replay, rawToResponder, craftedToResponder, advanceTime, wallClockJump, toggleLoad, reconfigure
    case setDrainBufferSize
}

final class DatagramScenario<B: CryptoBackend> {
    /// A datagram on the simulated network.
    struct InFlight {
        var bytes: [UInt8]
    }

    let responder: WireGuardDevice<B>
    let initiator: WireGuardDevice<B>
    let responderKey: PrivateKey
    let alternateResponderKey: PrivateKey
    let initiatorPublic: PublicKey
    let responderPeerConfiguration: WireGuardPeerConfiguration
    let initiatorPeerConfiguration: WireGuardPeerConfiguration

    var monotonicNanoseconds: UInt64 = 1_000_000_000
    var wallClockOffset: Int64 = 1_700_000_000

    /// Initiator -> responder and responder -> initiator, oldest first.
    var toResponder: [InFlight] = []
    var toInitiator: [InFlight] = []
    /// Every datagram either device sent (transport data) or its authenticated part (handshakes).
    var authentic: Set<[UInt8]> = []
    /// Transport datagrams each device accepted, as `[receiver byte] + bytes`.
    var acceptedTransport: Set<[UInt8]> = []
    /// Initiations the responder processed since its peer was last (re)added.
    var acceptedInitiations: Set<[UInt8]> = []
    /// The packet inside each datagram `encapsulate` produced.
    var plaintextOf: [[UInt8]: [UInt8]] = [:]
    /// Recent datagrams of both directions for replays, with their direction.
    var history: [(bytes: [UInt8], toResponder: Bool)] = []
    /// Receiver indices the responder announced (initiation and response sender indices).
    var responderIndices: [UInt32] = []
    /// MAC1 of the responder's latest initiation: a crafted cookie reply must be bound to it.
    var responderInitiationMAC1: [UInt8]?
    /// The last crafted handshake message's MAC1, its sender index and the attacker endpoint that sent it.
    var craftedMAC1: [UInt8]?
    var craftedSender: UInt32 = 0
    var craftedSource: Endpoint?
    /// Cookies the responder gave to attacker endpoints, by endpoint.
    var cookies: [Endpoint: SIMD16<UInt8>] = [:]
    /// The first cookie replies the responder sent to attacker endpoints (for seeds).
    var cookieReplies: [[UInt8]] = []
    /// Buffer size for the next drain; small sizes make the device drop what does not fit.
    var drainBufferSize = 4096
    /// Whether the responder currently uses `alternateResponderKey`.
    var responderUsesAlternateKey = false
    /// Whether the responder's peer is configured (the program can remove it).
    var responderHasPeer = true

    static var initiatorEndpoints: [Endpoint] {
        [Endpoint(address: .v4(IPv4Address(192, 0, 2, 2)), port: 51821),
         Endpoint(address: .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 2)), port: 51821)]
    }

    static var attackerEndpoints: [Endpoint] {
        [Endpoint(address: .v4(IPv4Address(203, 0, 113, 9)), port: 4444),
         Endpoint(address: .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x66)), port: 4444),
         Endpoint(address: .v4(IPv4Address(203, 0, 113, 10)), port: 4445)]
    }

    static var responderEndpoint: Endpoint { Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820) }

    /// Reads the header: configuration flags, the RNG seed, and whether to complete a handshake first.
    init(header input: inout FuzzInput) {
        let flags = input.byte()
        let seed = UInt64(input.byte())
        var configuration = WireGuardConfiguration()
        if flags & 0x08 != 0 {
            // Tight limits so short inputs reach rekeying, counter exhaustion and queue overflow.
            configuration.rekeyAfterMessages = 4
            configuration.rejectAfterMessages = 8
            configuration.stagedPacketLimit = 3
            configuration.handshakesPerSecond = 2
            configuration.handshakeBurst = 2
            configuration.rekeyAfterTime = .seconds(12)
            configuration.rejectAfterTime = .seconds(18)
            configuration.rekeyAttemptTime = .seconds(9)
        }
        if flags & 0x10 != 0 { configuration.mtu = flags & 0x20 != 0 ? 1280 : 64 }
        let presharedKey = PresharedKey(raw: Key32(bytes: SIMD32(repeating: flags & 0x02 != 0 ? 0x5A : 0)))

        responderKey = Self.key(seed: 1)
        alternateResponderKey = Self.key(seed: 3)
        responder = WireGuardDevice<B>(privateKey: responderKey, configuration: configuration,
                                       random: SeededRandom(seed: 0x1000 | seed))
        initiator = WireGuardDevice<B>(privateKey: Self.key(seed: 2), configuration: configuration,
                                       random: SeededRandom(seed: 0x2000 | seed))
        initiatorPublic = initiator.publicKey!
        responderPeerConfiguration = WireGuardPeerConfiguration(
            publicKey: initiatorPublic, presharedKey: presharedKey,
            allowedIPs: [Self.network(.v4(IPv4Address(10, 0, 0, 2)), 32),
                         Self.network(.v4(IPv4Address(10, 1, 0, 0)), 16),
                         Self.network(.v6(IPv6Address(high: 0xfd00_0000_0000_0000, low: 2)), 128)],
            endpoint: flags & 0x04 != 0 ? Self.initiatorEndpoints[0] : nil)
        initiatorPeerConfiguration = WireGuardPeerConfiguration(
            publicKey: responder.publicKey!, presharedKey: presharedKey,
            allowedIPs: [Self.network(.v4(IPv4Address(value: 0)), 0),
                         Self.network(.v6(IPv6Address(high: 0, low: 0)), 0)],
            endpoint: Self.responderEndpoint)
        do {
            try responder.addPeer(responderPeerConfiguration)
            try initiator.addPeer(initiatorPeerConfiguration)
        } catch {
            fatalError("cannot configure the devices: \(error)")
        }
        if flags & 0x01 != 0 { completeHandshake() }
    }

    static func key(seed: UInt8) -> PrivateKey {
        var bytes = SIMD32<UInt8>()
        for lane in 0..<32 { bytes[lane] = UInt8(truncatingIfNeeded: lane &* 7 &+ Int(seed)) }
        return PrivateKey(raw: Key32(bytes: bytes)).clamped
    }

    static func network(_ address: IPAddress, _ length: Int) -> IPNetwork {
        guard let network = IPNetwork(address, prefixLength: length) else { fatalError("bad prefix length") }
        return network
    }

    var now: WireGuardTime {
        let wall = wallClockOffset + Int64(monotonicNanoseconds / 1_000_000_000)
        return WireGuardTime(monotonic: MonotonicInstant(nanoseconds: monotonicNanoseconds),
                             wallClock: WallClockTime(unixSeconds: wall,
                                                      nanoseconds: UInt32(monotonicNanoseconds % 1_000_000_000)))
    }

    /// A real handshake: the initiator's packet starts it, the response comes back, the staged packet
    /// confirms the responder's keypair.
    func completeHandshake() {
        let packet = PacketBuilder.ipv4(source: IPv4Address(10, 0, 0, 2), destination: IPv4Address(10, 0, 0, 1),
                                        protocolNumber: 17, payloadCount: 8)
        _ = encapsulate(on: initiator, packet: packet, headroom: 16, tailroom: 32)
        drainAll()
        deliverAll()
    }

    /// Delivers everything in flight, polling after each datagram as a driver does, until both are quiet.
    func deliverAll() {
        for _ in 0..<8 {
            while !toResponder.isEmpty {
                deliver(toResponder.removeFirst().bytes, toResponder: true, source: 0)
                drainAll()
            }
            while !toInitiator.isEmpty {
                deliver(toInitiator.removeFirst().bytes, toResponder: false, source: 0)
                drainAll()
            }
        }
    }

    // MARK: - The program

    func run(_ input: inout FuzzInput) {
        var steps = 0
        while !input.isAtEnd, steps < 256 {
            steps += 1
            let operations = DatagramOperation.allCases
            let operation = operations[input.choice(operations.count)]
            if tracing { print("-- \(operation) at \(now.monotonic)") }
            switch operation {
            case .initiatorSendsPacket:
                _ = encapsulate(on: initiator, packet: PacketBuilder.packet(&input), headroom: 16, tailroom: 32)
            case .responderSendsPacket:
                let headrooms = [16, 16, 0, 15, 20]
                let tailrooms = [32, 32, 0, 15, 47, 64]
                let packet = PacketBuilder.packet(&input)
                _ = encapsulate(on: responder, packet: packet, headroom: headrooms[input.choice(headrooms.count)],
                                tailroom: tailrooms[input.choice(tailrooms.count)])
            case .deliverToResponder: deliverQueued(&input, toResponder: true)
            case .deliverToInitiator: deliverQueued(&input, toResponder: false)
            case .dropInFlight:
                if input.flag() {
                    if !toResponder.isEmpty { toResponder.removeFirst() }
                } else if !toInitiator.isEmpty {
                    toInitiator.removeFirst()
                }
            case .replay:
                guard !history.isEmpty else { break }
                let entry = history[input.choice(history.count)]
                deliver(entry.bytes, toResponder: entry.toResponder, source: input.byte())
            case .rawToResponder:
                let length = Int(input.uint16() % 2048)
                let bytes = input.bytes(length)
                deliverFromAttacker(bytes, source: input.byte())
            case .craftedToResponder: craft(&input)
            case .advanceTime: advanceTime(&input)
            case .wallClockJump:
                wallClockOffset += Int64(Int16(bitPattern: input.uint16()))
            case .toggleLoad:
                let device = input.flag() ? responder : initiator
                device.isUnderLoadOverride.toggle()
            case .reconfigure: reconfigure(&input)
            case .setDrainBufferSize:
                let sizes = [4096, 16, 32, 47, 64, 92, 148, 200]
                drainBufferSize = sizes[input.choice(sizes.count)]
            }
            drainAll()
        }
        drainBufferSize = 4096
        drainAll()
    }

    // MARK: - Sending

    /// `encapsulate` on `device` with exactly `headroom` and `tailroom` around the packet, in a buffer of
    /// exactly that size so AddressSanitizer catches any write outside it.
    @discardableResult
    func encapsulate(on device: WireGuardDevice<B>, packet: [UInt8], headroom: Int, tailroom: Int)
        -> WireGuardOutboundResult
    {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: headroom + packet.count + tailroom,
                                                            alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xEE)
        packet.withUnsafeBytes { buffer.baseAddress!.advanced(by: headroom).copyMemory(from: $0.baseAddress!,
                                                                                       byteCount: $0.count) }
        let packetRange = headroom..<(headroom + packet.count)
        let result = device.encapsulate(buffer: buffer, packet: packetRange, now: now)
        if case .send(let range, _, _) = result {
            fuzzCheck(range.lowerBound == headroom - 16 && range.upperBound <= buffer.count,
                      "encapsulate returned \(range) for a packet at \(packetRange) in \(buffer.count) bytes")
            fuzzCheck(range.count >= packet.count + 32, "datagram \(range.count) bytes for \(packet.count)")
            let datagram = Array(buffer[range])
            plaintextOf[datagram] = packet
            record(datagram, from: device)
            let isResponder = device === responder
            enqueue(datagram, toResponder: !isResponder)
        }
        return result
    }

    /// Polls both devices until they have nothing left, putting what they send on the network.
    func drainAll() {
        drain(responder)
        drain(initiator)
    }

    func drain(_ device: WireGuardDevice<B>) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: drainBufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var polls = 0
        while let datagram = device.nextDatagram(into: buffer, now: now) {
            polls += 1
            fuzzCheck(polls < 10_000, "nextDatagram never returns nil")
            fuzzCheck(datagram.count > 0 && datagram.count <= buffer.count,
                      "nextDatagram wrote \(datagram.count) bytes into \(buffer.count)")
            let bytes = Array(buffer[..<datagram.count])
            record(bytes, from: device)
            if device === initiator {
                fuzzCheck(datagram.endpoint == Self.responderEndpoint, "initiator sent to \(datagram.endpoint)")
                enqueue(bytes, toResponder: true)
            } else if Self.initiatorEndpoints.contains(datagram.endpoint) {
                enqueue(bytes, toResponder: false)
            } else {
                captureCookie(bytes, endpoint: datagram.endpoint)
            }
        }
        fuzzCheck(!device.hasPendingDatagrams, "datagrams pending after nextDatagram returned nil")
    }

    func enqueue(_ bytes: [UInt8], toResponder: Bool) {
        if toResponder {
            if self.toResponder.count >= 64 { self.toResponder.removeFirst() }
            self.toResponder.append(InFlight(bytes: bytes))
        } else {
            if toInitiator.count >= 64 { toInitiator.removeFirst() }
            toInitiator.append(InFlight(bytes: bytes))
        }
    }

    /// Remembers what a device sent: its authenticated part, and the receiver indices the responder uses.
    func record(_ bytes: [UInt8], from device: WireGuardDevice<B>) {
        if let part = Self.authenticatedPart(bytes) { authentic.insert(part) }
        if history.count >= 32 { history.removeFirst() }
        history.append((bytes, device !== responder))
        guard device === responder, bytes.count >= 8 else { return }
        switch bytes[0] {
        case 1 where bytes.count == HandshakeInitiationLayout.size:
            responderInitiationMAC1 = Array(bytes[HandshakeInitiationLayout.mac1..<HandshakeInitiationLayout.mac2])
            rememberResponderIndex(bytes)
        case 2 where bytes.count == HandshakeResponseLayout.size:
            rememberResponderIndex(bytes)
        default: break
        }
    }

    func rememberResponderIndex(_ bytes: [UInt8]) {
        let index = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        if responderIndices.count >= 8 { responderIndices.removeFirst() }
        responderIndices.append(index)
    }

    /// The bytes of a message that only the holder of its keys can produce: all of transport data; the
    /// ephemeral key and AEAD fields of handshakes (index fields and MACs are not authenticated by Noise).
    static func authenticatedPart(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 4 else { return nil }
        switch bytes[0] {
        case 1 where bytes.count == HandshakeInitiationLayout.size:
            return [1] + bytes[HandshakeInitiationLayout.ephemeral..<HandshakeInitiationLayout.mac1]
        case 2 where bytes.count == HandshakeResponseLayout.size:
            return [2] + bytes[HandshakeResponseLayout.ephemeral..<HandshakeResponseLayout.mac1]
        case 4: return bytes
        default: return nil
        }
    }

    // MARK: - Receiving

    /// Delivers up to four datagrams in flight to one side, each possibly changed on the way. Operands are
    /// read whether or not something is in flight, so a program means the same in every state.
    func deliverQueued(_ input: inout FuzzInput, toResponder: Bool) {
        let count = 1 + input.choice(4)
        for _ in 0..<count {
            let mutation = input.choice(6)
            let offset = Int(input.uint16())
            let operand = input.byte()
            let source = input.byte()
            guard let next = toResponder ? self.toResponder.first : toInitiator.first else { continue }
            if toResponder { self.toResponder.removeFirst() } else { toInitiator.removeFirst() }
            var bytes = next.bytes
            switch mutation {
            case 0:
                // Flip bits at a fuzzer-chosen offset, then fix MAC1 so handshakes still reach Noise.
                if !bytes.isEmpty {
                    bytes[offset % bytes.count] ^= operand | 1
                    remac(&bytes, responderPublic: toResponder ? responder.publicKey! : initiator.publicKey!)
                }
            case 1:
                // Truncate, or extend with the operand byte.
                let length = offset % 256
                if length < bytes.count { bytes.removeLast(bytes.count - length) } else {
                    bytes += [UInt8](repeating: operand, count: length - bytes.count)
                }
            default: break
            }
            // A change where the AEAD authenticates must make the message unacceptable.
            let tampered = Self.authenticatedPart(bytes).map { $0 != Self.authenticatedPart(next.bytes)
                && !authentic.contains($0) } ?? false
            deliver(bytes, toResponder: toResponder, source: source, tampered: tampered)
        }
    }

    /// Gives `bytes` to one device from one of the other device's endpoints (or an attacker's, by `source`).
    func deliver(_ bytes: [UInt8], toResponder: Bool, source: UInt8, tampered: Bool = false) {
        let endpoint: Endpoint
        if toResponder {
            let sources = Self.initiatorEndpoints + Self.attackerEndpoints
            endpoint = source < 200 ? sources[0] : sources[Int(source) % sources.count]
        } else {
            endpoint = Self.responderEndpoint
        }
        receive(bytes, on: toResponder ? responder : initiator, from: endpoint, tampered: tampered)
    }

    func deliverFromAttacker(_ bytes: [UInt8], source: UInt8) {
        let endpoints = Self.attackerEndpoints
        receive(bytes, on: responder, from: endpoints[Int(source) % endpoints.count])
    }

    /// `handleDatagram` on a buffer of exactly the datagram's size, then checks the result; `tampered` says
    /// the bytes are a real message changed where it is authenticated.
    func receive(_ bytes: [UInt8], on device: WireGuardDevice<B>, from source: Endpoint, tampered: Bool = false) {
        let message = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { message.deallocate() }
        bytes.withUnsafeBytes { if $0.count > 0 { message.baseAddress!.copyMemory(from: $0.baseAddress!,
                                                                                  byteCount: $0.count) } }
        let result = device.handleDatagram(message, from: source, now: now)
        if tracing {
            let name = device === responder ? "responder" : "initiator"
            print("\(name) <- type \(bytes.first ?? 0), \(bytes.count) bytes from \(source): \(result)")
        }
        let expectedPeer = device === responder ? initiatorPublic : initiatorPeerConfiguration.publicKey
        let direction: UInt8 = device === responder ? 1 : 2
        switch result {
        case .packet(let range, let peer):
            fuzzCheck(device.publicKey(of: peer) == expectedPeer, "packet from an unexpected peer")
            fuzzCheck(range.lowerBound == 16 && range.upperBound <= bytes.count - 16,
                      "packet range \(range) in a \(bytes.count)-byte datagram")
            checkAuthenticTransport(bytes, direction: direction, tampered: tampered)
            if let sent = plaintextOf[bytes] {
                let received = Array(message[range])
                fuzzCheck(received.count <= sent.count && Array(sent[..<received.count]) == received,
                          "decrypted packet differs from the one encapsulated")
            }
        case .keepalive(let peer):
            fuzzCheck(device.publicKey(of: peer) == expectedPeer, "keepalive from an unexpected peer")
            fuzzCheck(bytes.count == 32, "keepalive of \(bytes.count) bytes")
            checkAuthenticTransport(bytes, direction: direction, tampered: tampered)
        case .handshakeProcessed:
            guard bytes[0] != 3 else { break }  // anyone who saw our MAC1 can make a valid cookie reply
            guard let part = Self.authenticatedPart(bytes) else {
                fuzzCheck(false, "processed a handshake message of type \(bytes[0]) and \(bytes.count) bytes")
                return
            }
            fuzzCheck(!tampered, "accepted a tampered handshake message of type \(bytes[0])")
            if bytes[0] == 1, device === responder {
                fuzzCheck(acceptedInitiations.insert(part).inserted, "accepted a replayed initiation")
            }
        case .dropped:
            break
        case .handOff(let worker):
            // These devices run alone (no shard): nothing may be passed to another worker.
            fuzzCheck(false, "a device without a shard handed a datagram to worker \(worker)")
        }
    }

    func checkAuthenticTransport(_ bytes: [UInt8], direction: UInt8, tampered: Bool) {
        fuzzCheck(bytes.first == 4 && !tampered, "accepted tampered transport data")
        fuzzCheck(acceptedTransport.insert([direction] + bytes).inserted, "accepted replayed transport data")
    }

    // MARK: - Crafting

    /// A handshake message from an attacker endpoint with a correct MAC1 for the responder's key and,
    /// when that endpoint holds a cookie, a correct MAC2.
    func craft(_ input: inout FuzzInput) {
        let type = 1 + input.choice(3)
        let size = [HandshakeInitiationLayout.size, HandshakeResponseLayout.size, CookieReplyLayout.size][type - 1]
        var bytes = input.bytes(size)
        bytes += [UInt8](repeating: 0, count: size - bytes.count)
        bytes[0] = UInt8(type)
        bytes[1] = 0
        bytes[2] = 0
        bytes[3] = 0
        if type != 1, input.flag(), !responderIndices.isEmpty {
            // Aim at a receiver index the responder really has, so the message reaches its key checks.
            let index = responderIndices[input.choice(responderIndices.count)]
            let at = type == 2 ? HandshakeResponseLayout.receiverIndex : CookieReplyLayout.receiverIndex
            for lane in 0..<4 { bytes[at + lane] = UInt8(truncatingIfNeeded: index >> UInt32(8 * lane)) }
        }
        if type == 1, input.flag(), let real = history.last(where: { $0.bytes.count == 148 && $0.bytes[0] == 1 }) {
            // Keep a real ephemeral key, so only the later fields are the fuzzer's.
            bytes.replaceSubrange(8..<40, with: real.bytes[8..<40])
        }
        let source = Self.attackerEndpoints[input.choice(Self.attackerEndpoints.count)]
        if type == 3 {
            if input.flag(), let mac1 = responderInitiationMAC1 { sealCookieReply(&bytes, mac1: mac1) }
        } else {
            let mac1Offset = type == 1 ? HandshakeInitiationLayout.mac1 : HandshakeResponseLayout.mac1
            mac(&bytes, mac1Offset: mac1Offset, responderPublic: responder.publicKey!,
                cookie: input.flag() ? cookies[source] : nil)
            craftedMAC1 = Array(bytes[mac1Offset..<(mac1Offset + 16)])
            craftedSender = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
            craftedSource = source
        }
        receive(bytes, on: responder, from: source)
    }

    /// Recomputes MAC1 (and clears MAC2) of a handshake message after it was changed.
    func remac(_ bytes: inout [UInt8], responderPublic: PublicKey) {
        if bytes.count == HandshakeInitiationLayout.size, bytes.first == 1 {
            mac(&bytes, mac1Offset: HandshakeInitiationLayout.mac1, responderPublic: responderPublic, cookie: nil)
        } else if bytes.count == HandshakeResponseLayout.size, bytes.first == 2 {
            mac(&bytes, mac1Offset: HandshakeResponseLayout.mac1, responderPublic: responderPublic, cookie: nil)
        }
    }

    /// Writes MAC1 (`MAC(HASH("mac1----" || receiver public key), msg)`) and MAC2 (with `cookie`, else zeros).
    func mac(_ bytes: inout [UInt8], mac1Offset: Int, responderPublic: PublicKey, cookie: SIMD16<UInt8>?) {
        let key = Self.labeledKey("mac1----", responderPublic)
        let mac1 = bytes.withUnsafeBytes {
            BLAKE2s.mac16(key: key, data: UnsafeRawBufferPointer(rebasing: $0[..<mac1Offset]))
        }
        for lane in 0..<16 { bytes[mac1Offset + lane] = mac1[lane] }
        let mac2Offset = mac1Offset + 16
        var mac2 = SIMD16<UInt8>()
        if let cookie {
            mac2 = bytes.withUnsafeBytes {
                BLAKE2s.mac16(key: cookie, data: UnsafeRawBufferPointer(rebasing: $0[..<mac2Offset]))
            }
        }
        for lane in 0..<16 { bytes[mac2Offset + lane] = mac2[lane] }
    }

    static func labeledKey(_ label: String, _ key: PublicKey) -> Key32 {
        var hasher = BLAKE2s()
        Array(label.utf8).withUnsafeBytes { hasher.update($0) }
        key.raw.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// Encrypts the cookie field of a crafted cookie reply for the responder's latest initiation: anyone who
    /// saw that initiation on the wire can do this, so the responder must cope with such cookies.
    func sealCookieReply(_ bytes: inout [UInt8], mac1: [UInt8]) {
        let key = SymmetricKey(raw: Self.labeledKey("cookie--", initiatorPublic))
        bytes.withUnsafeMutableBytes { out in
            let base = out.baseAddress!
            let nonce = ExtendedNonce(loadingFrom: base + CookieReplyLayout.nonce)
            let cookie = base + CookieReplyLayout.encryptedCookie
            mac1.withUnsafeBytes { ad in
                B.xSeal(key: key, nonce: nonce, buffer: UnsafeMutableRawBufferPointer(start: cookie, count: 16),
                        additionalData: ad, tag: cookie + 16)
            }
        }
    }

    /// Keeps the cookie from a cookie reply the responder sent to an attacker endpoint for the last crafted
    /// message, so later crafted messages from there carry a valid MAC2.
    func captureCookie(_ bytes: [UInt8], endpoint: Endpoint) {
        if bytes.count == CookieReplyLayout.size, bytes[0] == 3, cookieReplies.count < 4 { cookieReplies.append(bytes) }
        guard bytes.count == CookieReplyLayout.size, bytes[0] == 3, let mac1 = craftedMAC1,
              endpoint == craftedSource else { return }
        let receiver = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        guard receiver == craftedSender else { return }
        let key = SymmetricKey(raw: Self.labeledKey("cookie--", responder.publicKey!))
        var copy = bytes
        let opened: Bool = copy.withUnsafeMutableBytes { out in
            let base = out.baseAddress!
            let nonce = ExtendedNonce(loadingFrom: base + CookieReplyLayout.nonce)
            return mac1.withUnsafeBytes { ad in
                do {
                    try B.xOpen(key: key, nonce: nonce,
                                buffer: UnsafeMutableRawBufferPointer(start: base + CookieReplyLayout.encryptedCookie,
                                                                      count: 16),
                                additionalData: ad, tag: base + CookieReplyLayout.encryptedCookie + 16)
                    return true
                } catch {
                    return false
                }
            }
        }
        fuzzCheck(opened, "the responder's cookie reply does not decrypt")
        var cookie = SIMD16<UInt8>()
        for lane in 0..<16 { cookie[lane] = copy[CookieReplyLayout.encryptedCookie + lane] }
        cookies[endpoint] = cookie
    }

    // MARK: - Time and configuration

    func advanceTime(_ input: inout FuzzInput) {
        let scales: [UInt64] = [1_000_000, 100_000_000, 1_000_000_000, 10_000_000_000, 60_000_000_000]
        let scale = scales[input.choice(scales.count)]
        monotonicNanoseconds &+= scale &* UInt64(input.byte())
        for device in [responder, initiator] {
            device.updateTimers(now: now)
            if let deadline = device.nextDeadline {
                fuzzCheck(deadline.nanoseconds > monotonicNanoseconds,
                          "a timer is still due after updateTimers: \(deadline) at \(now.monotonic)")
            }
        }
    }

    func reconfigure(_ input: inout FuzzInput) {
        switch input.choice(6) {
        case 0, 1:
            var configuration = responderPeerConfiguration
            let keepalives: [Duration?] = [nil, .seconds(1), .seconds(25)]
            configuration.persistentKeepalive = keepalives[input.choice(keepalives.count)]
            configuration.endpoint = input.flag() ? Self.initiatorEndpoints[input.choice(2)] : nil
            let onInitiator = input.flag()
            do {
                if onInitiator {
                    var peer = initiatorPeerConfiguration
                    peer.persistentKeepalive = configuration.persistentKeepalive
                    try initiator.updatePeer(peer)
                } else {
                    try responder.updatePeer(configuration)
                }
            } catch {
                fuzzCheck(!onInitiator && !responderHasPeer, "updatePeer failed: \(error)")
            }
        case 2:
            responder.removePeer(initiatorPublic)
            do {
                try responder.addPeer(responderPeerConfiguration)
            } catch {
                fuzzCheck(false, "addPeer failed: \(error)")
            }
            responderHasPeer = true
            acceptedInitiations.removeAll()
        case 3:
            // `wg syncconf` sends the same key again: sessions must survive.
            responder.setPrivateKey(responderUsesAlternateKey ? alternateResponderKey : responderKey)
        case 4:
            responderUsesAlternateKey.toggle()
            responder.setPrivateKey(responderUsesAlternateKey ? alternateResponderKey : responderKey)
            acceptedInitiations.removeAll()
        default:
            // Without the peer, everything the responder holds for it must go quietly.
            fuzzCheck(responder.removePeer(initiatorPublic) == responderHasPeer, "removePeer disagrees")
            responderHasPeer = false
        }
    }
}
