/// The portal's `flow_created`: which Gateway serves a Resource, and how to reach it.
public struct FlowCreated: Hashable, Sendable {
    /// The Resource the flow was asked for.
    public var resource: ResourceID
    /// The chosen Gateway.
    public var gateway: GatewayID
    /// Its WireGuard key.
    public var gatewayPublicKey: PublicKey
    /// Its tunnel addresses (packets from them are accepted).
    public var gatewayAddresses: TunnelAddresses
    /// Where its WireGuard socket listens.
    public var gatewayEndpoint: Endpoint
    /// Fresh per flow; the peer's preshared key from now on.
    public var presharedKey: PresharedKey

    /// All fields.
    public init(resource: ResourceID, gateway: GatewayID, gatewayPublicKey: PublicKey,
                gatewayAddresses: TunnelAddresses, gatewayEndpoint: Endpoint, presharedKey: PresharedKey) {
        self.resource = resource
        self.gateway = gateway
        self.gatewayPublicKey = gatewayPublicKey
        self.gatewayAddresses = gatewayAddresses
        self.gatewayEndpoint = gatewayEndpoint
        self.presharedKey = presharedKey
    }
}

/// Why the portal could not create a flow.
public enum FlowCreationFailure: String, Hashable, Sendable {
    /// No Gateway of the Resource is connected: the Resource is marked offline.
    case offline
    /// The Resource does not exist (any more).
    case notFound = "not_found"
    /// No policy (or an expired one) lets this Client reach it.
    case forbidden
}

/// A control-plane input of a Client (the portal's messages, decoded).
public enum ClientCommand: Hashable, Sendable {
    /// `init`: our tunnel addresses and every Resource we may reach (the list replaces the old one).
    case initialize(addresses: TunnelAddresses, resources: [ResourceDescription])
    /// `resource_created_or_updated`.
    case upsertResource(ResourceDescription)
    /// `resource_deleted`.
    case removeResource(ResourceID)
    /// `flow_created`.
    case flowCreated(FlowCreated)
    /// `flow_creation_failed`.
    case flowCreationFailed(resource: ResourceID, reason: FlowCreationFailure)
    /// `gateway_goodbye`: that Gateway dropped us; its Resources need a new flow.
    case gatewayGoodbye(GatewayID)
}

/// What a Client tells the control plane.
public enum ClientEvent: Hashable, Sendable {
    /// `create_flow`.
    case createFlow(resource: ResourceID, connectedGateways: [GatewayID])
    /// A Gateway's "prohibited" for a Resource started a re-authorization (for the log).
    case reauthorizing(resource: ResourceID, gateway: GatewayID)
}
