import ControlProtocol
import DataPlane

/// The control plane without I/O: connections, joins, tunnel addresses, flows, policy reloads and admin actions.
///
/// Like the data plane's state machines, it never reads a clock, touches a socket or draws randomness it was
/// not given: every input is a method call (time is an argument) and every output is polled
/// (`nextOutgoing()`, `nextConnectionToClose()`, `nextAuditEvent()`), so the server, the model test and the
/// unit tests drive the very same logic.
public struct PortalState: Sendable {
    /// What the portal remembers of a node across connections.
    struct NodeRecord: Sendable {
        /// Index into the tunnel address pool, fixed for the portal's lifetime.
        var addressIndex: UInt64
        var publicKey: PublicKey?
        var endpoint: Endpoint?
        /// The node's current connection, joined or not.
        var connection: ConnectionID?
    }

    struct ConnectionRecord: Sendable {
        var node: NodeRef
        /// Set by `join`; messages reach a node only after it, since its `init` carries the state so far.
        var joined = false
    }

    /// One Client's access to one Resource through one Gateway.
    struct FlowKey: Hashable, Comparable, Sendable {
        var clientID: String
        var resourceID: String
        var gatewayID: String

        static func < (lhs: FlowKey, rhs: FlowKey) -> Bool {
            (lhs.clientID, lhs.resourceID, lhs.gatewayID) < (rhs.clientID, rhs.resourceID, rhs.gatewayID)
        }
    }

    /// An authorization sent to a Gateway (pending) or confirmed by it (active).
    struct FlowRecord: Sendable {
        var key: FlowKey
        var reference: String
        var presharedKey: PresharedKey
        /// The expiry the Gateway was last told.
        var expiresAt: UnixSeconds?
    }

    /// The policy in force.
    public internal(set) var policy: PolicyFile
    var random: any RandomNumberGenerator & Sendable
    var tokens: [NodeRole: [String: String]] = [:]
    var nodes: [NodeRef: NodeRecord] = [:]
    var connections: [ConnectionID: ConnectionRecord] = [:]
    var addressPool = TunnelAddressPool()
    var nextConnection: UInt64 = 1
    var nextReference: UInt64 = 1
    /// Authorizations the Gateways confirmed.
    var flows: [FlowKey: FlowRecord] = [:]
    /// Authorizations sent and not yet confirmed, by reference.
    var pending: [String: FlowRecord] = [:]
    /// The Resources each joined Client was last told it has, so changes are sent as differences.
    var toldResources: [String: [String: WireResource]] = [:]
    var outgoing = FIFO<(ConnectionID, ControlMessage)>()
    var closing = FIFO<ConnectionID>()
    var audit = FIFO<PortalAuditEvent>()

    /// A portal enforcing `policy`; `random` makes the preshared keys (inject a seeded one in tests).
    public init(policy: PolicyFile, random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.policy = policy
        self.random = random
        indexTokens()
    }

    // MARK: Outputs

    /// The next message to send, with the connection it goes to.
    public mutating func nextOutgoing() -> (ConnectionID, ControlMessage)? {
        outgoing.pop()
    }

    /// The next connection the server must close (replaced by a newer one, removed from the policy, or broken).
    public mutating func nextConnectionToClose() -> ConnectionID? {
        closing.pop()
    }

    /// The next audit trail entry, to be logged at info.
    public mutating func nextAuditEvent() -> PortalAuditEvent? {
        audit.pop()
    }

    // MARK: Inputs

    /// Authenticates a new connection by its bearer token; nil means refused (answer HTTP 401).
    ///
    /// A second connection of the same node replaces the first, which is queued for closing: a restarted
    /// node must not be locked out by the half-dead connection of its previous life.
    public mutating func connect(role: NodeRole, token: String) -> ConnectionID? {
        guard let id = tokens[role]?[token] else {
            record("connection refused", ["role": role.rawValue, "reason": "unknown token"])
            return nil
        }
        let node = NodeRef(role, id)
        if nodes[node] == nil {
            guard let index = addressPool.allocate() else {
                record("connection refused", [role.idField: id, "reason": "tunnel address pool exhausted"])
                return nil
            }
            nodes[node] = NodeRecord(addressIndex: index)
        }
        if let old = nodes[node]?.connection {
            record("connection replaced", [role.idField: id, "connection": String(old.rawValue)])
            close(old)
        }
        let connection = ConnectionID(rawValue: nextConnection)
        nextConnection += 1
        connections[connection] = ConnectionRecord(node: node)
        nodes[node]?.connection = connection
        record("node connected", [role.idField: id, "connection": String(connection.rawValue)])
        return connection
    }

    /// The node behind `connection`, if it is still open.
    public func node(for connection: ConnectionID) -> NodeRef? {
        connections[connection]?.node
    }

