extension WireGuardDevice {
    /// What `wg show` reports for every peer (in no particular order), with one pass over the allowed-IPs
    /// table instead of one per peer, so a `get` of 20,000 peers does not stall the loop thread.
    public func allStatistics(now: MonotonicInstant) -> [WireGuardPeerStatistics] {
        let routes = allowedIPs.networksByValue()
        return peers.values.map { statistics(of: $0, allowedIPs: routes[ObjectIdentifier($0)] ?? [], now: now) }
    }

    func statistics(of peer: Peer, allowedIPs: [IPNetwork], now: MonotonicInstant) -> WireGuardPeerStatistics {
        WireGuardPeerStatistics(
            publicKey: peer.publicKey, presharedKey: peer.presharedKey, endpoint: peer.endpoint,
            lastHandshake: peer.lastHandshake, receivedBytes: peer.receivedBytes, sentBytes: peer.sentBytes,
            persistentKeepalive: peer.persistentKeepalive, allowedIPs: allowedIPs,
            stagedPackets: peer.staged.count, hasSession: usableSendKeypair(peer, now: now) != nil)
    }
}
