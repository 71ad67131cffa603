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

    /// Two workers of one server with the client configured as a peer, and the client knowing the server.
    struct TwoWorkers {
        typealias Backend = SodiumBackend
        let workers: [WireGuardDevice<Backend>]
        /// The client's home worker.
        let home: Int
        let client: WireGuardDevice<Backend>
        let serverEndpoint = Endpoint(address: .v4(ipv4("192.0.2.1")), port: 51820)
        let clientSource = Endpoint(address: .v4(ipv4("192.0.2.2")), port: 40000)

        /// `cookieSeeds` per worker (nil: none); `randomSeed` makes each worker's generator differ.
        init(randomSeed: UInt64, cookieSeeds: [Key32?] = [nil, nil], underLoad: Bool = false) throws {
            let serverKey = privateKey(seed: 1)
            let clientKey = privateKey(seed: 2)
            let clientPublic = Backend.publicKey(for: clientKey)
            workers = (0..<2).map { worker in
                WireGuardDevice<Backend>(
                    privateKey: serverKey, random: SeededRandom(seed: randomSeed + UInt64(worker)),
                    shard: WorkerShard(worker: worker, workers: 2, cookieSeed: cookieSeeds[worker]))
            }
            for device in workers {
                device.isUnderLoadOverride = underLoad
                var peer = WireGuardPeerConfiguration(publicKey: clientPublic)
                peer.allowedIPs = [network("10.0.0.2/32")]
                try device.addPeer(peer)
            }
            home = WorkerShard(worker: 0, workers: 2).home(of: clientPublic)
            client = WireGuardDevice<Backend>(privateKey: clientKey, random: SeededRandom(seed: 3))
            var server = WireGuardPeerConfiguration(publicKey: Backend.publicKey(for: serverKey))
            server.endpoint = serverEndpoint
            server.allowedIPs = [network("10.0.0.1/32")]
            try client.addPeer(server)
        }

        /// The worker the client does not live on.
        var away: WireGuardDevice<Backend> { workers[1 - home] }

        /// Has the client stage a packet for the server, which starts its handshake.
        func stageClientPacket(now: WireGuardTime) {
            var packet = [UInt8](repeating: 0, count: 32) + ipv4Packet(from: "10.0.0.2", to: "10.0.0.1", payload: [1])
                + [UInt8](repeating: 0, count: 64)
            let length = packet.count - 96
            _ = packet.withUnsafeMutableBytes { client.encapsulate(buffer: $0, packet: 32..<(32 + length), now: now) }
        }

        /// The next datagram `device` wants to send, if any.
        func next(from device: WireGuardDevice<Backend>, now: WireGuardTime) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 256)
            guard let datagram = buffer.withUnsafeMutableBytes({ device.nextDatagram(into: $0, now: now) })
            else { return nil }
            return Array(buffer[0..<datagram.count])
        }
    }

    @Test("an initiation at the wrong worker is handed to the peer's home, which answers it")
    func initiationGoesHome() throws {
        let setup = try TwoWorkers(randomSeed: 10)
        let home = setup.home
        let now = FakeClock().now
        setup.stageClientPacket(now: now)
        let initiation = try #require(setup.next(from: setup.client, now: now))
        var copy = initiation
        let away = copy.withUnsafeMutableBytes { setup.away.handleDatagram($0, from: setup.clientSource, now: now) }
        #expect(away == .handOff(worker: home))
        #expect(initiation == copy, "a handed-off datagram is left as it was")
        let atHome = copy.withUnsafeMutableBytes {
            setup.workers[home].handleDatagram($0, from: setup.clientSource, now: now)
        }
        #expect(atHome == .handshakeProcessed)
        // The response carries the home worker's index: the steering program sends the client's data there.
        let response = try #require(setup.next(from: setup.workers[home], now: now))
        #expect(response.count == 92)
        let sender = UInt32(response[4]) | UInt32(response[5]) << 8 | UInt32(response[6]) << 16
            | UInt32(response[7]) << 24
        #expect(WorkerShard(worker: 0, workers: 2).worker(ofIndex: sender) == home)
        // A packet from the TUN device for the client, read by the other worker, goes home too.
        var outbound = [UInt8](repeating: 0, count: 32) + ipv4Packet(from: "10.0.0.1", to: "10.0.0.2", payload: [3])
            + [UInt8](repeating: 0, count: 64)
        let outboundLength = outbound.count - 96
        let routed = outbound.withUnsafeMutableBytes {
            setup.away.encapsulate(buffer: $0, packet: 32..<(32 + outboundLength), now: now)
        }
        #expect(routed == .handOff(worker: home))
        #expect(setup.away.allStatistics(now: now.monotonic).isEmpty)
        #expect(setup.workers[home].allStatistics(now: now.monotonic).count == 1)
    }

    @Test("under load, a cookie from one worker admits the retry at another only when they share the cookie secret",
          arguments: [true, false])
    func cookieFromOneWorkerHoldsAtAnother(shared: Bool) throws {
        let seed = Key32(bytes: SIMD32(repeating: 0x5A))
        let other = Key32(bytes: SIMD32(repeating: 0xA5))
        let setup = try TwoWorkers(randomSeed: 20, cookieSeeds: shared ? [seed, seed] : [seed, other],
                                   underLoad: true)
        var clock = FakeClock()
        setup.stageClientPacket(now: clock.now)
        // The first initiation meets the other worker under load: a cookie reply, no handshake.
        var first = try #require(setup.next(from: setup.client, now: clock.now))
        let refused = first.withUnsafeMutableBytes {
            setup.away.handleDatagram($0, from: setup.clientSource, now: clock.now)
        }
        #expect(refused == .dropped(.cookieRequired))
        var reply = try #require(setup.next(from: setup.away, now: clock.now))
        #expect(reply.count == 64)
        let taken = reply.withUnsafeMutableBytes {
            setup.client.handleDatagram($0, from: setup.serverEndpoint, now: clock.now)
        }
        #expect(taken == .handshakeProcessed)
        // The retry carries that cookie's MAC2 and arrives at the home worker, which admits it only if its secret
        // is the one the cookie came from.
        clock.advance(seconds: 5.5)
        setup.client.updateTimers(now: clock.now)
        var retry = try #require(setup.next(from: setup.client, now: clock.now))
        let result = retry.withUnsafeMutableBytes {
            setup.workers[setup.home].handleDatagram($0, from: setup.clientSource, now: clock.now)
        }
        #expect(result == (shared ? .handshakeProcessed : .dropped(.cookieRequired)))
    }
}
