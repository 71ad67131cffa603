import Benchmark
import Crypto
import DataPlane
import EpollIO

/// Data-path microbenchmarks: WireGuard encapsulate + decapsulate in memory per crypto backend, and the
/// epoll backend's UDP batches on loopback.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: .kilo(100)
    )

    for info in CryptoRegistry.benchmarkSet {
        try! info.dispatch(Transport(name: info.name))
    }

    registerEngineOverhead()
    registerHostile()
    registerPolicy()
    registerOffload()
    registerTimers()
    registerAllowedIPs()

    Benchmark(
        "epoll UDP loopback: 64 x 1420-byte datagrams sent and received per iteration",
        configuration: .init(scalingFactor: .one, maxIterations: .kilo(20))
    ) { benchmark in
        let io = try EpollPacketIO(configuration: .init(
            udpAddresses: [Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: 0)], tunName: nil,
            bufferCount: 256, socketReceiveBufferBytes: 4 << 20, socketSendBufferBytes: 4 << 20))
        guard let target = io.datagrams.localAddresses.first else { fatalError("no local address") }
        var outgoing = io.makeBatch(capacity: 64)
        var incoming = io.makeBatch(capacity: 64)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for _ in 0..<64 {
                guard let index = outgoing.appendNewBuffer() else { fatalError("pool exhausted") }
                var descriptor = outgoing[index]
                descriptor.length = 1420
                descriptor.destination = target
                outgoing[index] = descriptor
            }
            _ = try io.datagrams.send(&outgoing)
            var received = 0
            var attempts = 0
            while received < 64 && attempts < 10_000 {
                received += try io.datagrams.receive(into: &incoming)
                incoming.removeAll()
                attempts += 1
            }
            blackHole(received)
        }
        benchmark.stopMeasurement()
    }
}

/// Registers the transport benchmark with the backend's concrete type, so the engine is specialized for it.
struct Transport: CryptoBackendVisitor {
    let name: String

    func visit<B: CryptoBackend>(_ backend: B.Type) {
        registerTransport(backend, name: name)
    }
}

/// Encapsulate a 1420-byte IP packet on one device and decapsulate it on the other, per iteration.
func registerTransport<B: CryptoBackend>(_ backend: B.Type, name: String) {
    Benchmark("WireGuard encapsulate+decapsulate 1420-byte packet \(name)") { benchmark in
        let pair = DevicePair<B>()
        let packetLength = 1420
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 64)
        defer { buffer.deallocate() }
        let template = pair.ipv4Packet(length: packetLength)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            template.withUnsafeBytes { (buffer.baseAddress! + 16).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            guard case .send(let range, _, _) = pair.a.encapsulate(
                buffer: buffer, packet: 16..<(16 + packetLength), now: pair.now) else { fatalError("no session") }
            let datagram = UnsafeMutableRawBufferPointer(rebasing: buffer[range])
            guard case .packet = pair.b.handleDatagram(datagram, from: pair.aEndpoint, now: pair.now) else {
                fatalError("decapsulation failed")
            }
        }
        benchmark.stopMeasurement()
    }
}

/// Two devices with a completed handshake, driven by a fixed clock.
final class DevicePair<B: CryptoBackend> {
    let a: WireGuardDevice<B>
    let b: WireGuardDevice<B>
    let aEndpoint = Endpoint(address: .v4(IPv4Address(10, 0, 0, 1)), port: 51820)
    let bEndpoint = Endpoint(address: .v4(IPv4Address(10, 0, 0, 2)), port: 51820)
    let now = WireGuardTime(monotonic: MonotonicInstant(nanoseconds: 5_000_000_000),
                            wallClock: WallClockTime(unixSeconds: 1_800_000_000))

