/// `reject_access`: the Gateway must drop one Client's authorization to one Resource now.
public struct RejectAccessPayload: Hashable, Sendable {
    public var clientID: String
    public var resourceID: String

    public init(clientID: String, resourceID: String) {
        self.clientID = clientID
        self.resourceID = resourceID
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        clientID = try reader.string("client_id")
        resourceID = try reader.string("resource_id")
    }

    var json: JSONValue {
        .object(["client_id": .string(clientID), "resource_id": .string(resourceID)])
    }
}
