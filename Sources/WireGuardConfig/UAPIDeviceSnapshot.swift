import DataPlane

/// The device state a `get=1` response carries, as `wg show` and `wg showconf` read it.
///
/// The engine fills one in from its state; `getResponse` writes the exact text wireguard-go writes for
/// the same state, so `wg` output is identical whichever implementation runs the interface.
public struct UAPIDeviceSnapshot: Hashable, Sendable {
    /// The static private key; nil (omitted) when none is set.
    public var privateKey: PrivateKey?
    /// The bound UDP port; 0 (omitted) when not listening.
    public var listenPort: UInt16
    /// The mark on outgoing packets; 0 (omitted) when none.
    public var firewallMark: UInt32
    /// The peers, in the order they are reported.
    public var peers: [UAPIPeerSnapshot]

    /// A device snapshot.
    public init(privateKey: PrivateKey? = nil, listenPort: UInt16 = 0, firewallMark: UInt32 = 0,
                peers: [UAPIPeerSnapshot] = []) {
        self.privateKey = privateKey
        self.listenPort = listenPort
        self.firewallMark = firewallMark
        self.peers = peers
    }

    /// The full answer to `get=1`: device lines, each peer's lines, `errno=0` and a blank line.
    ///
    /// Field order and omissions follow wireguard-go: `private_key`, `listen_port` and `fwmark` only when
    /// set; per peer `public_key`, `preshared_key` (zeros when none), `protocol_version=1`, `endpoint`
    /// when known, handshake time, `tx_bytes`, `rx_bytes`, keepalive, then one `allowed_ip` per route.
    public var getResponse: String {
        var out = ""
        if let privateKey { out += "private_key=\(HexKey.encode(privateKey.raw))\n" }
        if listenPort != 0 { out += "listen_port=\(listenPort)\n" }
        if firewallMark != 0 { out += "fwmark=\(firewallMark)\n" }
        for peer in peers {
            out += "public_key=\(HexKey.encode(peer.publicKey.raw))\n"
            out += "preshared_key=\(HexKey.encode(peer.presharedKey?.raw ?? Key32(bytes: .zero)))\n"
            out += "protocol_version=1\n"
            if let endpoint = peer.endpoint { out += "endpoint=\(IPAddressText.format(endpoint))\n" }
            out += "last_handshake_time_sec=\(peer.lastHandshake?.unixSeconds ?? 0)\n"
            out += "last_handshake_time_nsec=\(peer.lastHandshake?.nanoseconds ?? 0)\n"
            out += "tx_bytes=\(peer.transmittedBytes)\n"
            out += "rx_bytes=\(peer.receivedBytes)\n"
            out += "persistent_keepalive_interval=\(peer.persistentKeepaliveInterval)\n"
            for network in peer.allowedIPs { out += "allowed_ip=\(IPAddressText.format(network))\n" }
        }
        return out + UAPIResponse.status(for: nil)
    }
}
