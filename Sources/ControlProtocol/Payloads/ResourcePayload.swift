/// `resource_updated` (to Gateways) and `resource_created_or_updated` (to Clients): a Resource's current form.
public struct ResourcePayload: Hashable, Sendable {
    public var resource: WireResource

    public init(resource: WireResource) {
        self.resource = resource
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        resource = try reader.resource("resource")
    }

    var json: JSONValue {
        .object(["resource": resource.json])
    }
}
