import ControlProtocol
import DataPlane
import Testing

@Suite struct ControlMessageRoundTripTests {
    static func ipv6(_ last: UInt16) -> IPv6Address {
        IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, last])
    }

    static let authorization = AuthorizeFlowPayload(
        reference: "7", clientID: "alice", clientPublicKey: Fixtures.publicKey(1),
        clientTunnelIPv4: IPv4Address(100, 64, 0, 2), clientTunnelIPv6: ipv6(2),
        presharedKey: PresharedKey(raw: Fixtures.key(9)), resource: Fixtures.web, expiresAt: UnixSeconds(1_767_225_600)
    )

    static let messages: [ControlMessage] = [
        .join(JoinPayload(publicKey: Fixtures.publicKey(1))),
        .join(JoinPayload(publicKey: Fixtures.publicKey(2), endpoint: Fixtures.gatewayEndpoint)),
        .join(JoinPayload(
            publicKey: Fixtures.publicKey(2),
            endpoint: Endpoint(address: .v6(IPv6Address(groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])), port: 443)
        )),
        .gatewayInit(GatewayInitPayload(
            gatewayID: "gw-1", tunnelIPv4: IPv4Address(100, 64, 0, 1),
            tunnelIPv6: ipv6(1), authorizations: [authorization]
        )),
        .gatewayInit(GatewayInitPayload(
            gatewayID: "gw-1", tunnelIPv4: IPv4Address(100, 64, 0, 1),
            tunnelIPv6: ipv6(1), authorizations: []
        )),
        .clientInit(ClientInitPayload(
            clientID: "alice", tunnelIPv4: IPv4Address(100, 64, 0, 2),
            tunnelIPv6: ipv6(2), resources: [Fixtures.web, Fixtures.db]
        )),
        .authorizeFlow(authorization),
        .authorizeFlow({ var payload = authorization; payload.expiresAt = nil; return payload }()),
        .flowAuthorized(FlowAuthorizedPayload(reference: "7")),
        .rejectAccess(RejectAccessPayload(clientID: "alice", resourceID: "web")),
        .accessAuthorizationExpiryUpdated(
            AccessAuthorizationExpiryUpdatedPayload(clientID: "alice", resourceID: "web", expiresAt: UnixSeconds(5))
        ),
        .accessAuthorizationExpiryUpdated(
            AccessAuthorizationExpiryUpdatedPayload(clientID: "alice", resourceID: "web", expiresAt: nil)
        ),
        .resourceUpdated(ResourcePayload(resource: Fixtures.web)),
        .goodbye(GoodbyePayload(clientID: "alice")),
        .resourceCreatedOrUpdated(ResourcePayload(resource: Fixtures.db)),
        .resourceDeleted(ResourceDeletedPayload(resourceID: "db")),
        .createFlow(CreateFlowPayload(resourceID: "web", connectedGatewayIDs: ["gw-1", "gw-2"])),
        .createFlow(CreateFlowPayload(resourceID: "web")),
        .flowCreated(FlowCreatedPayload(
            resourceID: "web", gatewayID: "gw-1", gatewayPublicKey: Fixtures.publicKey(3),
            gatewayTunnelIPv4: IPv4Address(100, 64, 0, 1),
            gatewayTunnelIPv6: ipv6(1),
            gatewayEndpoint: Fixtures.gatewayEndpoint, presharedKey: PresharedKey(raw: Fixtures.key(9))
        )),
        .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .offline)),
        .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .notFound)),
        .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .forbidden)),
        .gatewayGoodbye(GatewayGoodbyePayload(gatewayID: "gw-1")),
    ]

    @Test(arguments: messages)
    func everyMessageDecodesToItself(_ message: ControlMessage) throws {
        #expect(try ControlMessage.decode(message.encoded()) == message)
    }

    @Test func everyEventNameIsCoveredByTheRoundTrip() {
        #expect(Set(Self.messages.map(\.eventName)) == ControlMessage.eventNames)
    }

    @Test func encodingIsOneEnvelopeObjectWithTheDocumentedFieldNames() {
        let text = ControlMessage.flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .notFound))
            .encoded()
        #expect(text == #"{"event":"flow_creation_failed","payload":{"reason":"not_found","resource_id":"web"}}"#)
        let reject = ControlMessage.rejectAccess(RejectAccessPayload(clientID: "a", resourceID: "r")).encoded()
        #expect(reject == #"{"event":"reject_access","payload":{"client_id":"a","resource_id":"r"}}"#)
    }

    @Test func authorizeFlowWritesAddressesKeysAndFiltersAsTheContractSays() {
        let text = ControlMessage.authorizeFlow(Self.authorization).encoded()
        #expect(text.contains(#""client_tunnel_ipv4":"100.64.0.2""#))
        #expect(text.contains(#""client_tunnel_ipv6":"fd00:2021:1111::2""#))
        #expect(text.contains(#""client_public_key":"\#(Fixtures.key(1).base64)""#))
        #expect(text.contains(#""address":"10.201.1.0/24""#))
        #expect(text.contains(#"{"port_range_end":443,"port_range_start":80,"protocol":"tcp"}"#))
        #expect(text.contains(#"{"protocol":"icmp"}"#))
        #expect(text.contains(#""expires_at":1767225600"#))
    }

    @Test func nullExpiryIsWrittenAsNull() {
        var payload = Self.authorization
        payload.expiresAt = nil
        #expect(ControlMessage.authorizeFlow(payload).encoded().contains(#""expires_at":null"#))
    }

    @Test func unknownFieldsAreIgnored() throws {
        let text = #"{"event":"goodbye","extra":1,"payload":{"client_id":"alice","why":"idle"}}"#
        #expect(try ControlMessage.decode(text) == .goodbye(GoodbyePayload(clientID: "alice")))
    }

    @Test func filtersWithoutPortsMeanEveryPortAndNoFiltersMeansEmpty() throws {
        let text = #"{"event":"resource_updated","payload":{"resource":{"id":"r","name":"R","address":"10.0.0.0/8","#
            + #""filters":[{"protocol":"tcp"},{"protocol":"udp"}]}}}"#
        let expected = WireResource(
            id: "r", name: "R", address: Fixtures.network("10.0.0.0/8"), filters: [.tcp(0...65535), .udp(0...65535)]
        )
        #expect(try ControlMessage.decode(text) == .resourceUpdated(ResourcePayload(resource: expected)))
        let bare = #"{"event":"resource_updated","payload":{"resource":{"id":"r","name":"R","address":"10.0.0.0/8"}}}"#
        let bareExpected = WireResource(id: "r", name: "R", address: Fixtures.network("10.0.0.0/8"), filters: [])
        #expect(try ControlMessage.decode(bare) == .resourceUpdated(ResourcePayload(resource: bareExpected)))
    }

    @Test func initIsToldApartByItsIdField() throws {
        let client = #"{"event":"init","payload":{"client_id":"a","tunnel_ipv4":"100.64.0.2","#
            + #""tunnel_ipv6":"fd00:2021:1111::2"}}"#
        guard case .clientInit(let payload) = try ControlMessage.decode(client) else {
            Issue.record("expected a client init")
            return
        }
        #expect(payload.resources.isEmpty)
    }

    @Test func auditFieldsNameTheMessageTypeAndTheIdsItCarries() {
        #expect(ControlMessage.authorizeFlow(Self.authorization).auditFields == [
            "message_type": "authorize_flow", "client_id": "alice", "resource_id": "web", "reference": "7",
        ])
        #expect(ControlMessage.gatewayGoodbye(GatewayGoodbyePayload(gatewayID: "gw-1")).auditFields == [
            "message_type": "gateway_goodbye", "gateway_id": "gw-1",
        ])
        #expect(ControlMessage.join(JoinPayload(publicKey: Fixtures.publicKey(1))).auditFields == [
            "message_type": "join",
        ])
        #expect(ControlMessage.createFlow(CreateFlowPayload(resourceID: "db")).auditFields == [
            "message_type": "create_flow", "resource_id": "db",
        ])
    }
}
