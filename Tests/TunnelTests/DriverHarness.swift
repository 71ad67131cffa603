import Crypto
import DataPlane
import MemoryIO
import Tunnel
#if canImport(Glibc)
import Glibc
#endif

/// A wall clock a test sets and steps, as NTP or an operator would.
final class ManualWallClock: WallClock {
    var current: WallClockTime

    init(unixSeconds: Int64) { current = WallClockTime(unixSeconds: unixSeconds) }

    func now() -> WallClockTime { current }

    func step(seconds: Int64) { current = WallClockTime(unixSeconds: current.unixSeconds + seconds) }
}

/// A deterministic generator so handshakes in driver tests are reproducible.
struct DriverRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// One `WireGuardTunnel` on the in-memory backend: the real driver code, with no sockets or root.
final class DriverNode {
    typealias Node = WireGuardTunnel<WireGuardDevice<SodiumBackend>, MemoryPacketIO>

    let device: WireGuardDevice<SodiumBackend>
    let io: MemoryPacketIO
    let tunnel: Node
    let clock: ManualWallClock
    let endpoint: Endpoint
    var lastDirective: PacketLoopDirective = .wait(deadline: nil)

    init(seed: UInt8, endpoint: Endpoint, configuration: WireGuardConfiguration = WireGuardConfiguration(),
         bufferCount: Int = 256, bufferSize: Int = 2048, offloads: PacketOffloads = [],
         wallSeconds: Int64 = 1_800_000_000) {
        let key = PrivateKey(raw: Key32((0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 13 &+ Int(seed)) })!)
        device = WireGuardDevice<SodiumBackend>(privateKey: key, configuration: configuration,
                                                random: DriverRandom(state: UInt64(seed) &* 0x9E37_79B9 | 1))
        io = MemoryPacketIO(bufferCount: bufferCount, bufferSize: bufferSize, offloads: offloads)
        clock = ManualWallClock(unixSeconds: wallSeconds)
        tunnel = Node(node: device, pool: io.pool, batchSize: 64, wallClock: clock)
        self.endpoint = endpoint
    }

    var publicKey: PublicKey { device.publicKey! }

    @discardableResult
    func handle(_ events: PacketIOEvents, at now: MonotonicInstant) -> PacketLoopDirective {
        lastDirective = tunnel.handle(events, io: io, now: now)
        return lastDirective
    }

    /// Datagrams this node sent, taken out of its backend's record.
    func takeSent() -> [MemoryChannel.Packet] {
        let sent = io.datagrams.sent
        io.datagrams.clearSent()
        return sent
    }
}

/// Two driver nodes, A (10.0.0.1) and B (10.0.0.2), and a network that carries what one sends to the other.
final class DriverPair {
    let a: DriverNode
    let b: DriverNode
    var now = MonotonicInstant(nanoseconds: 1_000_000_000)
    /// Where A's datagrams arrive at B, as packet info would report it (nil: not reported).
    var arrivalAtB: LocalSource?

    init(configuration: WireGuardConfiguration = WireGuardConfiguration(), bufferCount: Int = 256,
         bufferSize: Int = 2048, offloadsA: PacketOffloads = [], offloadsB: PacketOffloads = []) {
        a = DriverNode(seed: 1, endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820),
                       configuration: configuration, bufferCount: bufferCount, bufferSize: bufferSize,
                       offloads: offloadsA)
        b = DriverNode(seed: 2, endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, 2)), port: 51820),
                       configuration: configuration, bufferCount: bufferCount, bufferSize: bufferSize,
                       offloads: offloadsB)
        try! a.device.addPeer(WireGuardPeerConfiguration(
            publicKey: b.publicKey, allowedIPs: [IPNetwork(.v4(IPv4Address(10, 0, 0, 2)), prefixLength: 32)!],
            endpoint: b.endpoint))
        try! b.device.addPeer(WireGuardPeerConfiguration(
            publicKey: a.publicKey, allowedIPs: [IPNetwork(.v4(IPv4Address(10, 0, 0, 1)), prefixLength: 32)!]))
    }

    func advance(seconds: Double) { now = MonotonicInstant(nanoseconds: now.nanoseconds + UInt64(seconds * 1e9)) }

    /// Carries datagrams both ways until both sides are quiet; returns how many crossed.
    @discardableResult
    func exchange(maxRounds: Int = 20) -> Int {
        var crossed = 0
        for _ in 0..<maxRounds {
            let fromA = a.takeSent()
            let fromB = b.takeSent()
            if fromA.isEmpty && fromB.isEmpty { break }
            // A GSO train sent arrives as a GRO train, as the kernel would hand it over.
            for packet in fromA where packet.destination == b.endpoint {
                b.io.datagrams.inject(
                    packet.bytes, source: a.endpoint,
                    destination: arrivalAtB.map { Endpoint(address: $0.address, port: b.endpoint.port) },
                    segmentSize: packet.segmentSize, interfaceIndex: arrivalAtB?.interfaceIndex ?? 0)
            }
            for packet in fromB where packet.destination == a.endpoint {
                a.io.datagrams.inject(packet.bytes, source: b.endpoint, segmentSize: packet.segmentSize)
            }
            crossed += fromA.count + fromB.count
            b.handle(.datagramsReadable, at: now)
            a.handle(.datagramsReadable, at: now)
        }
        return crossed
    }

    /// Writes an IP packet from A's TUN device and lets the driver handle it.
    func sendFromA(_ payload: [UInt8]) {
        a.io.tun!.inject(ipv4UDP(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2), payload: payload))
        a.handle(.tunReadable, at: now)
    }
}

/// An IPv4/UDP packet (checksums are not checked by the engine).
func ipv4UDP(from source: IPv4Address, to destination: IPv4Address, payload: [UInt8]) -> [UInt8] {
    var packet = [UInt8](repeating: 0, count: 28)
    packet[0] = 0x45
    let total = packet.count + payload.count
    packet[2] = UInt8(total >> 8)
    packet[3] = UInt8(total & 0xFF)
    packet[8] = 64
    packet[9] = 17
    for index in 0..<4 {
        packet[12 + index] = UInt8(truncatingIfNeeded: source.value >> UInt32(24 - 8 * index))
        packet[16 + index] = UInt8(truncatingIfNeeded: destination.value >> UInt32(24 - 8 * index))
    }
    let udpLength = 8 + payload.count
    packet[24] = UInt8(udpLength >> 8)
    packet[25] = UInt8(udpLength & 0xFF)
    return packet + payload
}

/// This process's resident memory in bytes, from `/proc/self/statm` (its second field, in pages).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
    let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    let fields = text.split(separator: " ")
    guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The sanitizer this test binary was built with, if any: ASan's quarantine and TSan's shadow memory make
/// resident-memory figures meaningless, so memory assertions are skipped (loudly) under them.
let activeSanitizer: String? = {
    let handle = dlopen(nil, RTLD_NOW)
    defer { if let handle { dlclose(handle) } }
    if dlsym(handle, "__asan_init") != nil { return "address" }
    if dlsym(handle, "__tsan_init") != nil { return "thread" }
    return nil
}()
