/// One line of the portal's audit trail: a message sent or received, or a connection event.
///
/// The server logs each at info with `fields` as the structured fields, which always include `message_type`
/// for control messages, plus `client_id` / `gateway_id` / `resource_id` where they apply.
public struct PortalAuditEvent: Hashable, Sendable, CustomStringConvertible {
    /// A short fixed text, e.g. "control message sent", so operators can grep for it.
    public var message: String
    public var fields: [String: String]

    public init(message: String, fields: [String: String]) {
        self.message = message
        self.fields = fields
    }

    public var description: String {
        let rendered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return rendered.isEmpty ? message : "\(message) \(rendered)"
    }
}
