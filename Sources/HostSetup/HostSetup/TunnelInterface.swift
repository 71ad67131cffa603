import DataPlane

/// The host side of a zero-trust node's TUN device: its addresses, MTU, link state and routes, set over
/// rtnetlink, and undone on the way out.
///
/// The data plane never touches the host; these are the few commands a node runs when the portal tells it
/// something (its tunnel addresses, a Resource appearing or going), off the packet path.
/// Not thread-safe: a node daemon uses it from one serial queue only (hence `@unchecked Sendable`).
public final class TunnelInterface: @unchecked Sendable {
    /// The TUN device's name.
    public let name: String
    /// Addresses currently configured (so a changed `init` replaces them).
    public private(set) var addresses: TunnelAddresses?
    /// Routes this process added, removed again by `removeRoutes`.
    public private(set) var routes: Set<IPNetwork> = []
    /// Where the tunnel network's own routes point (all node addresses live in it).
    public static let tunnelNetworks = [
        IPNetwork(.v4(IPv4Address(100, 64, 0, 0)), prefixLength: 10)!,
        IPNetwork(.v6(IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, 0])), prefixLength: 107)!,
    ]

    /// The rtnetlink socket, opened on first use (the device exists by then).
    private var socket: InterfaceNetlink?

    /// Manages the device `name` (which must exist).
    public init(name: String) {
        self.name = name
    }

    func netlink() throws(HostSetupError) -> InterfaceNetlink {
        if let socket { return socket }
        let opened = try InterfaceNetlink(interface: name)
        socket = opened
        return opened
    }

    /// Sets the MTU, brings the link up.
    public func bringUp(mtu: Int) throws(HostSetupError) {
        try netlink().setLink(mtu: mtu, up: true)
    }

    /// Gives the device our tunnel addresses (host routes, /32 and /128), replacing older ones, and routes the
    /// tunnel network through it so every other node's address is reachable.
    public func assign(_ new: TunnelAddresses) throws(HostSetupError) {
        guard new != addresses else { return }
        let link = try netlink()
        if let old = addresses {
            try? link.deleteAddress(.v4(old.ipv4), prefixLength: 32)
            try? link.deleteAddress(.v6(old.ipv6), prefixLength: 128)
        }
        try link.replaceAddress(.v4(new.ipv4), prefixLength: 32)
        // No duplicate address detection: the address is ours alone inside the tunnel; DAD would only delay it.
        try link.replaceAddress(.v6(new.ipv6), prefixLength: 128, noDAD: true)
        addresses = new
        for network in Self.tunnelNetworks { try addRoute(network) }
    }

    /// Routes `network` into the tunnel (idempotent).
    public func addRoute(_ network: IPNetwork) throws(HostSetupError) {
        if let (_, reason) = try netlink().replaceRoutes([network]).first {
            throw .netlink("cannot route \(network) through \(name): \(reason)")
        }
        routes.insert(network)
    }

    /// Removes a route this process added.
    public func removeRoute(_ network: IPNetwork) {
        guard routes.remove(network) != nil else { return }
        try? netlink().deleteRoutes([network])
    }

    /// Routes of a Client's Resources by Resource id (two Resources may share a network).
    public private(set) var resourceRoutes: [String: IPNetwork] = [:]

    /// Routes a Resource's network into the tunnel, moving its route if its address changed.
    public func routeResource(_ id: String, _ network: IPNetwork) throws(HostSetupError) {
        if let old = resourceRoutes[id], old != network { unrouteResource(id) }
        resourceRoutes[id] = network
        try addRoute(network)
    }

    /// Removes a Resource's route unless another Resource still uses the same network.
    public func unrouteResource(_ id: String) {
        guard let old = resourceRoutes.removeValue(forKey: id) else { return }
        if !resourceRoutes.values.contains(old) { removeRoute(old) }
    }

    /// Removes every route this process added (the device's own go with it when its descriptor closes).
    public func removeRoutes() {
        try? netlink().deleteRoutes(Array(routes))
        routes.removeAll()
        resourceRoutes.removeAll()
    }

}

/// A host change that did not take.
public enum HostSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system tool failed; the text names the command and its message.
    case commandFailed(String)
    /// A required tool is not installed.
    case missingTool(String, package: String)
    /// A kernel setting could not be read or written.
    case sysctl(String)
    /// The kernel refused an rtnetlink request; the text names the change, the interface and the reason.
    case netlink(String)

    public var description: String {
        switch self {
        case .commandFailed(let text): return text
        case .missingTool(let tool, let package):
            return "\(tool) is not installed (Debian package \(package)); install it or pass --no-masquerade"
        case .sysctl(let text): return text
        case .netlink(let text): return text
        }
    }
}
