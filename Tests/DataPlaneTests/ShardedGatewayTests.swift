import DataPlane
import Testing

/// A Gateway run by two workers (`fzctl gateway --threads 2`): two GatewayNodes over devices with one key and
/// the two shards, both given every portal command, as `NodeDaemon` does.
struct ShardedGatewayTests {
    let gatewayAddresses = TunnelAddresses(ipv4: ipv4("100.64.0.1"),
                                           ipv6: IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, 1]))
    let clientAddresses = TunnelAddresses(ipv4: ipv4("100.64.0.2"),
                                          ipv6: IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, 2]))
    let client = ClientID("alice")
    let web = ResourceDescription(id: ResourceID("web"), name: "web",
                                  address: IPNetwork(.v4(ipv4("10.201.1.0")), prefixLength: 24)!,
                                  filters: FilterSet([]))

    /// Worker 0 and worker 1 of one Gateway, initialized.
    func workers(now: WireGuardTime) -> [GatewayNode<TestBackend, AuthorizationTable>] {
        let shards = (0..<2).map { WorkerShard(worker: $0, workers: 2, cookieSeed: Key32(bytes: .zero)) }
        let nodes = shards.map { shard in
            GatewayNode<TestBackend, AuthorizationTable>(device: WireGuardDevice<TestBackend>(
                privateKey: privateKey(seed: 10), random: SeededRandom(seed: UInt64(shard.worker + 1)), shard: shard))
        }
        for node in nodes { node.handle(.initialize(addresses: gatewayAddresses, authorizations: []), now: now) }
        return nodes
    }

    /// A Client key that lives on worker `home` of two.
    func clientKey(livingOn home: Int) -> PublicKey {
        let shard = WorkerShard(worker: 0, workers: 2)
        for seed in UInt8(20)...UInt8(250) {
            let key = TestBackend.publicKey(for: privateKey(seed: seed))
            if shard.home(of: key) == home { return key }
        }
        preconditionFailure("no key among 230 seeds lives on worker \(home)")
    }

    func authorization(_ key: PublicKey, expiresAt: UnixTime? = nil) -> FlowAuthorization {
        FlowAuthorization(reference: "ref-1", client: client, clientPublicKey: key, clientAddresses: clientAddresses,
                          presharedKey: PresharedKey(raw: Key32(bytes: SIMD32(repeating: 1))), resource: web,
                          expiresAt: expiresAt)
    }

    func events(_ node: GatewayNode<TestBackend, AuthorizationTable>) -> [GatewayEvent] {
        var result: [GatewayEvent] = []
        while let event = node.nextControlEvent() { result.append(event) }
        return result
    }

    @Test(arguments: [0, 1])
    func everyEventAboutAClientIsSentOnceByTheWorkerItLivesOn(home: Int) {
        var clock = FakeClock()
        let nodes = workers(now: clock.now)
        let key = clientKey(livingOn: home)
        let other = 1 - home

        for node in nodes { node.handle(.authorizeFlow(authorization(key)), now: clock.now) }
        #expect(events(nodes[home]) == [.flowAuthorized(reference: "ref-1", client: client, resource: web.id)])
        #expect(events(nodes[other]).isEmpty)
        // Both hold the authorization: a packet read on either worker is filtered the same way.
        #expect(nodes.allSatisfy { $0.authorizations == [client: [web.id]] })

        for node in nodes { node.handle(.rejectAccess(client: client, resource: web.id), now: clock.now) }
        #expect(events(nodes[home]) == [.goodbye(client: client)])
        #expect(events(nodes[other]).isEmpty)
        #expect(nodes.allSatisfy { $0.peer(of: client) == nil })

        let expiry = UnixTime(seconds: clock.now.wallClock.unixSeconds + 2)
        for node in nodes { node.handle(.authorizeFlow(authorization(key, expiresAt: expiry)), now: clock.now) }
        _ = nodes.map(events)
        for _ in 0..<4 {
            clock.advance(seconds: 1)
            for node in nodes { node.updateTimers(now: clock.now) }
        }
        #expect(events(nodes[home]) == [.authorizationExpired(client: client, resource: web.id),
                                        .goodbye(client: client)])
        #expect(events(nodes[other]).isEmpty)
    }

    @Test func aReplyReadOnAnotherWorkerIsHandedToTheClientsWorkerAndFilteredThereOnce() {
        let clock = FakeClock()
        let nodes = workers(now: clock.now)
        let key = clientKey(livingOn: 1)
        for node in nodes { node.handle(.authorizeFlow(authorization(key)), now: clock.now) }
        let reply = TestPacket.make(from: TestPacket.v4("10.201.1.10"), to: .v4(clientAddresses.ipv4), proto: 6,
                                    sourcePort: 80, destinationPort: 40000)

        func encapsulate(on node: GatewayNode<TestBackend, AuthorizationTable>) -> WireGuardOutboundResult {
            var buffer = [UInt8](repeating: 0, count: 16 + reply.count + 64)
            buffer.replaceSubrange(16..<(16 + reply.count), with: reply)
            return buffer.withUnsafeMutableBytes {
                node.encapsulate(buffer: $0, packet: 16..<(16 + reply.count), now: clock.now)
            }
        }

        #expect(encapsulate(on: nodes[0]) == .handOff(worker: 1))
        #expect(nodes[0].counters.allowed == 0)
        // The Client's own worker filters it and would encrypt it; with no endpoint learned yet it stops there.
        #expect(encapsulate(on: nodes[1]) == .dropped(.noEndpoint))
        #expect(nodes[1].counters.allowed == 1)
        // A reply the Client's flows do not allow is dropped on its worker, not handed around again.
        let denied = TestPacket.make(from: TestPacket.v4("10.9.9.9"), to: .v4(clientAddresses.ipv4), proto: 6,
                                     sourcePort: 80, destinationPort: 40000)
        var buffer = [UInt8](repeating: 0, count: 16 + denied.count + 64)
        buffer.replaceSubrange(16..<(16 + denied.count), with: denied)
        let result = buffer.withUnsafeMutableBytes {
            nodes[1].encapsulate(buffer: $0, packet: 16..<(16 + denied.count), now: clock.now)
        }
        #expect(result == .dropped(.notAuthorized))
    }

    @Test(arguments: [0, 1])
    func aPortalInitThatLeavesTheClientOutSaysGoodbyeOnce(home: Int) {
        let clock = FakeClock()
        let nodes = workers(now: clock.now)
        for node in nodes { node.handle(.authorizeFlow(authorization(clientKey(livingOn: home))), now: clock.now) }
        _ = nodes.map(events)
        for node in nodes { node.handle(.initialize(addresses: gatewayAddresses, authorizations: []), now: clock.now) }
        #expect(events(nodes[home]) == [.goodbye(client: client)])
        #expect(events(nodes[1 - home]).isEmpty)
        #expect(nodes.allSatisfy { $0.peer(of: client) == nil })
    }

    /// Each worker sweeps expiries on its own timer; an `updateExpiry` that arrives after one of them swept must
    /// still find the Client on both, or replies read on the other worker would have no peer to be handed to.
    @Test func anotherWorkerKeepsAnExpiredClientUntilItsHomeWorkerHasDecided() {
        var clock = FakeClock()
        let nodes = workers(now: clock.now)
        let key = clientKey(livingOn: 1)
        let expiry = UnixTime(seconds: clock.now.wallClock.unixSeconds + 2)
        for node in nodes { node.handle(.authorizeFlow(authorization(key, expiresAt: expiry)), now: clock.now) }
        _ = nodes.map(events)

        // Worker 0 sweeps past the expiry before the home worker does, then the portal extends the authorization.
        clock.advance(seconds: 3)
        nodes[0].updateTimers(now: clock.now)
        #expect(nodes[0].peer(of: client) != nil, "the other worker must not drop the Client before its home does")
        let later = UnixTime(seconds: clock.now.wallClock.unixSeconds + 60)
        for node in nodes {
            node.handle(.updateExpiry(client: client, resource: web.id, expiresAt: later), now: clock.now)
        }
        for _ in 0..<10 {
            clock.advance(seconds: 1)
            for node in nodes { node.updateTimers(now: clock.now) }
        }
        #expect(nodes.allSatisfy { $0.authorizations == [client: [web.id]] })

        // Without an extension the other worker lets go too, a few seconds after the home worker, silently.
        for _ in 0..<(60 + 6) {
            clock.advance(seconds: 1)
            for node in nodes { node.updateTimers(now: clock.now) }
        }
        #expect(nodes.allSatisfy { $0.peer(of: client) == nil })
        #expect(events(nodes[1]) == [.authorizationExpired(client: client, resource: web.id), .goodbye(client: client)])
        #expect(events(nodes[0]).isEmpty)
    }
}
