import DataPlane

/// `flow_created`: the Gateway that now admits the Client to the Resource, and how to reach it.
public struct FlowCreatedPayload: Hashable, Sendable {
    public var resourceID: String
    public var gatewayID: String
    public var gatewayPublicKey: PublicKey
    public var gatewayTunnelIPv4: IPv4Address
    public var gatewayTunnelIPv6: IPv6Address
    /// The address Clients dial, as the Gateway announced it in `join`.
    public var gatewayEndpoint: Endpoint
    public var presharedKey: PresharedKey

    public init(
        resourceID: String, gatewayID: String, gatewayPublicKey: PublicKey, gatewayTunnelIPv4: IPv4Address,
        gatewayTunnelIPv6: IPv6Address, gatewayEndpoint: Endpoint, presharedKey: PresharedKey
    ) {
        self.resourceID = resourceID
        self.gatewayID = gatewayID
        self.gatewayPublicKey = gatewayPublicKey
        self.gatewayTunnelIPv4 = gatewayTunnelIPv4
        self.gatewayTunnelIPv6 = gatewayTunnelIPv6
        self.gatewayEndpoint = gatewayEndpoint
        self.presharedKey = presharedKey
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        resourceID = try reader.string("resource_id")
        gatewayID = try reader.string("gateway_id")
        gatewayPublicKey = PublicKey(raw: try reader.key("gateway_public_key"))
        gatewayTunnelIPv4 = try reader.ipv4("gateway_tunnel_ipv4")
        gatewayTunnelIPv6 = try reader.ipv6("gateway_tunnel_ipv6")
        gatewayEndpoint = try reader.endpoint("gateway_endpoint")
        presharedKey = PresharedKey(raw: try reader.key("preshared_key"))
    }

    var json: JSONValue {
        .object([
            "resource_id": .string(resourceID),
            "gateway_id": .string(gatewayID),
            "gateway_public_key": gatewayPublicKey.raw.json,
            "gateway_tunnel_ipv4": gatewayTunnelIPv4.json,
            "gateway_tunnel_ipv6": gatewayTunnelIPv6.json,
            "gateway_endpoint": gatewayEndpoint.json,
            "preshared_key": presharedKey.raw.json,
        ])
    }
}
