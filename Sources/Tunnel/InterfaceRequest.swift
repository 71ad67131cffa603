import DataPlane
import WireGuardConfig

/// What other threads ask of a running interface's loop through its control mailbox.
public enum InterfaceRequest: Sendable {
    /// A `wg` request on the UAPI socket.
    case uapi(UAPIRequest)
    /// A metrics scrape: every counter, plus the byte counters of the `peerLimit` busiest peers.
    case metrics(peerLimit: Int)
    /// What `wg show` reports, as a snapshot: with several workers, each reports the peers living on it.
    case uapiSnapshot
}

/// The loop's answer to an ``InterfaceRequest``.
public enum InterfaceAnswer: Sendable {
    /// The UAPI response text (also what a closed mailbox answers).
    case uapi(String)
    case metrics(TunnelMetricsSnapshot)
    case uapiSnapshot(UAPIDeviceSnapshot)
}

extension WireGuardTunnel {
    /// Answers one request on the loop thread; a plain interface's UAPI is read-write.
    public func answer(_ request: InterfaceRequest, now: WireGuardTime, listenPort: UInt16) -> InterfaceAnswer {
        switch request {
        case .uapi(let uapi): return .uapi(answerUAPI(uapi, now: now, listenPort: listenPort))
        case .metrics(let limit): return .metrics(metricsSnapshot(now: now, peerLimit: limit))
        case .uapiSnapshot: return .uapiSnapshot(snapshot(now: now, listenPort: listenPort))
        }
    }
}
