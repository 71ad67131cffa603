/// `flow_creation_failed`: the portal refused or could not serve a `create_flow`.
public struct FlowCreationFailedPayload: Hashable, Sendable {
    public var resourceID: String
    public var reason: FlowFailureReason

    public init(resourceID: String, reason: FlowFailureReason) {
        self.resourceID = resourceID
        self.reason = reason
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        resourceID = try reader.string("resource_id")
        let text = try reader.string("reason")
        guard let reason = FlowFailureReason(rawValue: text) else {
            let known = FlowFailureReason.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw reader.invalid("reason", "unknown reason \"\(text)\"; expected one of \(known)")
        }
        self.reason = reason
    }

    var json: JSONValue {
        .object(["resource_id": .string(resourceID), "reason": .string(reason.rawValue)])
    }
}
