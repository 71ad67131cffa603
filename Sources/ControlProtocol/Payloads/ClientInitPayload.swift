import DataPlane

/// `init` to a Client: its identity, tunnel addresses and the Resources its policies allow now.
public struct ClientInitPayload: Hashable, Sendable {
    public var clientID: String
    public var tunnelIPv4: IPv4Address
    public var tunnelIPv6: IPv6Address
    /// The Resources the Client may ask flows for; it routes exactly these into the tunnel.
    public var resources: [WireResource]

    public init(clientID: String, tunnelIPv4: IPv4Address, tunnelIPv6: IPv6Address, resources: [WireResource]) {
        self.clientID = clientID
        self.tunnelIPv4 = tunnelIPv4
        self.tunnelIPv6 = tunnelIPv6
        self.resources = resources
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        clientID = try reader.string("client_id")
        tunnelIPv4 = try reader.ipv4("tunnel_ipv4")
        tunnelIPv6 = try reader.ipv6("tunnel_ipv6")
        resources = try reader.resources("resources")
    }

    var json: JSONValue {
        .object([
            "client_id": .string(clientID),
            "tunnel_ipv4": tunnelIPv4.json,
            "tunnel_ipv6": tunnelIPv6.json,
            "resources": .array(resources.map(\.json)),
        ])
    }
}
