import Crypto
import DataPlane
import Testing

/// Several workers run one interface: each peer lives on one of them, session indices name their worker, and
/// what reaches the wrong worker is reported for handing off, untouched.
@Suite("worker shards")
struct WorkerShardTests {
    @Test("a claimed index names its worker, for every worker count up to 255")
    func claimedIndexNamesItsWorker() {
        var random = SystemRandomNumberGenerator()
        for workers in [1, 2, 3, 7, 16, 100, 255] {
            for worker in 0..<workers {
                let shard = WorkerShard(worker: worker, workers: workers)
                for _ in 0..<50 {
                    let index = shard.claim(UInt32(truncatingIfNeeded: random.next()))
                    #expect(shard.worker(ofIndex: index) == worker, "\(index) for \(shard)")
                }
            }
        }
    }

    @Test("every worker computes the same home for a key, and keys spread over the workers")
    func homesAgreeAndSpread() {
        var counts = [0, 0, 0]
        for _ in 0..<255 {
            let key = SodiumBackend.publicKey(for: privateKey(seed: UInt8(truncatingIfNeeded: counts.reduce(0, +))))
            let homes = (0..<3).map { WorkerShard(worker: $0, workers: 3).home(of: key) }
            #expect(Set(homes).count == 1)
            counts[homes[0]] += 1
        }
        #expect(counts.allSatisfy { $0 > 40 }, "\(counts)")
    }

    @Test("an initiation at the wrong worker is handed to the peer's home, which answers it")
    func initiationGoesHome() throws {
        typealias Backend = SodiumBackend
        let serverKey = privateKey(seed: 1)
        let clientKey = privateKey(seed: 2)
        let clientPublic = Backend.publicKey(for: clientKey)
        let workers = (0..<2).map { worker in
            WireGuardDevice<Backend>(privateKey: serverKey, random: SeededRandom(seed: UInt64(10 + worker)),
                                     shard: WorkerShard(worker: worker, workers: 2))
        }
        for device in workers {
            var peer = WireGuardPeerConfiguration(publicKey: clientPublic)
            peer.allowedIPs = [network("10.0.0.2/32")]
            try device.addPeer(peer)
        }
        let home = WorkerShard(worker: 0, workers: 2).home(of: clientPublic)
        let client = WireGuardDevice<Backend>(privateKey: clientKey, random: SeededRandom(seed: 3))
        var server = WireGuardPeerConfiguration(publicKey: Backend.publicKey(for: serverKey))
        server.endpoint = Endpoint(address: .v4(ipv4("192.0.2.1")), port: 51820)
        server.allowedIPs = [network("10.0.0.1/32")]
        try client.addPeer(server)
        let now = FakeClock().now
        // A packet for the server stages and starts a handshake.
        var packet = [UInt8](repeating: 0, count: 32) + ipv4Packet(from: "10.0.0.2", to: "10.0.0.1", payload: [1, 2])
            + [UInt8](repeating: 0, count: 64)
        let length = packet.count - 96
        _ = packet.withUnsafeMutableBytes { client.encapsulate(buffer: $0, packet: 32..<(32 + length), now: now) }
        var initiation = [UInt8](repeating: 0, count: 256)
        let datagram = try #require(initiation.withUnsafeMutableBytes { client.nextDatagram(into: $0, now: now) })
        let source = Endpoint(address: .v4(ipv4("192.0.2.2")), port: 40000)
        var copy = Array(initiation[0..<datagram.count])
        let away = copy.withUnsafeMutableBytes { workers[1 - home].handleDatagram($0, from: source, now: now) }
        #expect(away == .handOff(worker: home))
        #expect(Array(initiation[0..<datagram.count]) == copy, "a handed-off datagram is left as it was")
        let atHome = copy.withUnsafeMutableBytes { workers[home].handleDatagram($0, from: source, now: now) }
        #expect(atHome == .handshakeProcessed)
        // The response carries the home worker's index: the steering program sends the client's data there.
        var response = [UInt8](repeating: 0, count: 256)
        let answer = try #require(response.withUnsafeMutableBytes { workers[home].nextDatagram(into: $0, now: now) })
        #expect(answer.count == 92)
        let sender = UInt32(response[4]) | UInt32(response[5]) << 8 | UInt32(response[6]) << 16
            | UInt32(response[7]) << 24
        #expect(WorkerShard(worker: 0, workers: 2).worker(ofIndex: sender) == home)
        // A packet from the TUN device for the client, read by the other worker, goes home too.
        var outbound = [UInt8](repeating: 0, count: 32) + ipv4Packet(from: "10.0.0.1", to: "10.0.0.2", payload: [3])
            + [UInt8](repeating: 0, count: 64)
        let outboundLength = outbound.count - 96
        let routed = outbound.withUnsafeMutableBytes {
            workers[1 - home].encapsulate(buffer: $0, packet: 32..<(32 + outboundLength), now: now)
        }
        #expect(routed == .handOff(worker: home))
        #expect(workers[1 - home].allStatistics(now: now.monotonic).isEmpty)
        #expect(workers[home].allStatistics(now: now.monotonic).count == 1)
    }

