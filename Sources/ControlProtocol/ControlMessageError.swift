/// Why a text frame is not a control message; each case names the event and field at fault.
public enum ControlMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text exceeds `ControlMessage.maximumSize`.
    case tooLarge(bytes: Int, limit: Int)
    /// The text is not JSON.
    case notJSON(String)
    /// The JSON is not an object with an `"event"` string.
    case missingEvent
    /// The event name is not one this protocol defines.
    case unknownEvent(String)
    /// A required field is absent.
    case missingField(field: String, event: String)
    /// A field holds the wrong JSON type.
    case wrongType(field: String, event: String, expected: String, found: String)
    /// A field has the right type but an unusable value (an address, key, endpoint, filter or reason).
    case invalidValue(field: String, event: String, problem: String)
    /// An `init` payload with neither `gateway_id` nor `client_id`, so its recipient cannot be told.
    case ambiguousInit

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit):
            return "control message of \(bytes) bytes exceeds the \(limit)-byte limit"
        case .notJSON(let detail):
            return "control message is not valid JSON: \(detail)"
        case .missingEvent:
            return "control message has no \"event\" string; expected {\"event\": NAME, \"payload\": {...}}"
        case .unknownEvent(let name):
            return "unknown event \"\(name)\""
        case .missingField(let field, let event):
            return "missing field \(field) in event \(event)"
        case .wrongType(let field, let event, let expected, let found):
            return "field \(field) in event \(event) must be \(expected), found \(found)"
        case .invalidValue(let field, let event, let problem):
            return "field \(field) in event \(event): \(problem)"
        case .ambiguousInit:
            return "event init has neither gateway_id nor client_id"
        }
    }

    init(_ error: JSONFieldError, event: String) {
        switch error {
        case .missing(let path): self = .missingField(field: path, event: event)
        case .wrongType(let path, let expected, let found):
            self = .wrongType(field: path, event: event, expected: expected, found: found)
        }
    }
}
