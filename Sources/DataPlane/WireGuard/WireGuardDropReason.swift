/// Why the engine dropped a datagram or packet, for counters and debugging.
///
/// Every input that is not turned into output is counted under exactly one reason, so an operator can
/// tell an attack (bad MACs, replays) from a misconfiguration (no route, disallowed source).
public enum WireGuardDropReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// Wrong length, unknown type or non-zero reserved bytes.
    case malformedMessage
    /// MAC1 did not match our public key: not meant for us, or altered.
    case invalidMAC1
    /// Under load and without a valid MAC2: answered with a cookie reply instead of processed.
    case cookieRequired
    /// Under load, and the message was a cookie reply or response we could not afford to process.
    case rateLimited
    /// A handshake message failed to decrypt or authenticate.
    case handshakeAuthenticationFailed
    /// A valid initiation from a public key that is not a configured peer.
    case unknownPeer
    /// An initiation whose timestamp is not newer than the last one accepted from that peer.
    case replayedTimestamp
    /// An initiation arriving sooner after the previous one than the flood limit allows.
    case initiationFlood
    /// A response, cookie reply or data message for a receiver index we do not have.
    case unknownReceiverIndex
    /// A cookie reply that did not decrypt.
    case invalidCookieReply
    /// Transport data whose tag did not verify.
    case decryptionFailed
    /// Transport data with a counter already seen or behind the replay window.
    case replayedCounter
    /// Transport data on a keypair older than REJECT_AFTER_TIME, or at the message limit.
    case keypairExpired
    /// A decrypted payload that is not a well-formed IPv4 or IPv6 packet.
    case invalidInnerPacket
    /// A decrypted packet whose source address is not in the sending peer's allowed IPs.
    case disallowedSource
    /// An outgoing packet whose destination matches no peer's allowed IPs, or addressed to a peer id
    /// that names no peer (any more).
    case noRoute
    /// An outgoing packet for a peer with no known endpoint.
    case noEndpoint
    /// The caller's buffer lacked the headroom or tailroom needed to encapsulate in place.
    case insufficientBufferSpace
    /// A packet staged during a handshake was pushed out by a newer one (queue full).
    case stagedQueueOverflow
    /// Staged packets discarded because the handshake was given up.
    case handshakeTimedOut
    /// Zero-trust layer: no access authorization (or its filters) lets the packet through.
    case notAuthorized
    /// Zero-trust layer (Client): held while a flow for its Resource is requested.
    case awaitingFlow

    /// The reason in snake case, as counters are named in logs and metrics.
    public var description: String {
        switch self {
        case .malformedMessage: return "malformed_message"
        case .invalidMAC1: return "invalid_mac1"
        case .cookieRequired: return "cookie_required"
        case .rateLimited: return "rate_limited"
        case .handshakeAuthenticationFailed: return "handshake_authentication_failed"
        case .unknownPeer: return "unknown_peer"
        case .replayedTimestamp: return "replayed_timestamp"
        case .initiationFlood: return "initiation_flood"
        case .unknownReceiverIndex: return "unknown_receiver_index"
        case .invalidCookieReply: return "invalid_cookie_reply"
        case .decryptionFailed: return "decryption_failed"
        case .replayedCounter: return "replayed_counter"
        case .keypairExpired: return "keypair_expired"
        case .invalidInnerPacket: return "invalid_inner_packet"
        case .disallowedSource: return "disallowed_source"
        case .noRoute: return "no_route"
        case .noEndpoint: return "no_endpoint"
        case .insufficientBufferSpace: return "insufficient_buffer_space"
        case .stagedQueueOverflow: return "staged_queue_overflow"
        case .handshakeTimedOut: return "handshake_timed_out"
        case .notAuthorized: return "not_authorized"
        case .awaitingFlow: return "awaiting_flow"
        }
    }
}

/// How many inputs were dropped, per reason.
///
/// Stored in a fixed array allocated once, so counting a drop on the packet path never allocates.
public struct WireGuardDropCounters: Sendable {
    @usableFromInline var counts: [UInt64]

    /// All counters at zero.
    public init() {
        counts = [UInt64](repeating: 0, count: WireGuardDropReason.allCases.count)
    }

    /// The number of drops for `reason`.
    @inlinable
    public subscript(reason: WireGuardDropReason) -> UInt64 {
        counts[reason.rawValue]
    }

    /// Every drop counted so far, all reasons together.
    public var total: UInt64 { counts.reduce(0, +) }

    @inlinable
    mutating func record(_ reason: WireGuardDropReason, count: UInt64 = 1) {
        counts[reason.rawValue] &+= count
    }
}
