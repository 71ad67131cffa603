import ControlProtocol
import DataPlane
import Portal

/// Drives a `PortalState` the way the server does, with tokens `ID-token`, key bytes per node, and a clock.
struct PortalHarness {
    var portal: PortalState
    var now = UnixSeconds(1000)
    var connections: [String: ConnectionID] = [:]

    init(policy: PolicyFile = Fixtures.policy) {
        portal = PortalState(policy: policy, random: SplitMix64(state: 42))
    }

    /// Connects and joins `id`; gateways announce `Fixtures.gatewayEndpoint`.
    @discardableResult
    mutating func join(_ role: NodeRole, _ id: String, key: UInt8) -> ConnectionID? {
        guard let connection = portal.connect(role: role, token: "\(id)-token") else { return nil }
        connections[id] = connection
        let endpoint = role == .gateway ? Fixtures.gatewayEndpoint : nil
        let join = JoinPayload(publicKey: Fixtures.publicKey(key), endpoint: endpoint)
        portal.receive(.join(join), from: connection, now: now)
        return connection
    }

    mutating func send(_ message: ControlMessage, from id: String) {
        portal.receive(message, from: connections[id]!, now: now)
    }

    /// Every queued message, as (recipient id, message); recipients are looked up by connection.
    mutating func drain() -> [(String, ControlMessage)] {
        var result: [(String, ControlMessage)] = []
        while let (connection, message) = portal.nextOutgoing() {
            let id = connections.first { $0.value == connection }?.key ?? "?\(connection.rawValue)"
            result.append((id, message))
        }
        return result
    }

    /// The messages queued for `id`, dropping the rest.
    mutating func drain(for id: String) -> [ControlMessage] {
        drain().filter { $0.0 == id }.map(\.1)
    }

    /// Event names per recipient, for compact expectations: `["gw-1: reject_access", "alice: resource_deleted"]`.
    mutating func drainSummary() -> [String] {
        drain().map { "\($0.0): \($0.1.eventName)" }
    }

    /// Runs create_flow for `client` and, if an authorization went out, answers it from the gateway.
    /// Returns what the client got.
    mutating func createFlow(_ client: String, _ resource: String, hint: [String] = []) -> [ControlMessage] {
        send(.createFlow(CreateFlowPayload(resourceID: resource, connectedGatewayIDs: hint)), from: client)
        var clientMessages: [ControlMessage] = []
        for (recipient, message) in drain() {
            if case .authorizeFlow(let authorization) = message {
                send(.flowAuthorized(FlowAuthorizedPayload(reference: authorization.reference)), from: recipient)
                clientMessages += drain(for: client)
            } else if recipient == client {
                clientMessages.append(message)
            }
        }
        return clientMessages
    }

    mutating func auditEvents() -> [PortalAuditEvent] {
        var events: [PortalAuditEvent] = []
        while let event = portal.nextAuditEvent() { events.append(event) }
        return events
    }
}
