import DataPlane

/// One reading of a tunnel's counters, taken on its loop thread and handed to a metrics exporter.
///
/// Plain numbers, so the exporter (on another thread) never touches the node; the packet path only bumps
/// integers it already owns, and the snapshot is taken when someone scrapes, not per packet.
public struct TunnelMetricsSnapshot: Sendable {
    /// The data-path worker this reading comes from (0 with one worker).
    public var worker: Int
    /// Descriptors, bytes and batches per direction.
    public var counters: TunnelCounters
    /// The engine's drops, by reason.
    public var drops: [(reason: WireGuardDropReason, count: UInt64)]
    /// Handshake messages sent and accepted.
    public var handshakes: WireGuardHandshakeCounters
    /// Cookie replies sent to strangers while under load.
    public var cookieRepliesSent: UInt64
    /// Configured peers.
    public var peers: Int
    /// Peers holding a keypair usable for sending.
    public var peersWithSession: Int
    /// Per-peer transfer counters for the busiest peers, at most the limit the scrape asked for.
    public var peerTransfers: [WireGuardPeerTransfer]

    public init(
        worker: Int, counters: TunnelCounters, drops: [(reason: WireGuardDropReason, count: UInt64)],
        handshakes: WireGuardHandshakeCounters, cookieRepliesSent: UInt64, peers: Int, peersWithSession: Int,
        peerTransfers: [WireGuardPeerTransfer]
    ) {
        self.worker = worker
        self.counters = counters
        self.drops = drops
        self.handshakes = handshakes
        self.cookieRepliesSent = cookieRepliesSent
        self.peers = peers
        self.peersWithSession = peersWithSession
        self.peerTransfers = peerTransfers
    }
}

extension WireGuardTunnel {
    /// Reads every counter the metrics exporter publishes; call on the loop thread (through the mailbox).
    ///
    /// - Parameter peerLimit: how many peers' byte counters to include, the busiest first (0: none), so a
    ///   Gateway with 10,000 Clients does not export 20,000 series unless asked to.
    public func metricsSnapshot(now: WireGuardTime, peerLimit: Int) -> TunnelMetricsSnapshot {
        let device = self.device
        var transfers: [WireGuardPeerTransfer] = []
        if peerLimit > 0 {
            transfers = device.peerTransfers()
            transfers.sort { ($0.receivedBytes &+ $0.sentBytes) > ($1.receivedBytes &+ $1.sentBytes) }
            if transfers.count > peerLimit { transfers.removeSubrange(peerLimit...) }
        }
        return TunnelMetricsSnapshot(
            worker: worker, counters: counters,
            drops: WireGuardDropReason.allCases.map { ($0, device.drops[$0]) },
            handshakes: device.handshakes, cookieRepliesSent: device.cookieRepliesQueued,
            peers: device.homePeerCount, peersWithSession: device.peersWithSessionCount(now: now.monotonic),
            peerTransfers: transfers)
    }
}
