import ControlProtocol
import Logging

/// The audit trail: every control message a node or the portal sends or receives, as one info line with
/// `message_type` and the ids it names, so an operator can grep who was let in where and when.
public enum AuditLog {
    /// Logs `message` as sent or received by this process; `extra` adds the process's own id.
    public static func record(_ message: ControlMessage, direction: Direction, logger: Logger,
                              extra: [String: String] = [:]) {
        var metadata: Logger.Metadata = ["direction": "\(direction.rawValue)"]
        for (key, value) in message.auditFields { metadata[key] = "\(value)" }
        for (key, value) in extra where metadata[key] == nil { metadata[key] = "\(value)" }
        logger.info("control message", metadata: metadata)
    }

    /// Which way a message went.
    public enum Direction: String, Sendable {
        case sent
        case received
    }
}
