extension WireGuardDevice {
    /// What `wg show` reports for every peer (in no particular order), with one pass over the allowed-IPs
    /// table instead of one per peer, so a `get` of 20,000 peers does not stall the loop thread. With a
    /// shard, only the peers living on this worker: the others' state is on theirs.
    public func allStatistics(now: MonotonicInstant) -> [WireGuardPeerStatistics] {
        let routes = allowedIPs.networksByValue()
        return peers.values.filter { $0.home == worker }.map {
            statistics(of: $0, allowedIPs: routes[ObjectIdentifier($0)] ?? [], now: now)
        }
    }

    func statistics(of peer: Peer, allowedIPs: [IPNetwork], now: MonotonicInstant) -> WireGuardPeerStatistics {
        WireGuardPeerStatistics(
            publicKey: peer.publicKey, presharedKey: peer.presharedKey, endpoint: peer.endpoint,
            lastHandshake: peer.lastHandshake, receivedBytes: peer.receivedBytes, sentBytes: peer.sentBytes,
            persistentKeepalive: peer.persistentKeepalive, allowedIPs: allowedIPs,
            stagedPackets: peer.staged.count, hasSession: usableSendKeypair(peer, now: now) != nil)
    }

    /// How many peers hold a keypair usable for sending now: peers "with a current session".
    public func peersWithSessionCount(now: MonotonicInstant) -> Int {
        var count = 0
        for peer in peers.values where usableSendKeypair(peer, now: now) != nil { count += 1 }
        return count
    }

    /// How many peers live on this worker: all of them without a shard.
    public var homePeerCount: Int {
        shard == nil ? peers.count : peers.values.reduce(0) { $0 + ($1.home == worker ? 1 : 0) }
    }

    /// Each peer's transfer counters, the bytes `wg show` reports, without building full statistics.
    public func peerTransfers() -> [WireGuardPeerTransfer] {
        peers.values.filter { $0.home == worker }.map {
            WireGuardPeerTransfer(publicKey: $0.publicKey, receivedBytes: $0.receivedBytes, sentBytes: $0.sentBytes)
        }
    }
}

/// A peer's byte counters, as `wg show` reports them.
public struct WireGuardPeerTransfer: Equatable, Sendable {
    public var publicKey: PublicKey
    /// Bytes of authenticated WireGuard datagrams received from the peer.
    public var receivedBytes: UInt64
    /// Bytes of WireGuard datagrams sent to the peer.
    public var sentBytes: UInt64

    public init(publicKey: PublicKey, receivedBytes: UInt64, sentBytes: UInt64) {
        self.publicKey = publicKey
        self.receivedBytes = receivedBytes
        self.sentBytes = sentBytes
    }
}
