/// The portal's `authorize_flow`: let one Client reach one Resource through this Gateway.
public struct FlowAuthorization: Hashable, Sendable {
    /// Echoed in `flow_authorized` so the portal can tell the Client.
    public var reference: String
    /// Who is authorized.
    public var client: ClientID
    /// The Client's WireGuard key: it becomes (or already is) a peer.
    public var clientPublicKey: PublicKey
    /// The Client's tunnel addresses: the only sources it may use.
    public var clientAddresses: TunnelAddresses
    /// Fresh per flow; the peer's preshared key from now on.
    public var presharedKey: PresharedKey
    /// The Resource with its filters.
    public var resource: ResourceDescription
    /// When the authorization ends, if ever.
    public var expiresAt: UnixTime?

    /// All fields.
    public init(reference: String, client: ClientID, clientPublicKey: PublicKey, clientAddresses: TunnelAddresses,
                presharedKey: PresharedKey, resource: ResourceDescription, expiresAt: UnixTime?) {
        self.reference = reference
        self.client = client
        self.clientPublicKey = clientPublicKey
        self.clientAddresses = clientAddresses
        self.presharedKey = presharedKey
        self.resource = resource
        self.expiresAt = expiresAt
    }
}
