import DataPlane
import Testing

@Suite struct ZeroTrustNodeTests {
    let alice = TestPacket.v4("100.64.0.2")
    let web = TestPacket.v4("10.201.1.10")
    let db = TestPacket.v4("10.201.2.10")

    @Test func firstPacketBuffersAndAsksForAFlowOnceWithinTheDebounce() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24")
        pair.client.handle(.upsertResource(resource), now: pair.now)
        let packet = TestPacket.make(from: alice, to: web, proto: 6)
        #expect(pair.clientSends(packet) == .dropped(.awaitingFlow))
        pair.clientSends(packet)  // a duplicate is dropped
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6, payload: [1]))
        #expect(pair.client.pendingCount(for: resource.id) == 2)
        #expect(pair.events(pair.client) == [.createFlow(resource: resource.id, connectedGateways: [])])
        pair.advance(seconds: 2.1)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6, payload: [2]))
        #expect(pair.events(pair.client).count == 1)
        pair.grantFlow(resource)
        pair.pump()
        #expect(pair.takeGatewayTun().count == 3)
        #expect(pair.client.pendingCount(for: resource.id) == 0)
        #expect(pair.events(pair.gateway).count == 1)
    }

    @Test func pendingBufferHoldsAtMost128AndKeepsTheNewest() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24")
        pair.client.handle(.upsertResource(resource), now: pair.now)
        for index in 0..<200 {
            pair.clientSends(TestPacket.make(from: alice, to: web, proto: 17, payload: [UInt8(index & 0xFF), 1]))
        }
        #expect(pair.client.pendingCount(for: resource.id) == 128)
        pair.grantFlow(resource)
        pair.pump()
        let delivered = pair.takeGatewayTun()
        #expect(delivered.count == 128)
        #expect(delivered.first?.suffix(2) == [72, 1])  // packets 72...199 survive, oldest first
    }

    @Test func gatewayDeniesAFilteredPortWithProhibitedAndLetsTheRestThrough() throws {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24", filters: [.tcp(80...80)])
        pair.client.handle(.upsertResource(pair.resource("web", "10.201.1.0/24")), now: pair.now)  // stale view
        pair.grantFlow(resource)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6, destinationPort: 80))
        #expect(pair.takeGatewayTun().count == 1)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6, destinationPort: 22))
        #expect(pair.takeGatewayTun().isEmpty)
        let errors = pair.takeClientTun()
        #expect(errors.count == 1)
        let error = try #require(errors.first)
        #expect(icmpTypeCode(error)! == (3, 13))
        #expect(Array(error[12..<16]) == [10, 201, 1, 10])  // source: the original destination
        #expect(error[8] == 20)
        #expect(pair.gateway.counters.prohibitedSent == 1)
    }

    @Test func clientAnswersItsOwnFilterDenialsLocallyWithoutAskingTheGateway() {
        let pair = ZeroTrustPair(reauthorize: true)
        let resource = pair.resource("web", "10.201.1.0/24", filters: [.tcp(80...80)])
        pair.client.handle(.upsertResource(resource), now: pair.now)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 17, destinationPort: 53))
        #expect(pair.events(pair.client).isEmpty)
        let local = pair.takeClientTun()
        #expect(local.count == 1)
        #expect(icmpTypeCode(local[0])! == (3, 13))
    }

    @Test func prohibitedFromTheGatewayReauthorizesOnlyWithTheFlag() {
        for flag in [false, true] {
            let pair = ZeroTrustPair(reauthorize: flag)
            let webResource = pair.resource("web", "10.201.1.0/24")
            let dbResource = pair.resource("db", "10.201.2.0/24")
            pair.client.handle(.initialize(addresses: pair.clientAddresses, resources: [webResource, dbResource]),
                               now: pair.now)
            pair.grantFlow(webResource)
            pair.grantFlow(dbResource)
            pair.clientSends(TestPacket.make(from: alice, to: web, proto: 1))
            pair.clientSends(TestPacket.make(from: alice, to: db, proto: 1))
            #expect(pair.takeGatewayTun().count == 2)
            _ = pair.events(pair.client)
            pair.gateway.handle(.rejectAccess(client: pair.clientID, resource: webResource.id), now: pair.now)
            pair.advance(seconds: 3)
            pair.clientSends(TestPacket.make(from: alice, to: web, proto: 1))
            let errors = pair.takeClientTun()
            #expect(errors.count == 1, "the ICMP error is delivered to the application either way")
            let events = pair.events(pair.client)
            if flag {
                #expect(events.first == .createFlow(resource: webResource.id, connectedGateways: [pair.gatewayID]))
            } else {
                #expect(events.isEmpty)
            }
            pair.clientSends(TestPacket.make(from: alice, to: db, proto: 1))
            #expect(pair.takeGatewayTun().count == 1, "the other Resource never stops")
        }
    }

    @Test func lastAuthorizationGoneSaysGoodbyeAndRemovesThePeer() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24")
        pair.grantFlow(resource)
        _ = pair.events(pair.gateway)
        pair.gateway.handle(.rejectAccess(client: pair.clientID, resource: resource.id), now: pair.now)
        #expect(pair.events(pair.gateway) == [.goodbye(client: pair.clientID)])
        #expect(pair.gateway.peer(of: pair.clientID) == nil)
        #expect(pair.gateway.device.peerPublicKeys.isEmpty)
    }

    @Test func initThatLeavesAClientOutSaysGoodbyeSoItDropsItsSession() {
        let pair = ZeroTrustPair(reauthorize: false)
        pair.grantFlow(pair.resource("web", "10.201.1.0/24"))
        _ = pair.events(pair.gateway)
        pair.gateway.handle(.initialize(addresses: pair.gatewayAddresses, authorizations: []), now: pair.now)
        #expect(pair.events(pair.gateway) == [.goodbye(client: pair.clientID)])
        #expect(pair.gateway.peer(of: pair.clientID) == nil)
    }

    @Test func expiredAuthorizationIsSweptWithinASecond() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24")
        let expiry = UnixTime(seconds: pair.now.wallClock.unixSeconds + 5)
        pair.grantFlow(resource, expiresAt: expiry)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 1))
        #expect(pair.takeGatewayTun().count == 1)
        _ = pair.events(pair.gateway)
        #expect(pair.gateway.nextDeadline != nil)
        for _ in 0..<6 { pair.advance(seconds: 1) }
        #expect(pair.events(pair.gateway).contains(.goodbye(client: pair.clientID)))
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 1))
        #expect(pair.takeGatewayTun().isEmpty)
    }

    @Test func spoofedSourceFromAClientIsDropped() {
        let pair = ZeroTrustPair(reauthorize: false)
        pair.grantFlow(pair.resource("web", "10.201.1.0/24"))
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 1))
        #expect(pair.takeGatewayTun().count == 1)
        pair.clientSends(TestPacket.make(from: TestPacket.v4("100.64.0.9"), to: web, proto: 1))
        #expect(pair.takeGatewayTun().isEmpty)
        #expect(pair.gateway.device.drops[.disallowedSource] == 1)
    }

    @Test func returnPathNeedsTheFiltersButIcmpErrorsAlwaysPass() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24", filters: [.tcp(80...80)])
        pair.client.handle(.upsertResource(resource), now: pair.now)
        pair.grantFlow(resource)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6, destinationPort: 80))
        let reply = TestPacket.make(from: web, to: alice, proto: 6, sourcePort: 80, destinationPort: 40000)
        #expect(pair.resourceSends(reply) != .dropped(.notAuthorized))
        #expect(pair.takeClientTun().count == 1)
        let dns = TestPacket.make(from: web, to: alice, proto: 17, sourcePort: 53)
        #expect(pair.resourceSends(dns) == .dropped(.notAuthorized))
        #expect(pair.takeClientTun().isEmpty)
    }

    @Test func ipv6ResourcesWorkEndToEnd() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("v6", "fd00:10::/64")
        pair.client.handle(.upsertResource(resource), now: pair.now)
        let me = TestPacket.v6("fd00:2021:1111::2")
        let target = TestPacket.v6("fd00:10::5")
        pair.clientSends(TestPacket.make(from: me, to: target, proto: 58))
        pair.grantFlow(resource)
        pair.pump()
        #expect(pair.takeGatewayTun().count == 1)
    }

    @Test func anUnansweredFlowRequestIsRepeatedWhenItsDebounceRunsOut() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24")
        pair.client.handle(.upsertResource(resource), now: pair.now)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6))
        #expect(pair.events(pair.client).count == 1)
        #expect(pair.client.nextDeadline != nil, "the buffered packet's request has a retry deadline")
        pair.advance(seconds: 1)
        #expect(pair.events(pair.client).isEmpty)
        pair.advance(seconds: 1.1)
        #expect(pair.events(pair.client) == [.createFlow(resource: resource.id, connectedGateways: [])])
        pair.client.handle(.flowCreationFailed(resource: resource.id, reason: .offline), now: pair.now)
        pair.advance(seconds: 5)
        #expect(pair.events(pair.client).isEmpty, "a refused request is not repeated by the timer")
        #expect(pair.client.offline == [resource.id])
    }

    @Test func aGatewayGoodbyeLetsTheNextPacketAskAtOnce() {
        let pair = ZeroTrustPair(reauthorize: false)
        let resource = pair.resource("web", "10.201.1.0/24")
        pair.client.handle(.upsertResource(resource), now: pair.now)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6))
        _ = pair.events(pair.client)
        pair.grantFlow(resource)
        pair.client.handle(.gatewayGoodbye(pair.gatewayID), now: pair.now)
        #expect(pair.client.gateway(for: resource.id) == nil)
        pair.clientSends(TestPacket.make(from: alice, to: web, proto: 6, payload: [9]))
        #expect(pair.events(pair.client) == [.createFlow(resource: resource.id, connectedGateways: [])])
    }
}
