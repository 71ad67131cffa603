/// `goodbye`: the Gateway dropped the Client's last authorization and its WireGuard peer.
public struct GoodbyePayload: Hashable, Sendable {
    public var clientID: String

    public init(clientID: String) {
        self.clientID = clientID
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        clientID = try reader.string("client_id")
    }

    var json: JSONValue {
        .object(["client_id": .string(clientID)])
    }
}
