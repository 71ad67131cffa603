import DataPlane
import Testing

@Suite struct AuthorizationTableTests {
    let client = TestPackets.v4(100, 64, 0, 3)

    func resource(
        _ id: String, _ address: IPAddress, _ length: Int, _ filters: [Filter] = []
    ) -> ResourceDescription {
        ResourceDescription(
            id: ResourceID(id), name: id.uppercased(), address: TestPackets.network(address, length),
            filters: FilterSet(filters))
    }

    func tcp(to destination: IPAddress, port: UInt16) throws -> PacketFlow {
        try TestPackets.flow(TestPackets.ipv4(
            from: client, to: destination, protocol: 6, payload: TestPackets.ports(40000, port)))
    }

    @Test func nestedResourceGetsTheUnionAndTheBroaderKeepsItsOwn() throws {
        var table = AuthorizationTable()
        table.authorize(resource("net", TestPackets.v4(10, 0, 0, 0), 8, [.tcp(80...80)]), expiresAt: nil)
        table.authorize(resource("db", TestPackets.v4(10, 1, 0, 0), 16, [.tcp(5432...5432)]), expiresAt: nil)
        let inner = TestPackets.v4(10, 1, 2, 3)
        let outer = TestPackets.v4(10, 2, 0, 1)
        #expect(table.match(inner)?.resource == ResourceID("db"))
        #expect(table.match(inner)?.filters == FilterSet([.tcp(80...80), .tcp(5432...5432)]))
        #expect(table.match(outer)?.resource == ResourceID("net"))
        #expect(table.allowsOutbound(try tcp(to: inner, port: 80)))
        #expect(table.allowsOutbound(try tcp(to: inner, port: 5432)))
        #expect(table.allowsOutbound(try tcp(to: outer, port: 80)))
        #expect(!table.allowsOutbound(try tcp(to: outer, port: 5432)))
        #expect(!table.allowsOutbound(try tcp(to: TestPackets.v4(11, 0, 0, 1), port: 80)), "no Resource, no entry")
    }

    @Test func broaderAllowAllOpensTheNestedResource() throws {
        var table = AuthorizationTable()
        table.authorize(resource("all", TestPackets.v4(10, 0, 0, 0), 8), expiresAt: nil)
        table.authorize(resource("one", TestPackets.v4(10, 0, 0, 5), 32, [.udp(53...53)]), expiresAt: nil)
        #expect(table.match(TestPackets.v4(10, 0, 0, 5))?.filters == .allowAll)
        table.revoke(ResourceID("all"))
        #expect(table.match(TestPackets.v4(10, 0, 0, 5))?.filters == FilterSet([.udp(53...53)]))
        #expect(table.match(TestPackets.v4(10, 0, 0, 6)) == nil)
    }

