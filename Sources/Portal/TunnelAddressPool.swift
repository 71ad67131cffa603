import DataPlane

/// Hands out tunnel addresses: index n is 100.64.0.0 + n and fd00:2021:1111:: + n, so a node's two
/// addresses are easy to correlate in logs.
///
/// Indices whose last IPv4 octet is 0 or 255 are skipped: some stacks and firewalls still treat `.0` and
/// `.255` as network or broadcast addresses even inside a large prefix.
struct TunnelAddressPool: Sendable {
    static let ipv4Base = IPv4Address(100, 64, 0, 0)
    static let ipv6Base = IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, 0])
    /// fd00:2021:1111::/107 holds 2^21 addresses, the smaller of the two ranges (100.64.0.0/10 holds 2^22).
    static let capacity: UInt64 = 1 << 21

    private var next: UInt64 = 1

    /// The next free index, or nil when the pool is exhausted.
    mutating func allocate() -> UInt64? {
        while next < Self.capacity {
            let index = next
            next += 1
            let lastOctet = index & 0xFF
            if lastOctet != 0, lastOctet != 0xFF { return index }
        }
        return nil
    }

    static func ipv4(_ index: UInt64) -> IPv4Address {
        IPv4Address(value: ipv4Base.value + UInt32(index))
    }

    static func ipv6(_ index: UInt64) -> IPv6Address {
        IPv6Address(high: ipv6Base.high, low: ipv6Base.low + index)
    }
}
