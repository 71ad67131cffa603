import DataPlane

/// Translations between the portal's wire messages and the nodes' typed commands and events.
///
/// The wire keeps ids as strings and filters as `WireFilter`; the data plane has typed ids and `FilterSet`.
/// Keeping the mapping here lets both sides evolve without depending on each other.
public enum ControlMapping {
    /// A wire Resource as the data plane sees it.
    public static func resource(_ wire: WireResource) -> ResourceDescription {
        ResourceDescription(id: ResourceID(wire.id), name: wire.name, address: wire.address,
                            filters: FilterSet(wire.filters.map(filter)))
    }

    static func filter(_ wire: WireFilter) -> Filter {
        switch wire {
        case .tcp(let ports): return .tcp(ports)
        case .udp(let ports): return .udp(ports)
        case .icmp: return .icmp
        }
    }

    static func expiry(_ seconds: UnixSeconds?) -> UnixTime? {
        seconds.map { UnixTime(seconds: $0.rawValue) }
    }

    static func authorization(_ payload: AuthorizeFlowPayload) -> FlowAuthorization {
        FlowAuthorization(
            reference: payload.reference, client: ClientID(payload.clientID), clientPublicKey: payload.clientPublicKey,
            clientAddresses: TunnelAddresses(ipv4: payload.clientTunnelIPv4, ipv6: payload.clientTunnelIPv6),
            presharedKey: payload.presharedKey, resource: resource(payload.resource),
            expiresAt: expiry(payload.expiresAt))
    }

    /// The Gateway command a message carries, or nil for messages a Gateway does not take.
    public static func gatewayCommand(_ message: ControlMessage) -> GatewayCommand? {
        switch message {
        case .gatewayInit(let payload):
            return .initialize(addresses: TunnelAddresses(ipv4: payload.tunnelIPv4, ipv6: payload.tunnelIPv6),
                               authorizations: payload.authorizations.map(authorization))
        case .authorizeFlow(let payload):
            return .authorizeFlow(authorization(payload))
        case .rejectAccess(let payload):
            return .rejectAccess(client: ClientID(payload.clientID), resource: ResourceID(payload.resourceID))
        case .accessAuthorizationExpiryUpdated(let payload):
            return .updateExpiry(client: ClientID(payload.clientID), resource: ResourceID(payload.resourceID),
                                 expiresAt: expiry(payload.expiresAt))
        case .resourceUpdated(let payload):
            return .updateResource(resource(payload.resource))
        default:
            return nil
        }
    }

    /// The wire message for a Gateway event, or nil for events only logged.
    public static func message(_ event: GatewayEvent) -> ControlMessage? {
        switch event {
        case .flowAuthorized(let reference, _, _):
            return .flowAuthorized(FlowAuthorizedPayload(reference: reference))
        case .goodbye(let client):
            return .goodbye(GoodbyePayload(clientID: client.rawValue))
        case .authorizationExpired:
            return nil
        }
    }

    /// The Client command a message carries, or nil for messages a Client does not take.
    public static func clientCommand(_ message: ControlMessage) -> ClientCommand? {
        switch message {
        case .clientInit(let payload):
            return .initialize(addresses: TunnelAddresses(ipv4: payload.tunnelIPv4, ipv6: payload.tunnelIPv6),
                               resources: payload.resources.map(resource))
        case .resourceCreatedOrUpdated(let payload):
            return .upsertResource(resource(payload.resource))
        case .resourceDeleted(let payload):
            return .removeResource(ResourceID(payload.resourceID))
        case .flowCreated(let payload):
            return .flowCreated(FlowCreated(
                resource: ResourceID(payload.resourceID), gateway: GatewayID(payload.gatewayID),
                gatewayPublicKey: payload.gatewayPublicKey,
                gatewayAddresses: TunnelAddresses(ipv4: payload.gatewayTunnelIPv4, ipv6: payload.gatewayTunnelIPv6),
                gatewayEndpoint: payload.gatewayEndpoint, presharedKey: payload.presharedKey))
        case .flowCreationFailed(let payload):
            let reason: FlowCreationFailure
            switch payload.reason {
            case .offline: reason = .offline
            case .notFound: reason = .notFound
            case .forbidden: reason = .forbidden
            }
            return .flowCreationFailed(resource: ResourceID(payload.resourceID), reason: reason)
        case .gatewayGoodbye(let payload):
            return .gatewayGoodbye(GatewayID(payload.gatewayID))
        default:
            return nil
        }
    }

    /// The wire message for a Client event, or nil for events only logged.
    public static func message(_ event: ClientEvent) -> ControlMessage? {
        switch event {
        case .createFlow(let resource, let gateways):
            return .createFlow(CreateFlowPayload(resourceID: resource.rawValue,
                                                 connectedGatewayIDs: gateways.map(\.rawValue)))
        case .reauthorizing:
            return nil
        }
    }
}
