import WireGuardConfig

extension PortalState {
    /// The nodes and active flows, sorted so two snapshots of the same state compare and print alike.
    public func list() -> PortalSnapshot {
        let inPolicy = Set(
            policy.gateways.map { NodeRef(.gateway, $0.id) } + policy.clients.map { NodeRef(.client, $0.id) }
        )
        let nodeList = nodes.keys.filter(inPolicy.contains).sorted().compactMap { node -> PortalSnapshot.Node? in
            guard let record = nodes[node], let ipv4 = tunnelIPv4(node), let ipv6 = tunnelIPv6(node) else { return nil }
            return PortalSnapshot.Node(
                role: node.role, id: node.id, online: joinedConnection(node) != nil, tunnelIPv4: ipv4.description,
                tunnelIPv6: IPAddressText.format(ipv6), publicKey: record.publicKey?.raw.base64,
                endpoint: record.endpoint.map(IPAddressText.format)
            )
        }
        let flowList = flows.keys.sorted().map { key in
            PortalSnapshot.Flow(
                clientID: key.clientID, resourceID: key.resourceID, gatewayID: key.gatewayID,
                expiresAt: flows[key]?.expiresAt?.rawValue
            )
        }
        return PortalSnapshot(nodes: nodeList, flows: flowList)
    }
}
