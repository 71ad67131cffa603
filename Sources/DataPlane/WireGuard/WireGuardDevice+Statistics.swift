extension AllowedIPs {
    /// Every network in the table, grouped by the value it routes to, in one pass.
    ///
    /// `networks(routedTo:)` scans the whole table for one value; calling it for each of thousands of peers
    /// is quadratic. The networks of one value come in the order `networks(routedTo:)` gives them.
    public func networksByValue() -> [ObjectIdentifier: [IPNetwork]] {
        var result: [ObjectIdentifier: [IPNetwork]] = [:]
        for length in v4Lengths {
            for (address, owner) in v4[length] ?? [:] {
                result[ObjectIdentifier(owner), default: []]
                    .append(IPNetwork(.v4(IPv4Address(value: address)), prefixLength: length)!)
            }
        }
        for length in v6Lengths {
            for (address, owner) in v6[length] ?? [:] {
                result[ObjectIdentifier(owner), default: []].append(IPNetwork(.v6(address), prefixLength: length)!)
            }
        }
        return result
    }
}

extension WireGuardDevice {
    /// What `wg show` reports for every peer (in no particular order), with one pass over the allowed-IPs
    /// table instead of one per peer, so a `get` of 20,000 peers does not stall the loop thread.
    public func allStatistics(now: MonotonicInstant) -> [WireGuardPeerStatistics] {
        let routes = allowedIPs.networksByValue()
        return peers.map { key, peer in
            WireGuardPeerStatistics(
                publicKey: key, presharedKey: peer.presharedKey, endpoint: peer.endpoint,
                lastHandshake: peer.lastHandshake, receivedBytes: peer.receivedBytes, sentBytes: peer.sentBytes,
                persistentKeepalive: peer.persistentKeepalive, allowedIPs: routes[ObjectIdentifier(peer)] ?? [],
                stagedPackets: peer.staged.count, hasSession: usableSendKeypair(peer, now: now) != nil)
        }
    }
}
