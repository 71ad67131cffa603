import Tunnel
import WireGuardConfig

/// What other threads ask a node's loop thread to do.
public enum NodeRequest<Command: Sendable>: Sendable {
    /// A portal message for the node.
    case portal(Command)
    /// A `wg show` (or a refused `wg set`) through the UAPI socket.
    case uapi(UAPIRequest)
    /// A metrics scrape: the tunnel's counters and the byte counters of the `peerLimit` busiest peers.
    case metrics(peerLimit: Int)
    /// What `wg show` reports, as a snapshot: with several workers, each reports the peers living on it.
    case uapiSnapshot
}

extension NodeRequest: InterfaceControlRequest {}