    @Test("under load, a cookie from one worker admits the retry at another: they share the cookie secret")
    func cookieFromOneWorkerHoldsAtAnother() throws {
        typealias Backend = SodiumBackend
        let serverKey = privateKey(seed: 1)
        let clientKey = privateKey(seed: 2)
        let clientPublic = Backend.publicKey(for: clientKey)
        let seed = Key32(bytes: SIMD32(repeating: 0x5A))
        let workers = (0..<2).map { worker in
            WireGuardDevice<Backend>(privateKey: serverKey, random: SeededRandom(seed: UInt64(20 + worker)),
                                     shard: WorkerShard(worker: worker, workers: 2, cookieSeed: seed))
        }
        for device in workers {
            device.isUnderLoadOverride = true
            var peer = WireGuardPeerConfiguration(publicKey: clientPublic)
            peer.allowedIPs = [network("10.0.0.2/32")]
            try device.addPeer(peer)
        }
        let home = WorkerShard(worker: 0, workers: 2).home(of: clientPublic)
        let client = WireGuardDevice<Backend>(privateKey: clientKey, random: SeededRandom(seed: 3))
        var server = WireGuardPeerConfiguration(publicKey: Backend.publicKey(for: serverKey))
        let serverEndpoint = Endpoint(address: .v4(ipv4("192.0.2.1")), port: 51820)
        server.endpoint = serverEndpoint
        server.allowedIPs = [network("10.0.0.1/32")]
        try client.addPeer(server)
        var clock = FakeClock()
        var packet = [UInt8](repeating: 0, count: 32) + ipv4Packet(from: "10.0.0.2", to: "10.0.0.1", payload: [1])
            + [UInt8](repeating: 0, count: 64)
        let length = packet.count - 96
        _ = packet.withUnsafeMutableBytes { client.encapsulate(buffer: $0, packet: 32..<(32 + length), now: clock.now) }
        let source = Endpoint(address: .v4(ipv4("192.0.2.2")), port: 40000)
        func nextFrom(_ device: WireGuardDevice<Backend>) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 256)
            guard let datagram = buffer.withUnsafeMutableBytes({ device.nextDatagram(into: $0, now: clock.now) })
            else { return nil }
            return Array(buffer[0..<datagram.count])
        }
        // The first initiation meets the other worker under load: a cookie reply, no handshake.
        var first = try #require(nextFrom(client))
        let refused = first.withUnsafeMutableBytes {
            workers[1 - home].handleDatagram($0, from: source, now: clock.now)
        }
        #expect(refused == .dropped(.cookieRequired))
        var reply = try #require(nextFrom(workers[1 - home]))
        #expect(reply.count == 64)
        let taken = reply.withUnsafeMutableBytes { client.handleDatagram($0, from: serverEndpoint, now: clock.now) }
        #expect(taken == .handshakeProcessed)
        // The retry carries that cookie's MAC2 and arrives at the home worker, which admits it.
        clock.advance(seconds: 5.5)
        client.updateTimers(now: clock.now)
        var retry = try #require(nextFrom(client))
        let admitted = retry.withUnsafeMutableBytes { workers[home].handleDatagram($0, from: source, now: clock.now) }
        #expect(admitted == .handshakeProcessed)
    }
}
