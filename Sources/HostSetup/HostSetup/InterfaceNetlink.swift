import CFZNetlink
import DataPlane
import Glibc

/// Sets one interface's MTU, link state, addresses and routes over rtnetlink, as `ip` would, without a process
/// per change.
///
/// Routes go in batches of a few hundred per round trip, each acknowledged by the kernel, so a Gateway with
/// 10,000 peers' allowed IPs routes them in well under a second (one `ip route` process each took about 13 s).
public final class InterfaceNetlink {
    /// The interface's name.
    public let name: String
    /// Its index, read once: the device is ours for the life of this object.
    public let index: Int32
    private let socket: Int32

    /// Opens a NETLINK_ROUTE socket for the existing interface `name`.
    public init(interface name: String) throws(HostSetupError) {
        let index = if_nametoindex(name)
        guard index != 0 else {
            throw .netlink("cannot configure \(name): no such interface (\(errnoText(errno)))")
        }
        let socket = cfz_netlink_open()
        guard socket >= 0 else {
            throw .netlink("cannot open an rtnetlink socket to configure \(name): \(errnoText(-socket))")
        }
        self.name = name
        self.index = Int32(index)
        self.socket = socket
    }

    deinit {
        close(socket)
    }

    /// Sets the MTU (when given) and brings the link up or down.
    public func setLink(mtu: Int?, up: Bool) throws(HostSetupError) {
        let result = cfz_netlink_link(socket, index, Int32(mtu ?? 0), up ? 1 : 0)
        guard result == 0 else {
            let what = mtu.map { "set the MTU of \(name) to \($0) and bring it \(up ? "up" : "down")" }
                ?? "bring \(name) \(up ? "up" : "down")"
            throw .netlink("cannot \(what): \(errnoText(-result))")
        }
    }

    /// Adds `address/prefixLength`, or replaces it if present; `noDAD` skips IPv6 duplicate address detection.
    public func replaceAddress(_ address: IPAddress, prefixLength: Int, noDAD: Bool = false) throws(HostSetupError) {
        var prefix = Self.prefix(address, prefixLength)
        let result = cfz_netlink_address(socket, Int32(CFZ_NETLINK_REPLACE), &prefix, index, noDAD ? 1 : 0)
        guard result == 0 else {
            throw .netlink("cannot add address \(address)/\(prefixLength) to \(name): \(errnoText(-result))")
        }
    }

    /// Removes `address/prefixLength`.
    public func deleteAddress(_ address: IPAddress, prefixLength: Int) throws(HostSetupError) {
        var prefix = Self.prefix(address, prefixLength)
        let result = cfz_netlink_address(socket, Int32(CFZ_NETLINK_DELETE), &prefix, index, 0)
        guard result == 0 else {
            throw .netlink("cannot remove address \(address)/\(prefixLength) from \(name): \(errnoText(-result))")
        }
    }

    /// Routes every network through the interface (replacing routes already there), in batches.
    ///
    /// - Returns: the routes the kernel refused, each with the reason; the others are installed.
    @discardableResult
    public func replaceRoutes(_ networks: [IPNetwork]) -> [(IPNetwork, String)] {
        apply(Int32(CFZ_NETLINK_REPLACE), networks)
    }

    /// Removes the routes of `networks` through the interface; the ones that were not there are returned.
    @discardableResult
    public func deleteRoutes(_ networks: [IPNetwork]) -> [(IPNetwork, String)] {
        apply(Int32(CFZ_NETLINK_DELETE), networks)
    }

    private func apply(_ operation: Int32, _ networks: [IPNetwork]) -> [(IPNetwork, String)] {
        guard !networks.isEmpty else { return [] }
        let prefixes = networks.map { Self.prefix($0.address, $0.prefixLength) }
        // Unanswered routes keep this: a socket failure reports them all with it.
        var errors = [Int32](repeating: -ETIMEDOUT, count: networks.count)
        let result = cfz_netlink_routes(socket, operation, prefixes, prefixes.count, index, &errors)
        var refused: [(IPNetwork, String)] = []
        for (network, error) in zip(networks, errors) where error != 0 {
            refused.append((network, errnoText(result != 0 && error == -ETIMEDOUT ? -result : -error)))
        }
        return refused
    }

    static func prefix(_ address: IPAddress, _ length: Int) -> cfz_netlink_prefix {
        var prefix = cfz_netlink_prefix()
        prefix.prefix_length = UInt8(clamping: length)
        withUnsafeMutableBytes(of: &prefix.address) { bytes in
            switch address {
            case .v4(let v4):
                prefix.family = 4
                bytes.storeBytes(of: v4.value.bigEndian, as: UInt32.self)
            case .v6(let v6):
                prefix.family = 6
                bytes.storeBytes(of: v6.high.bigEndian, as: UInt64.self)
                bytes.storeBytes(of: v6.low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
        }
        return prefix
    }
}
