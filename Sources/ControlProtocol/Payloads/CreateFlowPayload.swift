/// `create_flow`: a Client asks for access to a Resource, hinting which Gateways it already has tunnels to.
public struct CreateFlowPayload: Hashable, Sendable {
    public var resourceID: String
    /// Gateways the Client is connected to; the portal prefers one of them so no new tunnel is needed.
    public var connectedGatewayIDs: [String]

    public init(resourceID: String, connectedGatewayIDs: [String] = []) {
        self.resourceID = resourceID
        self.connectedGatewayIDs = connectedGatewayIDs
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        resourceID = try reader.string("resource_id")
        connectedGatewayIDs = try reader.strings("connected_gateway_ids")
    }

    var json: JSONValue {
        .object([
            "resource_id": .string(resourceID),
            "connected_gateway_ids": .array(connectedGatewayIDs.map(JSONValue.string)),
        ])
    }
}
