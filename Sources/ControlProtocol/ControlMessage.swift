/// Every message between the portal and its nodes, one case per event of `docs/zero-trust.md`.
///
/// On the wire each is a WebSocket text frame holding `{"event": NAME, "payload": {...}}`; `encoded()` and
/// `decode(_:)` are the only way in and out, so the portal, Gateways and Clients cannot disagree on names.
public enum ControlMessage: Hashable, Sendable {
    /// Node to portal, first message of both roles.
    case join(JoinPayload)
    /// Portal to Gateway.
    case gatewayInit(GatewayInitPayload)
    /// Portal to Client.
    case clientInit(ClientInitPayload)
    /// Portal to Gateway.
    case authorizeFlow(AuthorizeFlowPayload)
    /// Gateway to portal.
    case flowAuthorized(FlowAuthorizedPayload)
    /// Portal to Gateway.
    case rejectAccess(RejectAccessPayload)
    /// Portal to Gateway.
    case accessAuthorizationExpiryUpdated(AccessAuthorizationExpiryUpdatedPayload)
    /// Portal to Gateway.
    case resourceUpdated(ResourcePayload)
    /// Gateway to portal.
    case goodbye(GoodbyePayload)
    /// Portal to Client.
    case resourceCreatedOrUpdated(ResourcePayload)
    /// Portal to Client.
    case resourceDeleted(ResourceDeletedPayload)
    /// Client to portal.
    case createFlow(CreateFlowPayload)
    /// Portal to Client.
    case flowCreated(FlowCreatedPayload)
    /// Portal to Client.
    case flowCreationFailed(FlowCreationFailedPayload)
    /// Portal to Client.
    case gatewayGoodbye(GatewayGoodbyePayload)

    /// The largest text `decode(_:)` accepts: 1 MiB, far above any real message (an `init` with a thousand
    /// authorizations is about 500 KiB), so a peer cannot make the reader hold arbitrary amounts.
    public static let maximumSize = 1 << 20

    /// Every event name the protocol defines.
    public static let eventNames: Set<String> = [
        "join", "init", "authorize_flow", "flow_authorized", "reject_access", "access_authorization_expiry_updated",
        "resource_updated", "goodbye", "resource_created_or_updated", "resource_deleted", "create_flow",
        "flow_created", "flow_creation_failed", "gateway_goodbye",
    ]

    /// The `event` name on the wire; both `init` cases share `"init"`.
    public var eventName: String {
        switch self {
        case .join: return "join"
        case .gatewayInit, .clientInit: return "init"
        case .authorizeFlow: return "authorize_flow"
        case .flowAuthorized: return "flow_authorized"
        case .rejectAccess: return "reject_access"
        case .accessAuthorizationExpiryUpdated: return "access_authorization_expiry_updated"
        case .resourceUpdated: return "resource_updated"
        case .goodbye: return "goodbye"
        case .resourceCreatedOrUpdated: return "resource_created_or_updated"
        case .resourceDeleted: return "resource_deleted"
        case .createFlow: return "create_flow"
        case .flowCreated: return "flow_created"
        case .flowCreationFailed: return "flow_creation_failed"
        case .gatewayGoodbye: return "gateway_goodbye"
        }
    }

    /// The audit trail's fields: `message_type` always, and `client_id`, `gateway_id`, `resource_id` (plus
    /// `reference` and `reason` where present) when the payload names them.
    ///
    /// Who sent or received the message is known only to the connection's owner, which adds the node's id.
    public var auditFields: [String: String] {
        var fields = ["message_type": eventName]
        switch self {
        case .join:
            break
        case .flowAuthorized(let payload):
            fields["reference"] = payload.reference
        case .gatewayInit(let payload):
            fields["gateway_id"] = payload.gatewayID
        case .clientInit(let payload):
            fields["client_id"] = payload.clientID
        case .authorizeFlow(let payload):
            fields["client_id"] = payload.clientID
            fields["resource_id"] = payload.resource.id
            fields["reference"] = payload.reference
        case .rejectAccess(let payload):
            fields["client_id"] = payload.clientID
            fields["resource_id"] = payload.resourceID
        case .accessAuthorizationExpiryUpdated(let payload):
            fields["client_id"] = payload.clientID
            fields["resource_id"] = payload.resourceID
        case .resourceUpdated(let payload), .resourceCreatedOrUpdated(let payload):
            fields["resource_id"] = payload.resource.id
        case .goodbye(let payload):
            fields["client_id"] = payload.clientID
        case .resourceDeleted(let payload):
            fields["resource_id"] = payload.resourceID
        case .createFlow(let payload):
            fields["resource_id"] = payload.resourceID
        case .flowCreated(let payload):
            fields["resource_id"] = payload.resourceID
            fields["gateway_id"] = payload.gatewayID
        case .flowCreationFailed(let payload):
            fields["resource_id"] = payload.resourceID
            fields["reason"] = payload.reason.rawValue
        case .gatewayGoodbye(let payload):
            fields["gateway_id"] = payload.gatewayID
        }
        return fields
    }