    /// Whether `token` is the admin API's token, compared in time independent of where they differ.
    public func isAdminToken(_ token: String) -> Bool {
        let expected = Array(policy.adminToken.utf8)
        let given = Array(token.utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in 0..<min(expected.count, given.count) { difference |= expected[index] ^ given[index] }
        return difference == 0
    }

    /// Handles one message a node sent; messages a role never sends are logged and ignored.
    public mutating func receive(_ message: ControlMessage, from connection: ConnectionID, now: UnixSeconds) {
        guard let record = connections[connection] else { return }
        let node = record.node
        audit.push(PortalAuditEvent(message: "control message received", fields: fields(message, node)))
        if case .join(let payload) = message {
            join(node, connection: connection, payload: payload, now: now)
            return
        }
        guard record.joined else {
            ignore(message, from: node, because: "the node has not sent join yet")
            return
        }
        switch (node.role, message) {
        case (.client, .createFlow(let payload)):
            createFlow(client: node.id, payload: payload, now: now)
        case (.gateway, .flowAuthorized(let payload)):
            flowAuthorized(gateway: node.id, reference: payload.reference)
        case (.gateway, .goodbye(let payload)):
            goodbye(gateway: node.id, client: payload.clientID)
        default:
            ignore(message, from: node, because: "a \(node.role.rawValue) does not send \(message.eventName)")
        }
    }

    /// The connection is gone (closed by the peer, or by the server after `nextConnectionToClose()`).
    public mutating func disconnect(_ connection: ConnectionID) {
        guard let node = connections[connection]?.node else { return }
        record("node disconnected", [node.role.idField: node.id, "connection": String(connection.rawValue)])
        drop(connection)
    }

    /// Moves time forward: Clients stop seeing Resources whose policy expired, and expired flows are
    /// forgotten (their Gateway sweeps them on its own).
    public mutating func tick(now: UnixSeconds) {
        for key in flows.keys.sorted() where flows[key]?.expiresAt.map({ $0 <= now }) ?? false {
            flows[key] = nil
        }
        for client in policy.clients { syncResources(client: client.id, now: now) }
    }

    /// The earliest policy expiry after `now`, when `tick(now:)` has something to do next.
    public func nextDeadline(after now: UnixSeconds) -> UnixSeconds? {
        policy.policies.compactMap(\.expiresAt).filter { $0 > now }.min()
    }

    // MARK: Helpers shared by the extensions

    mutating func indexTokens() {
        tokens = [
            .gateway: Dictionary(policy.gateways.map { ($0.token, $0.id) }, uniquingKeysWith: { first, _ in first }),
            .client: Dictionary(policy.clients.map { ($0.token, $0.id) }, uniquingKeysWith: { first, _ in first }),
        ]
    }

    func tunnelIPv4(_ node: NodeRef) -> IPv4Address? {
        nodes[node].map { TunnelAddressPool.ipv4($0.addressIndex) }
    }

    func tunnelIPv6(_ node: NodeRef) -> IPv6Address? {
        nodes[node].map { TunnelAddressPool.ipv6($0.addressIndex) }
    }

    /// The node's connection if it has joined; messages are sent only there.
    func joinedConnection(_ node: NodeRef) -> ConnectionID? {
        guard let connection = nodes[node]?.connection, connections[connection]?.joined == true else { return nil }
        return connection
    }

    /// Queues `message` for `node` if it is joined; returns whether it was queued.
    @discardableResult
    mutating func send(_ message: ControlMessage, to node: NodeRef) -> Bool {
        guard let connection = joinedConnection(node) else { return false }
        send(message, on: connection, node: node)
        return true
    }

    mutating func send(_ message: ControlMessage, on connection: ConnectionID, node: NodeRef) {
        outgoing.push((connection, message))
        audit.push(PortalAuditEvent(message: "control message sent", fields: fields(message, node)))
    }

    /// The message's audit fields plus the id of the node on the other end.
    func fields(_ message: ControlMessage, _ node: NodeRef) -> [String: String] {
        var fields = message.auditFields
        if fields[node.role.idField] == nil { fields[node.role.idField] = node.id }
        return fields
    }

    mutating func record(_ message: String, _ fields: [String: String]) {
        audit.push(PortalAuditEvent(message: message, fields: fields))
    }

    mutating func ignore(_ message: ControlMessage, from node: NodeRef, because reason: String) {
        var fields = fields(message, node)
        fields["reason"] = reason
        record("control message ignored", fields)
    }

    /// Queues `connection` for closing and forgets it at once, so nothing more is sent on it.
    mutating func close(_ connection: ConnectionID) {
        guard connections[connection] != nil else { return }
        closing.push(connection)
        drop(connection)
    }

    /// Forgets a connection; authorizations pending on a Gateway that left fail as offline.
    mutating func drop(_ connection: ConnectionID) {
        guard let record = connections.removeValue(forKey: connection) else { return }
        if nodes[record.node]?.connection == connection { nodes[record.node]?.connection = nil }
        outgoing.removeAll { $0.0 == connection }
        if record.node.role == .gateway { failPending(gateway: record.node.id, reason: .offline) }
    }

    /// A fresh 32-byte preshared key from the injected generator.
    mutating func makePresharedKey() -> PresharedKey {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = random.next()
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return PresharedKey(raw: Key32(bytes)!)
    }
}
