import DataPlane

/// A node the portal steers: it takes typed commands on the loop thread.
public protocol ControlledNode: TunnelNode {
    /// The portal's messages, decoded for this role.
    associatedtype Command: Sendable
    /// Applies one command at `now`.
    func handle(_ command: Command, now: WireGuardTime)
}

extension GatewayNode: ControlledNode {}
extension ClientNode: ControlledNode {}
