import ControlProtocol
import DataPlane

extension PortalState {
    /// Records the node's key (and a Gateway's endpoint) and answers `init` with everything it must know.
    mutating func join(_ node: NodeRef, connection: ConnectionID, payload: JoinPayload, now: UnixSeconds) {
        let previousKey = nodes[node]?.publicKey
        switch node.role {
        case .gateway:
            guard let endpoint = payload.endpoint else {
                record("connection closed", [
                    node.role.idField: node.id,
                    "reason": "gateway join without endpoint; start the gateway with --endpoint IP:PORT",
                ])
                close(connection)
                return
            }
            // A new key is a new Gateway instance: Clients' tunnels to the old one are useless.
            if let previousKey, previousKey != payload.publicKey { forgetFlows(gateway: node.id) }
            nodes[node]?.publicKey = payload.publicKey
            nodes[node]?.endpoint = endpoint
            connections[connection]?.joined = true
            let authorizations = flows.values.filter { $0.key.gatewayID == node.id }
                .sorted { $0.key < $1.key }
                .compactMap { authorization(for: $0) }
            guard let ipv4 = tunnelIPv4(node), let ipv6 = tunnelIPv6(node) else { return }
            let payload = GatewayInitPayload(
                gatewayID: node.id, tunnelIPv4: ipv4, tunnelIPv6: ipv6, authorizations: authorizations
            )
            send(.gatewayInit(payload), on: connection, node: node)
        case .client:
            // A new key is a new Client instance: Gateways must drop the peer they hold for the old one.
            if let previousKey, previousKey != payload.publicKey {
                revoke(where: { $0.clientID == node.id }, failPending: nil)
            }
            nodes[node]?.publicKey = payload.publicKey
            connections[connection]?.joined = true
            let resources = visibleResources(client: node.id, now: now)
            toldResources[node.id] = Dictionary(resources.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            guard let ipv4 = tunnelIPv4(node), let ipv6 = tunnelIPv6(node) else { return }
            let payload = ClientInitPayload(clientID: node.id, tunnelIPv4: ipv4, tunnelIPv6: ipv6, resources: resources)
            send(.clientInit(payload), on: connection, node: node)
        }
    }

    /// Checks the policy, picks a Gateway and asks it to authorize the flow; the Client hears back once the
    /// Gateway confirms (`flowAuthorized`) or at once if the request fails.
    mutating func createFlow(client: String, payload: CreateFlowPayload, now: UnixSeconds) {
        let resourceID = payload.resourceID
        func fail(_ reason: FlowFailureReason) {
            let failure = FlowCreationFailedPayload(resourceID: resourceID, reason: reason)
            send(.flowCreationFailed(failure), to: NodeRef(.client, client))
        }
        guard let resource = policy.resource(resourceID) else { return fail(.notFound) }
        guard let access = policy.policy(client: client, resource: resourceID), !access.isExpired(at: now) else {
            return fail(.forbidden)
        }
        let online = resource.gatewayIDs.filter(isReady(gateway:))
        guard let gateway = online.first(where: payload.connectedGatewayIDs.contains) ?? online.first else {
            return fail(.offline)
        }
        let key = FlowKey(clientID: client, resourceID: resourceID, gatewayID: gateway)
        let reference = String(nextReference)
        nextReference += 1
        let flow = FlowRecord(
            key: key, reference: reference, presharedKey: presharedKey(client: client, gateway: gateway),
            expiresAt: access.expiresAt
        )
        guard let authorization = authorization(for: flow) else { return fail(.offline) }
        pending[reference] = flow
        send(.authorizeFlow(authorization), to: NodeRef(.gateway, gateway))
    }

    /// The Gateway confirmed an authorization: the flow is active and the Client learns how to reach it.
    mutating func flowAuthorized(gateway: String, reference: String) {
        guard let flow = pending[reference], flow.key.gatewayID == gateway else {
            record("control message ignored", [
                "message_type": "flow_authorized", "gateway_id": gateway, "reference": reference,
                "reason": "no pending authorization with this reference for this gateway",
            ])
            return
        }
        pending[reference] = nil
        flows[flow.key] = flow
        for (key, other) in flows where key.clientID == flow.key.clientID && key.gatewayID == gateway {
            var updated = other
            updated.presharedKey = flow.presharedKey
            flows[key] = updated
        }
        let gatewayNode = NodeRef(.gateway, gateway)
        guard let record = nodes[gatewayNode], let publicKey = record.publicKey, let endpoint = record.endpoint,
              let ipv4 = tunnelIPv4(gatewayNode), let ipv6 = tunnelIPv6(gatewayNode)
        else { return }
        let created = FlowCreatedPayload(
            resourceID: flow.key.resourceID, gatewayID: gateway, gatewayPublicKey: publicKey, gatewayTunnelIPv4: ipv4,
            gatewayTunnelIPv6: ipv6, gatewayEndpoint: endpoint, presharedKey: flow.presharedKey
        )
        send(.flowCreated(created), to: NodeRef(.client, flow.key.clientID))
    }

    /// The Gateway dropped its last authorization for the Client and its peer; the Client must forget it too.
    mutating func goodbye(gateway: String, client: String) {
        for key in flows.keys where key.gatewayID == gateway && key.clientID == client { flows[key] = nil }
        send(.gatewayGoodbye(GatewayGoodbyePayload(gatewayID: gateway)), to: NodeRef(.client, client))
    }

    /// Tells every Gateway holding the Client's authorization for the Resource to drop it now; the policy stays,
    /// so the Client may ask again. Returns how many Gateways were told (0: none held it, or none is online).
    public mutating func rejectAccess(client: String, resource: String) -> Int {
        let told = revoke(where: { $0.clientID == client && $0.resourceID == resource }, failPending: nil)
        record("access rejected", ["client_id": client, "resource_id": resource, "gateways_told": String(told.count)])
        return told.count
    }

    // MARK: Helpers

    /// Whether `gateway` can take flows now: joined, with the key and endpoint Clients need.
    func isReady(gateway: String) -> Bool {
        let node = NodeRef(.gateway, gateway)
        guard joinedConnection(node) != nil, let record = nodes[node] else { return false }
        return record.publicKey != nil && record.endpoint != nil
    }

    /// A fresh key for every flow, as the issue asks.
    ///
    /// Both ends move their peer to the newest flow's key (the Gateway on `authorize_flow`, the Client on
    /// `flow_created`) and keep their sessions; `flowAuthorized` then records that key for every flow of the
    /// pair, so a Gateway's later `init` hands out the one key both ends hold.
    mutating func presharedKey(client: String, gateway: String) -> PresharedKey {
        makePresharedKey()
    }

    /// The `authorize_flow` payload for a flow under the current policy; nil if the Client's key or Resource
    /// is unknown.
    func authorization(for flow: FlowRecord) -> AuthorizeFlowPayload? {
        let client = NodeRef(.client, flow.key.clientID)
        guard let publicKey = nodes[client]?.publicKey, let ipv4 = tunnelIPv4(client), let ipv6 = tunnelIPv6(client),
              let resource = policy.resource(flow.key.resourceID)
        else { return nil }
        return AuthorizeFlowPayload(
            reference: flow.reference, clientID: flow.key.clientID, clientPublicKey: publicKey, clientTunnelIPv4: ipv4,
            clientTunnelIPv6: ipv6, presharedKey: flow.presharedKey, resource: resource.resource,
            expiresAt: flow.expiresAt
        )
    }

    /// Forgets every flow and pending authorization matching `matches`, sends `reject_access` to each joined
    /// Gateway concerned, and tells Clients with a pending request `failPending` if given.
    /// Returns the Gateways told.
    @discardableResult
    mutating func revoke(where matches: (FlowKey) -> Bool, failPending: FlowFailureReason?) -> Set<String> {
        var keys: Set<FlowKey> = []
        for key in flows.keys.sorted() where matches(key) {
            flows[key] = nil
            keys.insert(key)
        }
        for (reference, flow) in pending.sorted(by: { $0.key < $1.key }) where matches(flow.key) {
            pending[reference] = nil
            keys.insert(flow.key)
            if let reason = failPending {
                let failure = FlowCreationFailedPayload(resourceID: flow.key.resourceID, reason: reason)
                send(.flowCreationFailed(failure), to: NodeRef(.client, flow.key.clientID))
            }
        }
        var told: Set<String> = []
        for key in keys.sorted() {
            let reject = RejectAccessPayload(clientID: key.clientID, resourceID: key.resourceID)
            if send(.rejectAccess(reject), to: NodeRef(.gateway, key.gatewayID)) { told.insert(key.gatewayID) }
        }
        return told
    }

    /// Fails the authorizations still pending on `gateway`, telling their Clients `reason`.
    mutating func failPending(gateway: String, reason: FlowFailureReason) {
        for (reference, flow) in pending.sorted(by: { $0.key < $1.key }) where flow.key.gatewayID == gateway {
            pending[reference] = nil
            let failure = FlowCreationFailedPayload(resourceID: flow.key.resourceID, reason: reason)
            send(.flowCreationFailed(failure), to: NodeRef(.client, flow.key.clientID))
        }
    }

    /// Forgets everything held on `gateway` and tells each Client that had a flow there `gateway_goodbye`.
    mutating func forgetFlows(gateway: String) {
        failPending(gateway: gateway, reason: .offline)
        var clients: Set<String> = []
        for key in flows.keys where key.gatewayID == gateway {
            flows[key] = nil
            clients.insert(key.clientID)
        }
        for client in clients.sorted() {
            send(.gatewayGoodbye(GatewayGoodbyePayload(gatewayID: gateway)), to: NodeRef(.client, client))
        }
    }

    /// The Resources `client` may see at `now`, in policy file order.
    func visibleResources(client: String, now: UnixSeconds) -> [WireResource] {
        let allowed = Set(policy.policies.filter { $0.clientID == client && !$0.isExpired(at: now) }.map(\.resourceID))
        return policy.resources.filter { allowed.contains($0.id) }.map(\.resource)
    }

    /// Sends a joined Client what changed in its visible Resources since it was last told.
    mutating func syncResources(client: String, now: UnixSeconds) {
        let node = NodeRef(.client, client)
        guard joinedConnection(node) != nil else { return }
        let visible = visibleResources(client: client, now: now)
        let told = toldResources[client] ?? [:]
        let visibleIDs = Set(visible.map(\.id))
        for id in told.keys.sorted() where !visibleIDs.contains(id) {
            send(.resourceDeleted(ResourceDeletedPayload(resourceID: id)), to: node)
        }
        for resource in visible where told[resource.id] != resource {
            send(.resourceCreatedOrUpdated(ResourcePayload(resource: resource)), to: node)
        }
        toldResources[client] = Dictionary(visible.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
