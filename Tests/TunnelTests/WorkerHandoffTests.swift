import Crypto
import DataPlane
import Locks
import MemoryIO
import Testing
import Tunnel

/// Two workers run one interface (as `fzctl up --threads 2` does) on the in-memory backend: whatever reaches
/// the worker that does not hold the peer is handed to the one that does, through the real driver code.
@Suite("worker handoff")
struct WorkerHandoffTests {
    typealias Worker = WireGuardTunnel<WireGuardDevice<SodiumBackend>, MemoryPacketIO>

    /// One worker of the server: its own device (sharded), backend and driver, sharing the exchange.
    final class ServerWorker {
        let device: WireGuardDevice<SodiumBackend>
        let io: MemoryPacketIO
        let tunnel: Worker
        let woken = Locked(false)

        init(worker: Int, key: PrivateKey, client: PublicKey, exchange: WorkerExchange, offloads: PacketOffloads = [],
             bufferSize: Int = 2048) {
            io = MemoryPacketIO(bufferCount: 256, bufferSize: bufferSize, offloads: offloads)
            device = WireGuardDevice<SodiumBackend>(
                privateKey: key, random: DriverRandom(state: UInt64(worker + 7)),
                shard: WorkerShard(worker: worker, workers: 2))
            try! device.addPeer(WireGuardPeerConfiguration(
                publicKey: client, allowedIPs: [IPNetwork(.v4(IPv4Address(10, 0, 0, 1)), prefixLength: 32)!]))
            let mailbox = ControlMailbox<Int, Int>(closedAnswer: 0) {}
            tunnel = Worker(node: device, pool: io.pool, batchSize: 64, wallClock: ManualWallClock(unixSeconds: 1),
                            mailbox: mailbox, handler: { _, request, _ in request }, exchange: exchange)
            let flag = woken
            exchange.setWake(worker: worker) { flag.withLock { $0 = true } }
        }

        /// Handles a wake-up if one was requested; returns whether there was one.
        func serveWake(at now: MonotonicInstant) -> Bool {
            guard woken.withLock({ let was = $0; $0 = false; return was }) else { return false }
            _ = tunnel.handle(.wakeRequested, io: io, now: now)
            return true
        }
    }

