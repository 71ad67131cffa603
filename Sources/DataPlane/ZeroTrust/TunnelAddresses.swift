/// A node's addresses inside the tunnel network, one per family, as the portal assigns them.
public struct TunnelAddresses: Hashable, Sendable, CustomStringConvertible {
    /// From 100.64.0.0/10.
    public var ipv4: IPv4Address
    /// From fd00:2021:1111::/107.
    public var ipv6: IPv6Address

    /// The pair of addresses.
    public init(ipv4: IPv4Address, ipv6: IPv6Address) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// Whether `address` is one of the two.
    @inlinable
    public func contains(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let v4): return v4 == ipv4
        case .v6(let v6): return v6 == ipv6
        }
    }

    /// The two addresses as host networks (/32 and /128): a peer's allowed IPs.
    public var hostNetworks: [IPNetwork] {
        [IPNetwork(.v4(ipv4), prefixLength: 32)!, IPNetwork(.v6(ipv6), prefixLength: 128)!]
    }

    public var description: String { "\(ipv4), \(ipv6)" }
}
