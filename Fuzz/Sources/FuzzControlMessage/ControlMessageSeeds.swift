import ControlProtocol
import DataPlane
import FuzzSupport

/// Seeds for the control-message target: one of every message the protocol defines, carrying the pair's
/// real keys and the fuzz policy's ids so they act on the portal and nodes, a flow set-up as a sequence,
/// and a few broken frames.
enum ControlMessageSeeds {
    static func make() -> [(name: String, bytes: [UInt8])] {
        make(fuzzBackend)
    }

    static func make<B: CryptoBackend>(_ backend: B.Type) -> [(name: String, bytes: [UInt8])] {
        let pair = ZeroTrustPair<B>(reauthorize: false)
        let gatewayKey = pair.gateway.device.publicKey!
        let clientKey = pair.client.device.publicKey!
        let psk = PresharedKey(raw: Key32(bytes: SIMD32(repeating: 7)))
        let gatewayV4 = IPv4Address(100, 64, 0, 1)
        let gatewayV6 = IPv6Address(high: 0xfd00_2021_1111_0000, low: 1)
        let clientV4 = IPv4Address(100, 64, 0, 2)
        let clientV6 = IPv6Address(high: 0xfd00_2021_1111_0000, low: 2)
        let web = WireResource(id: "web", name: "Web",
                               address: IPNetwork(.v4(IPv4Address(10, 0, 0, 0)), prefixLength: 24)!,
                               filters: [.tcp(80...443), .udp(53...53), .icmp])
        let db6 = WireResource(id: "db6", name: "DB",
                               address: IPNetwork(.v6(IPv6Address(high: 0xfd00_0010_0000_0000, low: 5)),
                                                  prefixLength: 128)!,
                               filters: [])
        let authorize = AuthorizeFlowPayload(
            reference: "ref-1", clientID: "alice", clientPublicKey: clientKey, clientTunnelIPv4: clientV4,
            clientTunnelIPv6: clientV6, presharedKey: psk, resource: web, expiresAt: UnixSeconds(1_700_000_020))
        let messages: [(String, ControlMessage)] = [
            ("join-gateway", .join(JoinPayload(publicKey: gatewayKey, endpoint: pair.gatewayEndpoint))),
            ("join-client", .join(JoinPayload(publicKey: clientKey))),
            ("init-gateway", .gatewayInit(GatewayInitPayload(gatewayID: "gw-1", tunnelIPv4: gatewayV4,
                                                             tunnelIPv6: gatewayV6, authorizations: [authorize]))),
            ("init-client", .clientInit(ClientInitPayload(clientID: "alice", tunnelIPv4: clientV4,
                                                          tunnelIPv6: clientV6, resources: [web, db6]))),
            ("authorize-flow", .authorizeFlow(authorize)),
            ("flow-authorized", .flowAuthorized(FlowAuthorizedPayload(reference: "1"))),
            ("reject-access", .rejectAccess(RejectAccessPayload(clientID: "alice", resourceID: "web"))),
            ("expiry-updated", .accessAuthorizationExpiryUpdated(AccessAuthorizationExpiryUpdatedPayload(
                clientID: "alice", resourceID: "web", expiresAt: UnixSeconds(1_700_000_005)))),
            ("resource-updated", .resourceUpdated(ResourcePayload(resource: db6))),
            ("goodbye", .goodbye(GoodbyePayload(clientID: "alice"))),
            ("resource-created", .resourceCreatedOrUpdated(ResourcePayload(resource: web))),
            ("resource-deleted", .resourceDeleted(ResourceDeletedPayload(resourceID: "web"))),
            ("create-flow", .createFlow(CreateFlowPayload(resourceID: "web", connectedGatewayIDs: ["gw-1"]))),
            ("flow-created", .flowCreated(FlowCreatedPayload(
                resourceID: "web", gatewayID: "gw-1", gatewayPublicKey: gatewayKey, gatewayTunnelIPv4: gatewayV4,
                gatewayTunnelIPv6: gatewayV6, gatewayEndpoint: pair.gatewayEndpoint, presharedKey: psk))),
            ("flow-creation-failed", .flowCreationFailed(FlowCreationFailedPayload(resourceID: "db6",
                                                                                  reason: .offline))),
            ("gateway-goodbye", .gatewayGoodbye(GatewayGoodbyePayload(gatewayID: "gw-1"))),
        ]
        var seeds = messages.map { (name: $0.0, bytes: Array($0.1.encoded().utf8)) }
        let sequence = [messages[12].1, messages[4].1, messages[13].1, messages[6].1, messages[12].1]
        seeds.append(("sequence-flow", Array(sequence.map { $0.encoded() }.joined(separator: "\n").utf8)))
        let broken = [
            #"{"event":"init","payload":{"tunnel_ipv4":"100.64.0.1"}}"#,
            #"{"event":"create_flow","payload":{"resource_id":7}}"#,
            #"{"event":"join","payload":{"public_key":"AAAA","endpoint":"[::1]:0"}}"#,
            #"{"event":"flow_created","payload":{"resource_id":"web","gateway_endpoint":"300.1.1.1:1"}}"#,
            #"{"event":"nope","payload":{}}"#, #"[1,2,{"a":"\ud800"}]"#, #"{"event":"goodbye","payload":"#,
        ]
        for (index, text) in broken.enumerated() { seeds.append(("broken-\(index)", Array(text.utf8))) }
        return seeds
    }
}
