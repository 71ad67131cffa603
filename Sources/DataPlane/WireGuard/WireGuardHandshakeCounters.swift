/// Handshake messages the device sent and accepted, for metrics.
///
/// Failures are not counted here: each failed message is a drop under its reason in ``WireGuardDropCounters``
/// (`handshake_authentication_failed`, `unknown_peer`, `replayed_timestamp`, ...).
public struct WireGuardHandshakeCounters: Equatable, Sendable {
    /// Initiations built and queued, retransmissions included.
    public var initiationsSent: UInt64 = 0
    /// Initiations that authenticated and were answered.
    public var initiationsReceived: UInt64 = 0
    /// Responses built and queued.
    public var responsesSent: UInt64 = 0
    /// Responses that authenticated and completed a handshake we started.
    public var responsesReceived: UInt64 = 0
    /// Cookie replies that decrypted and now stamp our next handshake message.
    public var cookieRepliesReceived: UInt64 = 0

    public init() {}
}