    /// The payload as a JSON tree.
    var payloadJSON: JSONValue {
        switch self {
        case .join(let payload): return payload.json
        case .gatewayInit(let payload): return payload.json
        case .clientInit(let payload): return payload.json
        case .authorizeFlow(let payload): return payload.json
        case .flowAuthorized(let payload): return payload.json
        case .rejectAccess(let payload): return payload.json
        case .accessAuthorizationExpiryUpdated(let payload): return payload.json
        case .resourceUpdated(let payload), .resourceCreatedOrUpdated(let payload): return payload.json
        case .goodbye(let payload): return payload.json
        case .resourceDeleted(let payload): return payload.json
        case .createFlow(let payload): return payload.json
        case .flowCreated(let payload): return payload.json
        case .flowCreationFailed(let payload): return payload.json
        case .gatewayGoodbye(let payload): return payload.json
        }
    }

    /// The message as one line of JSON, `{"event":NAME,"payload":{...}}`, ready for a text frame.
    public func encoded() -> String {
        JSONValue.object(["event": .string(eventName), "payload": payloadJSON]).text
    }

    /// Parses one text frame; fields beyond those the protocol defines are ignored.
    public static func decode(_ text: String) throws(ControlMessageError) -> ControlMessage {
        let size = text.utf8.count
        guard size <= maximumSize else { throw .tooLarge(bytes: size, limit: maximumSize) }
        let document: JSONValue
        do {
            document = try JSONValue.parse(text.utf8)
        } catch {
            throw .notJSON(error.detail)
        }
        guard case .object(let envelope) = document, case .string(let event)? = envelope["event"] else {
            throw .missingEvent
        }
        guard eventNames.contains(event) else { throw .unknownEvent(event) }
        let payload: JSONObjectReader
        do {
            // Field paths start inside the payload: "missing field client_id", not "payload.client_id".
            let checked = try JSONObjectReader(envelope["payload"] ?? .null, path: "payload")
            payload = JSONObjectReader(fields: checked.fields, path: "")
        } catch {
            throw ControlMessageError(error, event: event)
        }
        return try decode(event: event, payload: PayloadReader(event: event, object: payload))
    }

    private static func decode(event: String, payload: PayloadReader) throws(ControlMessageError) -> ControlMessage {
        switch event {
        case "join": return .join(try JoinPayload(reading: payload))
        case "init":
            if payload.object.value("gateway_id") != nil {
                return .gatewayInit(try GatewayInitPayload(reading: payload))
            }
            if payload.object.value("client_id") != nil {
                return .clientInit(try ClientInitPayload(reading: payload))
            }
            throw .ambiguousInit
        case "authorize_flow": return .authorizeFlow(try AuthorizeFlowPayload(reading: payload))
        case "flow_authorized": return .flowAuthorized(try FlowAuthorizedPayload(reading: payload))
        case "reject_access": return .rejectAccess(try RejectAccessPayload(reading: payload))
        case "access_authorization_expiry_updated":
            return .accessAuthorizationExpiryUpdated(try AccessAuthorizationExpiryUpdatedPayload(reading: payload))
        case "resource_updated": return .resourceUpdated(try ResourcePayload(reading: payload))
        case "goodbye": return .goodbye(try GoodbyePayload(reading: payload))
        case "resource_created_or_updated": return .resourceCreatedOrUpdated(try ResourcePayload(reading: payload))
        case "resource_deleted": return .resourceDeleted(try ResourceDeletedPayload(reading: payload))
        case "create_flow": return .createFlow(try CreateFlowPayload(reading: payload))
        case "flow_created": return .flowCreated(try FlowCreatedPayload(reading: payload))
        case "flow_creation_failed": return .flowCreationFailed(try FlowCreationFailedPayload(reading: payload))
        case "gateway_goodbye": return .gatewayGoodbye(try GatewayGoodbyePayload(reading: payload))
        default: throw .unknownEvent(event)
        }
    }
}
