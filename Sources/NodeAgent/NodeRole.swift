import ControlProtocol
import DataPlane
import HostSetup

/// What differs between a Gateway and a Client daemon: the portal path, the message mapping and what the
/// host must change when the portal says something.
public struct NodeRole<Node: ControlledNode>: Sendable {
    /// `gateway` or `client`, for logs.
    public let name: String
    /// The portal's WebSocket path.
    public let path: String
    /// The node command a portal message carries.
    let command: @Sendable (ControlMessage) -> Node.Command?
    /// The portal message for a node event.
    let message: @Sendable (Node.ControlEvent) -> ControlMessage?
    /// Host changes (addresses, routes) a portal message asks for; runs off the loop thread.
    let hostChanges: @Sendable (ControlMessage, TunnelInterface) throws(HostSetupError) -> Void
    /// The tunnel addresses an `init` assigns, for the log.
    let addresses: @Sendable (ControlMessage) -> TunnelAddresses?
}

extension NodeRole {
    /// A Gateway: its `init` sets the TUN addresses; Resources are reached through the host's own routes.
    public static func gateway<Backend, Policy>() -> NodeRole<GatewayNode<Backend, Policy>> {
        NodeRole<GatewayNode<Backend, Policy>>(
            name: "gateway", path: "/gateway",
            command: { ControlMapping.gatewayCommand($0) },
            message: { ControlMapping.message($0) },
            hostChanges: { message, interface throws(HostSetupError) in
                if case .gatewayInit(let payload) = message {
                    try interface.assign(TunnelAddresses(ipv4: payload.tunnelIPv4, ipv6: payload.tunnelIPv6))
                }
            },
            addresses: {
                guard case .gatewayInit(let payload) = $0 else { return nil }
                return TunnelAddresses(ipv4: payload.tunnelIPv4, ipv6: payload.tunnelIPv6)
            })
    }

    /// A Client: its `init` sets the TUN addresses and every Resource gets a route into the tunnel, removed
    /// when the Resource goes.
    public static func client<Backend, Policy>() -> NodeRole<ClientNode<Backend, Policy>> {
        NodeRole<ClientNode<Backend, Policy>>(
            name: "client", path: "/client",
            command: { ControlMapping.clientCommand($0) },
            message: { ControlMapping.message($0) },
            hostChanges: { message, interface throws(HostSetupError) in
                switch message {
                case .clientInit(let payload):
                    try interface.assign(TunnelAddresses(ipv4: payload.tunnelIPv4, ipv6: payload.tunnelIPv6))
                    let wanted = Set(payload.resources.map(\.id))
                    for id in interface.resourceRoutes.keys where !wanted.contains(id) { interface.unrouteResource(id) }
                    for resource in payload.resources { try interface.routeResource(resource.id, resource.address) }
                case .resourceCreatedOrUpdated(let payload):
                    try interface.routeResource(payload.resource.id, payload.resource.address)
                case .resourceDeleted(let payload):
                    interface.unrouteResource(payload.resourceID)
                default:
                    break
                }
            },
            addresses: {
                guard case .clientInit(let payload) = $0 else { return nil }
                return TunnelAddresses(ipv4: payload.tunnelIPv4, ipv6: payload.tunnelIPv6)
            })
    }
}