    /// A pair whose devices pad up to `mtu` (no limit when nil), as `fzctl up` sets it.
    init(mtu: Int? = nil) {
        var configuration = WireGuardConfiguration()
        configuration.mtu = mtu
        var keyA = SIMD32<UInt8>(repeating: 1)
        var keyB = SIMD32<UInt8>(repeating: 2)
        keyA[0] = 8
        keyB[0] = 16
        a = WireGuardDevice<B>(privateKey: PrivateKey(raw: Key32(bytes: keyA)), configuration: configuration,
                               random: SystemRandomNumberGenerator())
        b = WireGuardDevice<B>(privateKey: PrivateKey(raw: Key32(bytes: keyB)), configuration: configuration,
                               random: SystemRandomNumberGenerator())
        try! a.addPeer(WireGuardPeerConfiguration(
            publicKey: b.publicKey!, allowedIPs: [IPNetwork(.v4(IPv4Address(10, 9, 0, 2)), prefixLength: 32)!],
            endpoint: bEndpoint))
        try! b.addPeer(WireGuardPeerConfiguration(
            publicKey: a.publicKey!, allowedIPs: [IPNetwork(.v4(IPv4Address(10, 9, 0, 1)), prefixLength: 32)!],
            endpoint: aEndpoint))
        // The first packet starts the handshake; shuttle datagrams until both sides are quiet.
        var packet = [UInt8](repeating: 0, count: 16) + ipv4Packet(length: 100) + [UInt8](repeating: 0, count: 32)
        _ = packet.withUnsafeMutableBytes { a.encapsulate(buffer: $0, packet: 16..<116, now: now) }
        for _ in 0..<8 {
            shuttle(from: a, to: b, source: aEndpoint)
            shuttle(from: b, to: a, source: bEndpoint)
        }
    }

    func shuttle(from sender: WireGuardDevice<B>, to receiver: WireGuardDevice<B>, source: Endpoint) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while let datagram = buffer.withUnsafeMutableBytes({ sender.nextDatagram(into: $0, now: now) }) {
            var message = Array(buffer[0..<datagram.count])
            _ = message.withUnsafeMutableBytes { receiver.handleDatagram($0, from: source, now: now) }
        }
    }

    /// An IPv4/UDP packet from A's tunnel address to B's of `length` bytes.
    func ipv4Packet(length: Int) -> [UInt8] {
        var packet = [UInt8](repeating: 0x61, count: length)
        packet[0] = 0x45
        packet[1] = 0
        packet[2] = UInt8(length >> 8)
        packet[3] = UInt8(length & 0xFF)
        packet[8] = 64
        packet[9] = 17
        for (index, byte) in [10, 9, 0, 1, 10, 9, 0, 2].enumerated() { packet[12 + index] = UInt8(byte) }
        return packet
    }
}

/// What an attacker can send without keys, handled per iteration: a datagram of each kind the engine must
/// drop (garbage, every message type at a wrong size, an unknown receiver index, a tampered and a replayed
/// transport datagram, an initiation with a bad MAC1). The malloc count must stay 0: dropping costs no memory.
func registerHostile() {
    Benchmark("Hostile datagrams dropped (8 per iteration): mallocs must be 0",
              configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal])) { benchmark in
        let pair = DevicePair<SodiumBackend>()
        let work = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 64)
        defer { work.deallocate() }
        // A real transport datagram, delivered once so that its copies are replays.
        let template = pair.ipv4Packet(length: 100)
        template.withUnsafeBytes { (work.baseAddress! + 16).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        guard case .send(let range, _, _) = pair.a.encapsulate(buffer: work, packet: 16..<116, now: pair.now) else {
            fatalError("no session")
        }
        let transport = Array(work[range])
        transport.withUnsafeBytes { work.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        _ = pair.b.handleDatagram(UnsafeMutableRawBufferPointer(rebasing: work[..<transport.count]),
                                  from: pair.aEndpoint, now: pair.now)
        var unknownIndex = transport
        unknownIndex[4] ^= 0xFF
        var tampered = transport
        tampered[transport.count - 1] ^= 1
        var badMAC1 = [UInt8](repeating: 0x33, count: 148)
        badMAC1[0] = 1
        badMAC1[1] = 0
        badMAC1[2] = 0
        badMAC1[3] = 0
        let inputs: [[UInt8]] = [
            [UInt8](repeating: 0xA5, count: 61), [1, 0, 0, 0] + [UInt8](repeating: 0, count: 100),
            [2, 0, 0, 0] + [UInt8](repeating: 0, count: 40), [3, 0, 0, 0, 1, 2], transport, unknownIndex, tampered,
            badMAC1,
        ]
        let source = Endpoint(address: .v4(IPv4Address(203, 0, 113, 66)), port: 4444)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for input in inputs {
                input.withUnsafeBytes { work.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                let result = pair.b.handleDatagram(UnsafeMutableRawBufferPointer(rebasing: work[..<input.count]),
                                                   from: source, now: pair.now)
                guard case .dropped = result else { fatalError("a hostile datagram was accepted: \(result)") }
            }
        }
        benchmark.stopMeasurement()
    }
}
