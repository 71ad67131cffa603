/// `resource_deleted`: the Resource is gone from the Client's policy; drop its route.
public struct ResourceDeletedPayload: Hashable, Sendable {
    public var resourceID: String

    public init(resourceID: String) {
        self.resourceID = resourceID
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        resourceID = try reader.string("resource_id")
    }

    var json: JSONValue {
        .object(["resource_id": .string(resourceID)])
    }
}
