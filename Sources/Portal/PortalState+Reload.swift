import ControlProtocol

extension PortalState {
    /// Swaps in a new policy and tells every node what changed for it.
    ///
    /// Removed nodes are disconnected; authorizations whose policy, Resource or Gateway assignment is gone are
    /// rejected at their Gateways; changed Resources and expiries are pushed to the Gateways holding them; each
    /// Client hears which Resources appeared, changed or went. Tokens apply from the next connection on.
    public mutating func reload(_ newPolicy: PolicyFile, now: UnixSeconds) {
        let old = policy
        policy = newPolicy
        indexTokens()
        record("policy reloaded", [
            "gateways": String(newPolicy.gateways.count), "clients": String(newPolicy.clients.count),
            "resources": String(newPolicy.resources.count), "policies": String(newPolicy.policies.count),
        ])
        let gatewayIDs = Set(newPolicy.gateways.map(\.id))
        for gateway in old.gateways.map(\.id).sorted() where !gatewayIDs.contains(gateway) {
            forgetFlows(gateway: gateway)
            remove(NodeRef(.gateway, gateway))
        }
        let clientIDs = Set(newPolicy.clients.map(\.id))
        for client in old.clients.map(\.id).sorted() where !clientIDs.contains(client) {
            revoke(where: { $0.clientID == client }, failPending: nil)
            toldResources[client] = nil
            remove(NodeRef(.client, client))
        }
        revoke(where: { !Self.isAllowed($0, by: newPolicy) }, failPending: .forbidden)
        pushChanges(from: old)
        for client in newPolicy.clients { syncResources(client: client.id, now: now) }
    }

    /// Whether the policy still backs a flow: the pair's policy exists (expired or not: expiry is the
    /// Gateway's to enforce) and the Resource still lists the Gateway.
    static func isAllowed(_ key: FlowKey, by policy: PolicyFile) -> Bool {
        guard policy.policy(client: key.clientID, resource: key.resourceID) != nil,
              let resource = policy.resource(key.resourceID)
        else { return false }
        return resource.gatewayIDs.contains(key.gatewayID)
    }

    /// `resource_updated` and `access_authorization_expiry_updated` to the Gateways holding changed entries.
    mutating func pushChanges(from old: PolicyFile) {
        var updated: Set<[String]> = []
        let active = flows.values.map { (flow: $0, isPending: false) }
        let held = (active + pending.values.map { (flow: $0, isPending: true) })
            .sorted { ($0.flow.key, $0.flow.reference) < ($1.flow.key, $1.flow.reference) }
        for (flow, isPending) in held {
            let key = flow.key
            let gateway = NodeRef(.gateway, key.gatewayID)
            if let resource = policy.resource(key.resourceID),
               old.resource(key.resourceID)?.resource != resource.resource,
               updated.insert([key.gatewayID, key.resourceID]).inserted {
                send(.resourceUpdated(ResourcePayload(resource: resource.resource)), to: gateway)
            }
            let expiresAt = policy.policy(client: key.clientID, resource: key.resourceID)?.expiresAt
            guard expiresAt != flow.expiresAt else { continue }
            if isPending {
                pending[flow.reference]?.expiresAt = expiresAt
            } else {
                flows[key]?.expiresAt = expiresAt
            }
            let change = AccessAuthorizationExpiryUpdatedPayload(
                clientID: key.clientID, resourceID: key.resourceID, expiresAt: expiresAt
            )
            send(.accessAuthorizationExpiryUpdated(change), to: gateway)
        }
    }

    /// Closes a node's connection after it left the policy; its addresses stay reserved should it come back.
    mutating func remove(_ node: NodeRef) {
        guard let connection = nodes[node]?.connection else { return }
        record("connection closed", [node.role.idField: node.id, "reason": "removed from the policy"])
        close(connection)
    }
}
