import ControlProtocol
import DataPlane
import FuzzSupport
import Portal

/// A portal over a fuzzed policy, with every node the policy names connected and acting as real nodes
/// would: join, ask for every Resource, confirm every authorization.
///
/// At most `nodeCap` nodes of each role and `resourceCap` Resources are used, so a large policy costs a
/// bounded amount of work per input; the parser itself still sees the whole file.
struct PortalRun {
    static var nodeCap: Int { 8 }
    static var resourceCap: Int { 16 }
    static var messageCap: Int { 4096 }

    var portal: PortalState
    var seconds: Int64 = 1_700_000_000
    var gateways: [ConnectionID: String] = [:]
    var clients: [ConnectionID: String] = [:]

    init(policy: PolicyFile) {
        portal = PortalState(policy: policy, random: SeededRandom(seed: 5))
        fuzzCheck(portal.isAdminToken(policy.adminToken), "the admin token is refused")
        fuzzCheck(!portal.isAdminToken(policy.adminToken + "x"), "a longer admin token is accepted")
    }

    var now: UnixSeconds { UnixSeconds(seconds) }

    /// A public key per node, distinct and fixed; the portal never computes with it.
    static func key(_ index: Int, role: UInt8) -> PublicKey {
        var bytes = SIMD32<UInt8>(repeating: role)
        bytes[0] = UInt8(truncatingIfNeeded: index)
        return PublicKey(raw: Key32(bytes: bytes))
    }

    /// Connects and joins every node of the current policy, asks for flows, confirms them, and moves time.
    mutating func exercise() {
        let policy = portal.policy
        for (index, node) in policy.gateways.prefix(Self.nodeCap).enumerated() {
            guard let connection = portal.connect(role: .gateway, token: node.token) else { continue }
            gateways[connection] = node.id
            let endpoint = Endpoint(address: .v4(IPv4Address(198, 51, 100, UInt8(truncatingIfNeeded: index))),
                                    port: 51820)
            portal.receive(.join(JoinPayload(publicKey: Self.key(index, role: 1), endpoint: endpoint)),
                           from: connection, now: now)
        }
        for (index, node) in policy.clients.prefix(Self.nodeCap).enumerated() {
            guard let connection = portal.connect(role: .client, token: node.token) else { continue }
            clients[connection] = node.id
            portal.receive(.join(JoinPayload(publicKey: Self.key(index, role: 2))), from: connection, now: now)
        }
        drain()
        let resourceIDs = policy.resources.prefix(Self.resourceCap).map(\.id) + ["no-such-resource"]
        for connection in clients.keys.sorted() {
            for resource in resourceIDs {
                portal.receive(.createFlow(CreateFlowPayload(resourceID: resource)), from: connection, now: now)
            }
        }
        drain()
        let snapshot = portal.list()
        _ = snapshot
        for expiry in policy.policies.compactMap(\.expiresAt).sorted().prefix(4) where expiry.rawValue > seconds {
            seconds = expiry.rawValue
            portal.tick(now: now)
            drain()
        }
        if let deadline = portal.nextDeadline(after: now) {
            fuzzCheck(deadline > now, "a deadline not after now")
        }
    }

    mutating func reload(_ policy: PolicyFile) {
        portal.reload(policy, now: now)
        fuzzCheck(portal.policy == policy, "the reloaded policy is not in force")
        drain()
    }

    /// Takes everything the portal queued; Gateways confirm each authorization as a real one would.
    mutating func drain() {
        var count = 0
        while let (connection, message) = portal.nextOutgoing() {
            count += 1
            fuzzCheck(count <= Self.messageCap, "the portal's outgoing queue is not bounded")
            fuzzCheck(gateways[connection] != nil || clients[connection] != nil, "a message on an unknown connection")
            let encoded = message.encoded()
            fuzzCheck((try? ControlMessage.decode(encoded)) == message, "\(encoded) does not round trip")
            switch message {
            case .authorizeFlow(let payload):
                fuzzCheck(gateways[connection] != nil, "authorize_flow sent to a Client")
                portal.receive(.flowAuthorized(FlowAuthorizedPayload(reference: payload.reference)),
                               from: connection, now: now)
            case .gatewayInit(let payload):
                for authorization in payload.authorizations {
                    portal.receive(.flowAuthorized(FlowAuthorizedPayload(reference: authorization.reference)),
                                   from: connection, now: now)
                }
            default:
                break
            }
        }
        while let connection = portal.nextConnectionToClose() {
            gateways[connection] = nil
            clients[connection] = nil
        }
        var audit = 0
        while portal.nextAuditEvent() != nil {
            audit += 1
            fuzzCheck(audit <= 16 * Self.messageCap, "the audit trail is not bounded")
        }
    }
}
