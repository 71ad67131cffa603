import DataPlane

/// What a `get=1` response reports about one peer.
public struct UAPIPeerSnapshot: Hashable, Sendable {
    /// The peer's static public key.
    public var publicKey: PublicKey
    /// The preshared key, nil when none (sent as all zeros).
    public var presharedKey: PresharedKey?
    /// The current endpoint, configured or learned; omitted from the response when nil.
    public var endpoint: Endpoint?
    /// Wall-clock time of the last completed handshake; nil (sent as 0 and 0) if none yet.
    public var lastHandshake: WallClockTime?
    /// Bytes sent to the peer.
    public var transmittedBytes: UInt64
    /// Bytes received from the peer.
    public var receivedBytes: UInt64
    /// Persistent keepalive interval in seconds; 0 when off.
    public var persistentKeepaliveInterval: UInt16
    /// Networks routed to the peer.
    public var allowedIPs: [IPNetwork]

    /// A peer snapshot; only the public key is required.
    public init(publicKey: PublicKey, presharedKey: PresharedKey? = nil, endpoint: Endpoint? = nil,
                lastHandshake: WallClockTime? = nil, transmittedBytes: UInt64 = 0, receivedBytes: UInt64 = 0,
                persistentKeepaliveInterval: UInt16 = 0, allowedIPs: [IPNetwork] = []) {
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.endpoint = endpoint
        self.lastHandshake = lastHandshake
        self.transmittedBytes = transmittedBytes
        self.receivedBytes = receivedBytes
        self.persistentKeepaliveInterval = persistentKeepaliveInterval
        self.allowedIPs = allowedIPs
    }
}