    @Test("an initiation and a TUN packet at the wrong worker reach the peer's home, which answers both")
    func wrongWorkerHandsOffToHome() throws {
        let now = MonotonicInstant(nanoseconds: 1_000_000_000)
        let client = DriverNode(seed: 1, endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820))
        let serverEndpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 2)), port: 51820)
        let serverKey = PrivateKey(raw: Key32((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) })!)
        let exchange = WorkerExchange(workers: 2)
        let workers = (0..<2).map {
            ServerWorker(worker: $0, key: serverKey, client: client.publicKey, exchange: exchange)
        }
        try client.device.addPeer(WireGuardPeerConfiguration(
            publicKey: workers[0].device.publicKey!,
            allowedIPs: [IPNetwork(.v4(IPv4Address(10, 0, 0, 2)), prefixLength: 32)!], endpoint: serverEndpoint))
        let home = WorkerShard(worker: 0, workers: 2).home(of: client.publicKey)
        let away = 1 - home

        // The client's first packet starts a handshake; its initiation arrives at the other worker.
        client.io.tun!.inject(ipv4UDP(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2), payload: [1]))
        client.handle(.tunReadable, at: now)
        let initiation = try #require(client.takeSent().first)
        workers[away].io.datagrams.inject(initiation.bytes, source: client.endpoint)
        _ = workers[away].tunnel.handle(.datagramsReadable, io: workers[away].io, now: now)
        #expect(workers[away].io.datagrams.sent.isEmpty, "the wrong worker must not answer")
        #expect(workers[away].tunnel.counters.handedOff == 1)
        #expect(workers[home].serveWake(at: now), "the home worker was not woken")
        let response = try #require(workers[home].io.datagrams.sent.first)
        #expect(response.bytes.count == 92 && response.destination == client.endpoint)
        workers[home].io.datagrams.clearSent()

        // The response completes the client's handshake; its staged packet reaches the home worker's TUN.
        client.io.datagrams.inject(response.bytes, source: serverEndpoint)
        client.handle(.datagramsReadable, at: now)
        for datagram in client.takeSent() {
            workers[home].io.datagrams.inject(datagram.bytes, source: client.endpoint)
        }
        _ = workers[home].tunnel.handle(.datagramsReadable, io: workers[home].io, now: now)
        #expect(workers[home].io.tun!.sent.count == 1)

        // A reply read from the other worker's TUN queue goes home too, and out to the client.
        let reply = ipv4UDP(from: IPv4Address(10, 0, 0, 2), to: IPv4Address(10, 0, 0, 1), payload: [2, 3, 4])
        workers[away].io.tun!.inject(reply)
        _ = workers[away].tunnel.handle(.tunReadable, io: workers[away].io, now: now)
        #expect(workers[away].io.datagrams.sent.isEmpty)
        #expect(workers[away].tunnel.counters.handedOff == 2)
        #expect(workers[home].serveWake(at: now))
        #expect(workers[home].tunnel.counters.handoffsReceived == 2)
        let encrypted = try #require(workers[home].io.datagrams.sent.first)
        client.io.datagrams.inject(encrypted.bytes, source: serverEndpoint)
        client.handle(.datagramsReadable, at: now)
        #expect(client.io.tun!.sent.last?.bytes == reply, "the client did not get the reply intact")
        #expect(exchange.droppedCount == 0)
    }

    @Test("a TUN super-packet at the wrong worker is handed off whole and leaves its home as GSO trains")
    func superPacketIsHandedOffWhole() throws {
        let now = MonotonicInstant(nanoseconds: 1_000_000_000)
        let large = PacketOffloads.superPacketBufferSize
        let zeroHeader = [UInt8](repeating: 0, count: VirtioNetHeader.size)
        let client = DriverNode(seed: 1, endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820),
                                bufferSize: large, offloads: .all)
        let serverEndpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 2)), port: 51820)
        let serverKey = PrivateKey(raw: Key32((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) })!)
        let exchange = WorkerExchange(workers: 2)
        let workers = (0..<2).map {
            ServerWorker(worker: $0, key: serverKey, client: client.publicKey, exchange: exchange, offloads: .all,
                         bufferSize: large)
        }
        try client.device.addPeer(WireGuardPeerConfiguration(
            publicKey: workers[0].device.publicKey!,
            allowedIPs: [IPNetwork(.v4(IPv4Address(10, 0, 0, 2)), prefixLength: 32)!], endpoint: serverEndpoint))
        let home = WorkerShard(worker: 0, workers: 2).home(of: client.publicKey)
        let away = 1 - home

        // The handshake, straight with the home worker.
        client.io.tun!.inject(
            zeroHeader + ipv4UDP(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2), payload: [1]))
        client.handle(.tunReadable, at: now)
        for datagram in client.takeSent() { workers[home].io.datagrams.inject(datagram.bytes, source: client.endpoint) }
        _ = workers[home].tunnel.handle(.datagramsReadable, io: workers[home].io, now: now)
        let response = try #require(workers[home].io.datagrams.sent.first)
        workers[home].io.datagrams.clearSent()
        client.io.datagrams.inject(response.bytes, source: serverEndpoint)
        client.handle(.datagramsReadable, at: now)
        for datagram in client.takeSent() { workers[home].io.datagrams.inject(datagram.bytes, source: client.endpoint) }
        _ = workers[home].tunnel.handle(.datagramsReadable, io: workers[home].io, now: now)
        try #require(workers[home].io.tun!.sent.count == 1, "the handshake completed")
        client.io.tun!.clearSent()

        // 20 segments in one super-packet read from the other worker's TUN queue: one hand-off, not 20.
        let segments = TCPSegments.run(count: 20, payload: 1380, from: IPv4Address(10, 0, 0, 2),
                                       to: IPv4Address(10, 0, 0, 1))
        workers[away].io.tun!.inject(try TCPSegments.coalesced(segments))
        _ = workers[away].tunnel.handle(.tunReadable, io: workers[away].io, now: now)
        #expect(workers[away].io.datagrams.sent.isEmpty)
        #expect(workers[away].tunnel.counters.handedOff == 1, "the super-packet is handed off whole")
        #expect(workers[home].serveWake(at: now))
        #expect(workers[home].tunnel.counters.handoffsReceived == 1)
        let sent = workers[home].io.datagrams.sent
        #expect(sent.contains { $0.segmentSize > 0 }, "its home sends GSO trains")
        for train in sent {
            client.io.datagrams.inject(train.bytes, source: serverEndpoint, segmentSize: train.segmentSize)
        }
        client.handle(.datagramsReadable, at: now)
        #expect(try TunnelOffloadTests.split(client.io.tun!.sent.map(\.bytes)) == segments)
        #expect(exchange.droppedCount == 0 && workers[home].tunnel.counters.dropped == 0)
    }

    @Test("a full inbox drops and counts what does not fit, and never grows")
    func fullInboxDrops() {
        let exchange = WorkerExchange(workers: 2, recordsPerInbox: 4, bytesPerInbox: 1 << 12)
        let client = DriverNode(seed: 1, endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820))
        let serverKey = PrivateKey(raw: Key32((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) })!)
        let workers = (0..<2).map {
            ServerWorker(worker: $0, key: serverKey, client: client.publicKey, exchange: exchange)
        }
        let home = WorkerShard(worker: 0, workers: 2).home(of: client.publicKey)
        let away = 1 - home
        let now = MonotonicInstant(nanoseconds: 1_000_000_000)
        for index in 0..<10 {
            workers[away].io.tun!.inject(
                ipv4UDP(from: IPv4Address(10, 0, 0, 2), to: IPv4Address(10, 0, 0, 1), payload: [UInt8(index)]))
        }
        _ = workers[away].tunnel.handle(.tunReadable, io: workers[away].io, now: now)
        #expect(workers[away].tunnel.counters.handedOff == 4)
        #expect(exchange.droppedCount == 6)
        #expect(workers[home].serveWake(at: now))
        // No session yet: the home worker stages them and starts a handshake, as for its own TUN reads.
        #expect(workers[home].tunnel.counters.handoffsReceived == 4)
    }
}
