/// An IPv4 or IPv6 address.
///
/// Packets, allowed-IPs entries and endpoints all carry either family; one enum lets them share code
/// while each case keeps its compact integer form.
public enum IPAddress: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Whether this is the wildcard address (`0.0.0.0` or `::`), which names no local address to send from.
    @inlinable
    public var isUnspecified: Bool {
        switch self {
        case .v4(let address): return address.value == 0
        case .v6(let address): return address.high == 0 && address.low == 0
        }
    }

    /// 32 or 128.
    @inlinable
    public var bitWidth: Int {
        switch self {
        case .v4: return 32
        case .v6: return 128
        }
    }

    /// The address with every bit past the first `prefixLength` cleared.
    @inlinable
    public func masked(to prefixLength: Int) -> IPAddress {
        switch self {
        case .v4(let address): return .v4(address.masked(to: prefixLength))
        case .v6(let address): return .v6(address.masked(to: prefixLength))
        }
    }

    /// Writes the 4 or 16 network-order bytes to `pointer` and returns how many were written.
    @inlinable
    @discardableResult
    public func store(to pointer: UnsafeMutableRawPointer) -> Int {
        switch self {
        case .v4(let address):
            address.store(to: pointer)
            return IPv4Address.byteCount
        case .v6(let address):
            address.store(to: pointer)
            return IPv6Address.byteCount
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): return address.description
        case .v6(let address): return address.description
        }
    }
}

/// An address prefix such as `10.0.0.0/8` or `fd00::/8`, always stored with its host bits cleared.
///
/// Storing the masked form means two spellings of one network compare equal, which the allowed-IPs
/// table relies on when peers are updated.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the network.
    public let address: IPAddress
    /// The number of leading bits that identify the network.
    public let prefixLength: Int

    /// The network of `prefixLength` bits around `address`; returns nil if the length exceeds the family's width.
    public init?(_ address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.bitWidth else { return nil }
        self.address = address.masked(to: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Whether `candidate` lies inside this network.
    @inlinable
    public func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4, .v4), (.v6, .v6): return candidate.masked(to: prefixLength) == address
        default: return false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
