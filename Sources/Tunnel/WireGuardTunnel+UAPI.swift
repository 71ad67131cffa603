import DataPlane
import WireGuardConfig

extension WireGuardTunnel {
    /// Answers one UAPI request (`get=1` or `set=1`) against the device, on the loop thread.
    ///
    /// `listenPort` is what the sockets are bound to: changing it at run time is refused (the sockets
    /// would have to be rebuilt under the running loop), as is a firewall mark, which this build does not
    /// apply; both answer with an errno the way wireguard-go reports what it cannot do.
    public func answerUAPI(_ request: UAPIRequest, now: WireGuardTime, listenPort: UInt16) -> String {
        switch request {
        case .get:
            return snapshot(now: now, listenPort: listenPort).getResponse
        case .set(let set):
            return apply(set, listenPort: listenPort)
        }
    }

    /// What `wg show` reports for this worker: the interface and the peers living here (all without a shard).
    public func snapshot(now: WireGuardTime, listenPort: UInt16) -> UAPIDeviceSnapshot {
        let zero = PresharedKey(raw: Key32(bytes: .zero))
        // Sorted by base64 key, each encoded once: thousands of peers must not cost a noticeable pause.
        let peers = device.allStatistics(now: now.monotonic).map { stats -> (String, UAPIPeerSnapshot) in
            let keepalive = stats.persistentKeepalive.map { UInt16(clamping: $0.components.seconds) } ?? 0
            return (stats.publicKey.raw.base64, UAPIPeerSnapshot(
                publicKey: stats.publicKey, presharedKey: stats.presharedKey == zero ? nil : stats.presharedKey,
                endpoint: stats.endpoint, lastHandshake: stats.lastHandshake, transmittedBytes: stats.sentBytes,
                receivedBytes: stats.receivedBytes, persistentKeepaliveInterval: keepalive,
                allowedIPs: stats.allowedIPs))
        }
        return UAPIDeviceSnapshot(privateKey: device.privateKey, listenPort: listenPort, firewallMark: 0,
                                  peers: peers.sorted { $0.0 < $1.0 }.map(\.1))
    }

    func apply(_ request: UAPISetRequest, listenPort: UInt16) -> String {
        for operation in request.deviceOperations {
            switch operation {
            case .privateKey(let key):
                if let key { device.setPrivateKey(key) }
            case .listenPort(let port):
                // EADDRINUSE is what wg reports sensibly: the port cannot move under a running loop.
                if port != listenPort && port != 0 { return "errno=-98\n\n" }
            case .firewallMark(let mark):
                if mark != 0 { return "errno=-95\n\n" }
            case .replacePeers:
                for key in device.peerPublicKeys { _ = device.removePeer(key) }
            }
        }
        let zero = PresharedKey(raw: Key32(bytes: .zero))
        for update in request.peers {
            if update.operations.contains(.remove) {
                _ = device.removePeer(update.publicKey)
                continue
            }
            let existing = device.statistics(for: update.publicKey, now: MonotonicInstant(nanoseconds: 0))
            if existing == nil && update.operations.contains(.updateOnly) { continue }
            var peer = WireGuardPeerConfiguration(publicKey: update.publicKey)
            if let existing {
                peer.presharedKey = existing.presharedKey
                peer.allowedIPs = existing.allowedIPs
                peer.endpoint = existing.endpoint
                peer.persistentKeepalive = existing.persistentKeepalive
            }
            for operation in update.operations {
                switch operation {
                case .remove, .updateOnly:
                    break
                case .presharedKey(let key):
                    peer.presharedKey = key ?? zero
                case .endpoint(let endpoint):
                    peer.endpoint = endpoint
                case .persistentKeepaliveInterval(let seconds):
                    peer.persistentKeepalive = seconds == 0 ? nil : .seconds(Int(seconds))
                case .replaceAllowedIPs:
                    peer.allowedIPs = []
                case .allowedIP(let network):
                    if !peer.allowedIPs.contains(network) { peer.allowedIPs.append(network) }
                case .protocolVersion(let version):
                    if version != 1 { return "errno=-22\n\n" }
                }
            }
            do {
                if existing == nil {
                    try device.addPeer(peer)
                } else {
                    try device.updatePeer(peer)
                }
            } catch {
                return "errno=-22\n\n"
            }
        }
        return "errno=0\n\n"
    }
}
