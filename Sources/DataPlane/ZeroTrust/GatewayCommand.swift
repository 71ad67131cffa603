/// A control-plane input of a Gateway (the portal's messages, decoded).
public enum GatewayCommand: Hashable, Sendable {
    /// `init`: our tunnel addresses and the complete list of authorizations; any other is dropped.
    case initialize(addresses: TunnelAddresses, authorizations: [FlowAuthorization])
    /// `authorize_flow`: answered by ``GatewayEvent/flowAuthorized(reference:client:resource:)``.
    case authorizeFlow(FlowAuthorization)
    /// `reject_access`: remove one authorization now.
    case rejectAccess(client: ClientID, resource: ResourceID)
    /// `access_authorization_expiry_updated`.
    case updateExpiry(client: ClientID, resource: ResourceID, expiresAt: UnixTime?)
    /// `resource_updated`: new filters (or name/address) for every Client that holds the Resource.
    case updateResource(ResourceDescription)
}

/// What a Gateway tells the control plane.
public enum GatewayEvent: Hashable, Sendable {
    /// `flow_authorized`: the authorization is in place.
    case flowAuthorized(reference: String, client: ClientID, resource: ResourceID)
    /// `goodbye`: the Client's last authorization went (rejected, expired, or left out of `init`); its peer is gone.
    case goodbye(client: ClientID)
    /// An authorization ended by itself (for the audit log; the portal is not told separately).
    case authorizationExpired(client: ClientID, resource: ResourceID)
}
