/// `gateway_goodbye`: that Gateway closed the connection; forget the peer.
public struct GatewayGoodbyePayload: Hashable, Sendable {
    public var gatewayID: String

    public init(gatewayID: String) {
        self.gatewayID = gatewayID
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        gatewayID = try reader.string("gateway_id")
    }

    var json: JSONValue {
        .object(["gateway_id": .string(gatewayID)])
    }
}
