/// `flow_authorized`: the Gateway accepted the `authorize_flow` with this reference.
public struct FlowAuthorizedPayload: Hashable, Sendable {
    public var reference: String

    public init(reference: String) {
        self.reference = reference
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        reference = try reader.string("reference")
    }

    var json: JSONValue {
        .object(["reference": .string(reference)])
    }
}
