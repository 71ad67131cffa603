import DataPlane

/// `init` to a Gateway: its identity, tunnel addresses and the complete list of authorizations to keep.
public struct GatewayInitPayload: Hashable, Sendable {
    public var gatewayID: String
    public var tunnelIPv4: IPv4Address
    public var tunnelIPv6: IPv6Address
    /// Every authorization the portal holds for this Gateway; the Gateway drops any other.
    public var authorizations: [AuthorizeFlowPayload]

    public init(
        gatewayID: String, tunnelIPv4: IPv4Address, tunnelIPv6: IPv6Address, authorizations: [AuthorizeFlowPayload]
    ) {
        self.gatewayID = gatewayID
        self.tunnelIPv4 = tunnelIPv4
        self.tunnelIPv6 = tunnelIPv6
        self.authorizations = authorizations
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        gatewayID = try reader.string("gateway_id")
        tunnelIPv4 = try reader.ipv4("tunnel_ipv4")
        tunnelIPv6 = try reader.ipv6("tunnel_ipv6")
        let objects = try reader.wrap { () throws(JSONFieldError) in
            try reader.object.objects("authorizations", required: false)
        }
        var authorizations: [AuthorizeFlowPayload] = []
        for object in objects {
            authorizations.append(try AuthorizeFlowPayload(reading: PayloadReader(event: reader.event, object: object)))
        }
        self.authorizations = authorizations
    }

    var json: JSONValue {
        .object([
            "gateway_id": .string(gatewayID),
            "tunnel_ipv4": tunnelIPv4.json,
            "tunnel_ipv6": tunnelIPv6.json,
            "authorizations": .array(authorizations.map(\.json)),
        ])
    }
}
