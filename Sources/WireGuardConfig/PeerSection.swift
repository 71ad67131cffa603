import DataPlane

/// One `[Peer]` section: who the peer is, what it may send, and where to reach it.
public struct PeerSection: Equatable, Sendable {
    /// `PublicKey`: the peer's static public key; unique within a file.
    public var publicKey: PublicKey
    /// `PresharedKey`: the optional extra symmetric key; nil when absent.
    public var presharedKey: PresharedKey?
    /// `AllowedIPs`: networks routed to the peer, host bits cleared, in file order without duplicates.
    public var allowedIPs: [IPNetwork]
    /// `Endpoint`: where to send until the peer roams; a hostname is kept unresolved.
    public var endpoint: ConfigEndpoint?
    /// `PersistentKeepalive` in seconds; nil when absent, `off` or 0.
    public var persistentKeepalive: UInt16?
    /// The line of the `[Peer]` header, for messages about the section.
    public var line: Int
    /// The line of `PublicKey`, for messages about the key (`line` when not given).
    public var publicKeyLine: Int
    /// The line of `Endpoint`, for messages about it such as a name that does not resolve (`line` when
    /// not given).
    public var endpointLine: Int

    /// A peer section; only the public key is required.
    public init(publicKey: PublicKey, presharedKey: PresharedKey? = nil, allowedIPs: [IPNetwork] = [],
                endpoint: ConfigEndpoint? = nil, persistentKeepalive: UInt16? = nil, line: Int = 0,
                publicKeyLine: Int? = nil, endpointLine: Int? = nil) {
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.allowedIPs = allowedIPs
        self.endpoint = endpoint
        self.persistentKeepalive = persistentKeepalive
        self.line = line
        self.publicKeyLine = publicKeyLine ?? line
        self.endpointLine = endpointLine ?? line
    }
}