    @Test func equalNetworksAreBothHeldAndTheSmallerIDMatches() throws {
        var table = AuthorizationTable()
        let address = TestPackets.v6(0xfd00, 0xbeef, 0, 0, 0, 0, 0, 0)
        table.authorize(resource("web", address, 64, [.tcp(443...443)]), expiresAt: nil)
        table.authorize(resource("ssh", address, 64, [.tcp(22...22)]), expiresAt: nil)
        let probe = TestPackets.v6(0xfd00, 0xbeef, 0, 0, 0, 0, 0, 7)
        #expect(table.resourceIDs == [ResourceID("ssh"), ResourceID("web")])
        #expect(table.match(probe)?.resource == ResourceID("ssh"))
        #expect(table.match(probe)?.filters == FilterSet([.tcp(22...22), .tcp(443...443)]))
        let revoked = table.revoke(ResourceID("ssh"))
        let revokedTwice = table.revoke(ResourceID("ssh"))
        #expect(revoked && !revokedTwice)
        #expect(table.match(probe) == PolicyMatch(
            resource: ResourceID("web"), network: TestPackets.network(address, 64),
            filters: FilterSet([.tcp(443...443)])))
    }

    @Test func disjointResourcesDoNotWidenEachOther() {
        var table = AuthorizationTable()
        table.authorize(resource("a", TestPackets.v4(10, 1, 0, 0), 16, [.tcp(1...1)]), expiresAt: nil)
        table.authorize(resource("b", TestPackets.v4(10, 2, 0, 0), 16, [.tcp(2...2)]), expiresAt: nil)
        #expect(table.match(TestPackets.v4(10, 1, 0, 1))?.filters == FilterSet([.tcp(1...1)]))
        #expect(table.match(TestPackets.v4(10, 2, 0, 1))?.filters == FilterSet([.tcp(2...2)]))
    }

    @Test func repliesAreMatchedBySourceAndSourcePort() throws {
        var table = AuthorizationTable()
        table.authorize(resource("web", TestPackets.v4(10, 0, 0, 5), 32, [.tcp(443...443)]), expiresAt: nil)
        func reply(_ port: UInt16) throws -> PacketFlow {
            try TestPackets.flow(TestPackets.ipv4(
                from: TestPackets.v4(10, 0, 0, 5), to: client, protocol: 6, payload: TestPackets.ports(port, 40000)))
        }
        #expect(table.allowsReply(try reply(443)))
        #expect(!table.allowsReply(try reply(444)))
        #expect(!table.allowsOutbound(try reply(443)), "the client is no Resource")
    }

    @Test func expiredAuthorizationsAreRemovedAtOrAfterTheirTime() {
        var table = AuthorizationTable()
        table.authorize(resource("soon", TestPackets.v4(10, 0, 0, 1), 32), expiresAt: UnixTime(seconds: 100))
        table.authorize(resource("later", TestPackets.v4(10, 0, 0, 2), 32), expiresAt: UnixTime(seconds: 200))
        table.authorize(resource("never", TestPackets.v4(10, 0, 0, 3), 32), expiresAt: nil)
        #expect(table.earliestExpiry == UnixTime(seconds: 100))
        let early = table.removeExpired(now: UnixTime(seconds: 99))
        #expect(early.isEmpty)
        let atExpiry = table.removeExpired(now: UnixTime(seconds: 100))
        #expect(atExpiry == [ResourceID("soon")])
        #expect(table.match(TestPackets.v4(10, 0, 0, 1)) == nil)
        let extended = table.updateExpiry(ResourceID("later"), expiresAt: UnixTime(seconds: 300))
        let unknown = table.updateExpiry(ResourceID("gone"), expiresAt: nil)
        #expect(extended && !unknown)
        #expect(table.earliestExpiry == UnixTime(seconds: 300))
        let late = table.removeExpired(now: UnixTime(seconds: 1_000_000))
        #expect(late == [ResourceID("later")])
        #expect(table.earliestExpiry == nil)
        #expect(table.resourceIDs == [ResourceID("never")])
        let last = table.revoke(ResourceID("never"))
        #expect(last && table.isEmpty)
    }

    @Test func updatingAResourceKeepsItsExpiryAndMovesItsNetwork() throws {
        var table = AuthorizationTable()
        table.authorize(
            resource("web", TestPackets.v4(10, 0, 0, 5), 32, [.tcp(80...80)]), expiresAt: UnixTime(seconds: 50))
        let updated = table.updateResource(resource("web", TestPackets.v4(10, 0, 0, 6), 32, [.tcp(443...443)]))
        let notHeld = table.updateResource(resource("other", TestPackets.v4(10, 0, 0, 7), 32))
        #expect(updated && !notHeld)
        #expect(table.expiry(ResourceID("web")) == UnixTime(seconds: 50))
        #expect(table.resource(ResourceID("web"))?.name == "WEB")
        #expect(table.match(TestPackets.v4(10, 0, 0, 5)) == nil)
        #expect(table.allowsOutbound(try tcp(to: TestPackets.v4(10, 0, 0, 6), port: 443)))
        #expect(table.resource(ResourceID("other")) == nil)
    }

    @Test func authorizingAgainReplacesFiltersAndExpiry() {
        var table = AuthorizationTable()
        table.authorize(
            resource("web", TestPackets.v4(10, 0, 0, 5), 32, [.tcp(80...80)]), expiresAt: UnixTime(seconds: 5))
        table.authorize(resource("web", TestPackets.v4(10, 0, 0, 5), 32, [.icmp]), expiresAt: nil)
        #expect(table.resourceIDs.count == 1)
        #expect(table.earliestExpiry == nil)
        #expect(table.match(TestPackets.v4(10, 0, 0, 5))?.filters == FilterSet([.icmp]))
    }

    @Test func theDefaultRuleOfTheRoleAgreesWithTheTable() throws {
        /// A policy using only the protocol's default `allowsOutbound`, built on the table's `match`.
        struct MatchOnly: AccessPolicy {
            var inner = AuthorizationTable()
            init() {}
            mutating func authorize(_ resource: ResourceDescription, expiresAt: UnixTime?) {
                inner.authorize(resource, expiresAt: expiresAt)
            }
            mutating func revoke(_ id: ResourceID) -> Bool { inner.revoke(id) }
            mutating func updateResource(_ resource: ResourceDescription) -> Bool { inner.updateResource(resource) }
            mutating func updateExpiry(_ id: ResourceID, expiresAt: UnixTime?) -> Bool {
                inner.updateExpiry(id, expiresAt: expiresAt)
            }
            mutating func removeExpired(now: UnixTime) -> [ResourceID] { inner.removeExpired(now: now) }
            var isEmpty: Bool { inner.isEmpty }
            var resourceIDs: [ResourceID] { inner.resourceIDs }
            func resource(_ id: ResourceID) -> ResourceDescription? { inner.resource(id) }
            var earliestExpiry: UnixTime? { inner.earliestExpiry }
            func match(_ address: IPAddress) -> PolicyMatch? { inner.match(address) }
        }
        var policy = MatchOnly()
        policy.authorize(resource("net", TestPackets.v4(10, 0, 0, 0), 8, [.tcp(80...80)]), expiresAt: nil)
        policy.authorize(resource("db", TestPackets.v4(10, 1, 0, 0), 16, [.tcp(5432...5432)]), expiresAt: nil)
        let probes: [(IPAddress, UInt16)] = [(TestPackets.v4(10, 1, 0, 1), 80), (TestPackets.v4(10, 2, 0, 1), 5432)]
        for (address, port) in probes {
            let flow = try tcp(to: address, port: port)
            #expect(policy.allowsOutbound(flow) == policy.inner.allowsOutbound(flow))
        }
        #expect(policy.allowsOutbound(try tcp(to: TestPackets.v4(10, 1, 0, 1), port: 80)))
    }
}
