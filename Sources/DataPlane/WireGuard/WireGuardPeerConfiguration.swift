/// Everything an operator sets for one peer, as `wg set` takes it.
public struct WireGuardPeerConfiguration: Sendable {
    /// The peer's static X25519 public key; identifies the peer.
    public var publicKey: PublicKey
    /// Mixed into every handshake with this peer; all zeros when unused, as in WireGuard.
    public var presharedKey: PresharedKey
    /// Networks the peer may use as source, and that route to it.
    public var allowedIPs: [IPNetwork]
    /// Where to send until the peer is heard from; roaming replaces it.
    public var endpoint: Endpoint?
    /// Send a keepalive after this long without sending anything; nil disables it.
    public var persistentKeepalive: Duration?

    /// A peer configuration; only the public key is required.
    public init(publicKey: PublicKey, presharedKey: PresharedKey = PresharedKey(raw: Key32(bytes: .zero)),
                allowedIPs: [IPNetwork] = [], endpoint: Endpoint? = nil, persistentKeepalive: Duration? = nil) {
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.allowedIPs = allowedIPs
        self.endpoint = endpoint
        self.persistentKeepalive = persistentKeepalive
    }
}

/// What `wg show` reports about a peer.
public struct WireGuardPeerStatistics: Equatable, Sendable {
    /// The peer's public key.
    public var publicKey: PublicKey
    /// The configured preshared key (all zero when none); `wg showconf` prints it.
    public var presharedKey: PresharedKey
    /// The latest endpoint, configured or learned from authenticated packets.
    public var endpoint: Endpoint?
    /// Wall-clock time of the last completed handshake, nil if none.
    public var lastHandshake: WallClockTime?
    /// Bytes of authenticated WireGuard datagrams received from the peer.
    public var receivedBytes: UInt64
    /// Bytes of WireGuard datagrams sent to the peer.
    public var sentBytes: UInt64
    /// The configured persistent keepalive interval.
    public var persistentKeepalive: Duration?
    /// The allowed IPs currently routed to the peer.
    public var allowedIPs: [IPNetwork]
    /// Packets waiting for a handshake to complete.
    public var stagedPackets: Int
    /// Whether a keypair usable for sending exists.
    public var hasSession: Bool
}
