import DataPlane

/// `authorize_flow`: lets one Client reach one Resource through the receiving Gateway.
public struct AuthorizeFlowPayload: Hashable, Sendable {
    /// Echoed in `flow_authorized` so the portal can match the answer to this request.
    public var reference: String
    public var clientID: String
    public var clientPublicKey: PublicKey
    public var clientTunnelIPv4: IPv4Address
    public var clientTunnelIPv6: IPv6Address
    /// The flow's WireGuard preshared key, the same one the Client gets in `flow_created`.
    public var presharedKey: PresharedKey
    public var resource: WireResource
    /// When the authorization lapses; nil for never.
    public var expiresAt: UnixSeconds?

    public init(
        reference: String, clientID: String, clientPublicKey: PublicKey, clientTunnelIPv4: IPv4Address,
        clientTunnelIPv6: IPv6Address, presharedKey: PresharedKey, resource: WireResource, expiresAt: UnixSeconds?
    ) {
        self.reference = reference
        self.clientID = clientID
        self.clientPublicKey = clientPublicKey
        self.clientTunnelIPv4 = clientTunnelIPv4
        self.clientTunnelIPv6 = clientTunnelIPv6
        self.presharedKey = presharedKey
        self.resource = resource
        self.expiresAt = expiresAt
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        reference = try reader.string("reference")
        clientID = try reader.string("client_id")
        clientPublicKey = PublicKey(raw: try reader.key("client_public_key"))
        clientTunnelIPv4 = try reader.ipv4("client_tunnel_ipv4")
        clientTunnelIPv6 = try reader.ipv6("client_tunnel_ipv6")
        presharedKey = PresharedKey(raw: try reader.key("preshared_key"))
        resource = try reader.resource("resource")
        expiresAt = try reader.time("expires_at")
    }

    var json: JSONValue {
        .object([
            "reference": .string(reference),
            "client_id": .string(clientID),
            "client_public_key": clientPublicKey.raw.json,
            "client_tunnel_ipv4": clientTunnelIPv4.json,
            "client_tunnel_ipv6": clientTunnelIPv6.json,
            "preshared_key": presharedKey.raw.json,
            "resource": resource.json,
            "expires_at": expiresAt.json,
        ])
    }
}
