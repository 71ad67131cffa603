import ControlProtocol
import DataPlane
import Portal
import Testing

@Suite struct PortalStateFlowTests {
    static func ipv6(_ last: UInt16) -> IPv6Address {
        IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, last])
    }

    @Test func aWrongTokenIsRefusedAndAudited() {
        var harness = PortalHarness()
        #expect(harness.portal.connect(role: .client, token: "nope") == nil)
        #expect(harness.portal.connect(role: .gateway, token: "alice-token") == nil)
        let events = harness.auditEvents()
        #expect(events.map(\.message) == ["connection refused", "connection refused"])
        #expect(events.allSatisfy { !$0.description.contains("nope") })
    }

    @Test func joinsAreAnsweredWithInitAndStableTunnelAddresses() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.client, "alice", key: 2)
        let messages = harness.drain()
        #expect(messages.count == 2)
        #expect(messages[0].0 == "gw-1")
        #expect(messages[0].1 == .gatewayInit(GatewayInitPayload(
            gatewayID: "gw-1", tunnelIPv4: IPv4Address(100, 64, 0, 1), tunnelIPv6: Self.ipv6(1), authorizations: []
        )))
        #expect(messages[1].0 == "alice")
        #expect(messages[1].1 == .clientInit(ClientInitPayload(
            clientID: "alice", tunnelIPv4: IPv4Address(100, 64, 0, 2), tunnelIPv6: Self.ipv6(2),
            resources: [Fixtures.web, Fixtures.db]
        )))
        // Reconnecting keeps the addresses.
        harness.portal.disconnect(harness.connections["alice"]!)
        harness.join(.client, "alice", key: 2)
        guard case .clientInit(let again)? = harness.drain(for: "alice").first else {
            Issue.record("no init on rejoin")
            return
        }
        #expect(again.tunnelIPv4 == IPv4Address(100, 64, 0, 2))
        #expect(again.tunnelIPv6 == Self.ipv6(2))
    }

    @Test func addressesEndingInZeroOr255AreSkipped() throws {
        var policy = Fixtures.policy
        policy.clients = (0..<300).map { PolicyFile.Node(id: "c\($0)", token: "c\($0)-token") }
        policy.policies = []
        var harness = PortalHarness(policy: policy)
        var inits: [ClientInitPayload] = []
        for index in 0..<300 {
            harness.join(.client, "c\(index)", key: 1)
            if case .clientInit(let payload)? = harness.drain(for: "c\(index)").first { inits.append(payload) }
        }
        #expect(inits.count == 300)
        #expect(inits[253].tunnelIPv4 == IPv4Address(100, 64, 0, 254))
        #expect(inits[254].tunnelIPv4 == IPv4Address(100, 64, 1, 1))
        #expect(inits[254].tunnelIPv6 == Self.ipv6(0x101))
        #expect(Set(inits.map(\.tunnelIPv4)).count == 300)
    }

    @Test func createFlowAuthorizesAtTheGatewayThenTellsTheClient() throws {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.client, "alice", key: 2)
        _ = harness.drain()
        harness.send(.createFlow(CreateFlowPayload(resourceID: "web")), from: "alice")
        let sent = harness.drain()
        #expect(sent.count == 1)
        guard sent.first?.0 == "gw-1", case .authorizeFlow(let authorization)? = sent.first?.1 else {
            Issue.record("expected authorize_flow to gw-1, got \(sent)")
            return
        }
        #expect(authorization.clientID == "alice")
        #expect(authorization.clientPublicKey == Fixtures.publicKey(2))
        #expect(authorization.clientTunnelIPv4 == IPv4Address(100, 64, 0, 2))
        #expect(authorization.clientTunnelIPv6 == Self.ipv6(2))
        #expect(authorization.resource == Fixtures.web)
        #expect(authorization.expiresAt == UnixSeconds(2000))
        var expectedKey = SplitMix64(state: 42)
        let words = (0..<4).map { _ in expectedKey.next() }
        let bytes = words.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> UInt64($0 * 8)) } }
        #expect(authorization.presharedKey == PresharedKey(raw: Key32(bytes)!))
        #expect(harness.portal.list().flows.isEmpty, "a flow is active only once the gateway confirms it")

        harness.send(.flowAuthorized(FlowAuthorizedPayload(reference: authorization.reference)), from: "gw-1")
        #expect(harness.drain(for: "alice") == [.flowCreated(FlowCreatedPayload(
            resourceID: "web", gatewayID: "gw-1", gatewayPublicKey: Fixtures.publicKey(1),
            gatewayTunnelIPv4: IPv4Address(100, 64, 0, 1), gatewayTunnelIPv6: Self.ipv6(1),
            gatewayEndpoint: Fixtures.gatewayEndpoint, presharedKey: authorization.presharedKey
        ))])
        #expect(harness.portal.list().flows == [
            PortalSnapshot.Flow(clientID: "alice", resourceID: "web", gatewayID: "gw-1", expiresAt: 2000),
        ])
    }

    @Test func theClientsConnectedGatewayIsPreferredElseTheFirstOnlineInListOrder() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.gateway, "gw-2", key: 3)
        harness.join(.client, "alice", key: 2)
        _ = harness.drain()
        harness.send(.createFlow(CreateFlowPayload(resourceID: "web", connectedGatewayIDs: ["gw-2"])), from: "alice")
        #expect(harness.drainSummary() == ["gw-2: authorize_flow"])
        harness.send(.createFlow(CreateFlowPayload(resourceID: "web", connectedGatewayIDs: ["gw-9"])), from: "alice")
        #expect(harness.drainSummary() == ["gw-1: authorize_flow"])
        harness.portal.disconnect(harness.connections["gw-1"]!)
        _ = harness.drain()
        harness.send(.createFlow(CreateFlowPayload(resourceID: "web")), from: "alice")
        #expect(harness.drainSummary() == ["gw-2: authorize_flow"])
    }

    @Test func failuresSayOfflineNotFoundOrForbidden() {
        var harness = PortalHarness()
        harness.join(.client, "alice", key: 2)
        harness.join(.client, "bob", key: 4)
        _ = harness.drain()
        #expect(harness.createFlow("alice", "web") == [
            .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .offline)),
        ])
        #expect(harness.createFlow("alice", "nas") == [
            .flowCreationFailed(FlowCreationFailedPayload(resourceID: "nas", reason: .notFound)),
        ])
        harness.join(.gateway, "gw-1", key: 1)
        _ = harness.drain()
        #expect(harness.createFlow("bob", "web") == [
            .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .forbidden)),
        ])
        harness.now = UnixSeconds(2000)
        #expect(harness.createFlow("alice", "web") == [
            .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .forbidden)),
        ], "the policy expired at 2000")
        harness.now = UnixSeconds(1999)
        #expect(harness.createFlow("alice", "web").first?.eventName == "flow_created")
    }

    @Test func everyFlowGetsAFreshKeyAndTheGatewaysInitCarriesTheNewest() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-2", key: 3)
        harness.join(.client, "alice", key: 2)
        _ = harness.drain()
        guard case .flowCreated(let first)? = harness.createFlow("alice", "web").first,
              case .flowCreated(let second)? = harness.createFlow("alice", "db").first
        else {
            Issue.record("flows were not created")
            return
        }
        #expect(first.presharedKey != second.presharedKey)
        #expect(!first.presharedKey.raw.isZero && !second.presharedKey.raw.isZero)
        harness.join(.gateway, "gw-2", key: 3)
        let inits = harness.drain(for: "gw-2").compactMap { message -> GatewayInitPayload? in
            if case .gatewayInit(let payload) = message { return payload }
            return nil
        }
        #expect(inits.count == 1)
        #expect(inits.first?.authorizations.count == 2)
        #expect(inits.first?.authorizations.allSatisfy { $0.presharedKey == second.presharedKey } == true,
                "both ends moved to the newest flow's key")
    }

    @Test func aDuplicateConnectionReplacesTheFirst() {
        var harness = PortalHarness()
        let first = harness.join(.client, "alice", key: 2)!
        _ = harness.drain()
        let second = harness.portal.connect(role: .client, token: "alice-token")!
        #expect(harness.portal.nextConnectionToClose() == first)
        #expect(harness.portal.nextConnectionToClose() == nil)
        #expect(harness.portal.node(for: first) == nil)
        #expect(harness.portal.node(for: second) == NodeRef(.client, "alice"))
        // The old connection's late messages and disconnect change nothing.
        harness.portal.receive(.createFlow(CreateFlowPayload(resourceID: "web")), from: first, now: harness.now)
        harness.portal.disconnect(first)
        #expect(harness.drain().isEmpty)
        #expect(harness.portal.node(for: second) != nil)
        #expect(harness.auditEvents().map(\.message).contains("connection replaced"))
    }

    @Test func messagesBeforeJoinAndFromTheWrongRoleAreIgnored() {
        var harness = PortalHarness()
        let client = harness.portal.connect(role: .client, token: "alice-token")!
        harness.portal.receive(.createFlow(CreateFlowPayload(resourceID: "web")), from: client, now: harness.now)
        #expect(harness.drain().isEmpty)
        harness.portal.receive(.join(JoinPayload(publicKey: Fixtures.publicKey(2))), from: client, now: harness.now)
        _ = harness.drain()
        harness.portal.receive(.goodbye(GoodbyePayload(clientID: "bob")), from: client, now: harness.now)
        #expect(harness.drain().isEmpty)
        let ignored = harness.auditEvents().filter { $0.message == "control message ignored" }
        #expect(ignored.count == 2)
        #expect(ignored.last?.fields["reason"] == "a client does not send goodbye")
    }

    @Test func aGatewayJoinWithoutEndpointIsClosed() {
        var harness = PortalHarness()
        let gateway = harness.portal.connect(role: .gateway, token: "gw-1-token")!
        harness.portal.receive(.join(JoinPayload(publicKey: Fixtures.publicKey(1))), from: gateway, now: harness.now)
        #expect(harness.portal.nextConnectionToClose() == gateway)
        #expect(harness.drain().isEmpty)
    }

    @Test func aReconnectingGatewayGetsItsAuthorizationsInInit() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.client, "alice", key: 2)
        _ = harness.drain()
        _ = harness.createFlow("alice", "web")
        harness.portal.disconnect(harness.connections["gw-1"]!)
        harness.join(.gateway, "gw-1", key: 1)
        guard case .gatewayInit(let payload)? = harness.drain(for: "gw-1").first else {
            Issue.record("no init")
            return
        }
        #expect(payload.authorizations.map(\.clientID) == ["alice"])
        #expect(payload.authorizations.map(\.resource) == [Fixtures.web])
        #expect(payload.authorizations.first?.expiresAt == UnixSeconds(2000))
    }

    @Test func aPendingAuthorizationFailsAsOfflineWhenItsGatewayLeaves() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.client, "alice", key: 2)
        _ = harness.drain()
        harness.send(.createFlow(CreateFlowPayload(resourceID: "web")), from: "alice")
        _ = harness.drain()
        harness.portal.disconnect(harness.connections["gw-1"]!)
        #expect(harness.drain(for: "alice") == [
            .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .offline)),
        ])
    }

    @Test func goodbyeDropsTheClientsFlowsOnThatGatewayAndTellsTheClient() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.gateway, "gw-2", key: 3)
        harness.join(.client, "alice", key: 2)
        _ = harness.drain()
        _ = harness.createFlow("alice", "web", hint: ["gw-1"])
        _ = harness.createFlow("alice", "db")
        #expect(harness.portal.list().flows.count == 2)
        harness.send(.goodbye(GoodbyePayload(clientID: "alice")), from: "gw-1")
        #expect(harness.drain(for: "alice") == [.gatewayGoodbye(GatewayGoodbyePayload(gatewayID: "gw-1"))])
        #expect(harness.portal.list().flows.map(\.gatewayID) == ["gw-2"])
    }

    @Test func aClientRejoiningWithANewKeyHasItsOldAuthorizationsRejected() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.client, "alice", key: 2)
        _ = harness.drain()
        _ = harness.createFlow("alice", "web")
        harness.join(.client, "alice", key: 5)
        #expect(harness.drainSummary() == ["gw-1: reject_access", "alice: init"])
        #expect(harness.portal.list().flows.isEmpty)
    }

    @Test func anUnknownReferenceIsIgnored() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        _ = harness.drain()
        harness.send(.flowAuthorized(FlowAuthorizedPayload(reference: "999")), from: "gw-1")
        #expect(harness.drain().isEmpty)
        #expect(harness.auditEvents().last?.message == "control message ignored")
    }

    @Test func everyMessageIsAuditedWithTheNodeOnTheOtherEnd() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.client, "alice", key: 2)
        _ = harness.auditEvents()
        _ = harness.createFlow("alice", "web")
        let trail = harness.auditEvents().map { ($0.message, $0.fields) }
        #expect(trail.map(\.0) == [
            "control message received", "control message sent", "control message received", "control message sent",
        ])
        #expect(trail[0].1 == ["message_type": "create_flow", "client_id": "alice", "resource_id": "web"])
        #expect(trail[1].1["gateway_id"] == "gw-1")
        #expect(trail[1].1["client_id"] == "alice")
        #expect(trail[3].1 == ["message_type": "flow_created", "client_id": "alice", "resource_id": "web",
                               "gateway_id": "gw-1"])
    }

    @Test func listShowsNodesOnlineWithAddressesAndKeys() {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.client, "alice", key: 2)
        harness.portal.disconnect(harness.connections["alice"]!)
        let nodes = harness.portal.list().nodes
        #expect(nodes.map(\.id) == ["alice", "gw-1"])
        #expect(nodes.map(\.online) == [false, true])
        #expect(nodes[1].tunnelIPv4 == "100.64.0.1")
        #expect(nodes[1].tunnelIPv6 == "fd00:2021:1111::1")
        #expect(nodes[1].publicKey == Fixtures.key(1).base64)
        #expect(nodes[1].endpoint == "198.51.100.1:51820")
    }
}
