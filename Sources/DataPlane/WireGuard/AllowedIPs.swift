/// Cryptokey routing: a longest-prefix-match table from IPv4 and IPv6 networks to a value (a peer).
///
/// An outgoing packet goes to the peer owning the longest prefix that holds its destination; a
/// decrypted packet is accepted only if the longest prefix holding its source belongs to the peer that
/// sent it. Each family keeps one hash map per prefix length in use, searched from the longest length
/// down, so a lookup costs one hash probe per distinct prefix length and never allocates.
public struct AllowedIPs<Value: AnyObject> {
    @usableFromInline var v4: [Int: [UInt32: Value]] = [:]
    @usableFromInline var v6: [Int: [IPv6Address: Value]] = [:]
    /// Prefix lengths present, longest first.
    @usableFromInline var v4Lengths: [Int] = []
    @usableFromInline var v6Lengths: [Int] = []

    /// An empty table.
    public init() {}

    /// Routes `network` to `value`, replacing any previous owner of exactly that network.
    public mutating func insert(_ network: IPNetwork, value: Value) {
        switch network.address {
        case .v4(let address):
            v4[network.prefixLength, default: [:]][address.value] = value
        case .v6(let address):
            v6[network.prefixLength, default: [:]][address] = value
        }
        refreshLengths()
    }

    /// Removes exactly `network`, whoever owns it.
    public mutating func remove(_ network: IPNetwork) {
        switch network.address {
        case .v4(let address):
            v4[network.prefixLength]?[address.value] = nil
            if v4[network.prefixLength]?.isEmpty == true { v4[network.prefixLength] = nil }
        case .v6(let address):
            v6[network.prefixLength]?[address] = nil
            if v6[network.prefixLength]?.isEmpty == true { v6[network.prefixLength] = nil }
        }
        refreshLengths()
    }

    /// Removes every network routed to `value`.
    public mutating func removeAll(routedTo value: Value) {
        for length in v4Lengths {
            v4[length] = v4[length]?.filter { $0.value !== value }
            if v4[length]?.isEmpty == true { v4[length] = nil }
        }
        for length in v6Lengths {
            v6[length] = v6[length]?.filter { $0.value !== value }
            if v6[length]?.isEmpty == true { v6[length] = nil }
        }
        refreshLengths()
    }

    /// Every network routed to `value`, IPv4 first, longest prefix first.
    public func networks(routedTo value: Value) -> [IPNetwork] {
        networksByValue()[ObjectIdentifier(value)] ?? []
    }

    /// Every network in the table grouped by the value it routes to, in one pass; each value's networks
    /// come IPv4 first, longest prefix first. Asking for thousands of values one by one would be quadratic.
    public func networksByValue() -> [ObjectIdentifier: [IPNetwork]] {
        var result: [ObjectIdentifier: [IPNetwork]] = [:]
        for length in v4Lengths {
            for (address, owner) in v4[length] ?? [:] {
                result[ObjectIdentifier(owner), default: []]
                    .append(IPNetwork(.v4(IPv4Address(value: address)), prefixLength: length)!)
            }
        }
        for length in v6Lengths {
            for (address, owner) in v6[length] ?? [:] {
                result[ObjectIdentifier(owner), default: []].append(IPNetwork(.v6(address), prefixLength: length)!)
            }
        }
        return result
    }

    /// The value owning the longest prefix that contains `address`, or nil.
    @inlinable
    public func lookup(_ address: IPAddress) -> Value? {
        switch address {
        case .v4(let address):
            for length in v4Lengths {
                if let value = v4[length]?[address.masked(to: length).value] { return value }
            }
        case .v6(let address):
            for length in v6Lengths {
                if let value = v6[length]?[address.masked(to: length)] { return value }
            }
        }
        return nil
    }

    mutating func refreshLengths() {
        v4Lengths = v4.keys.sorted(by: >)
        v6Lengths = v6.keys.sorted(by: >)
    }
}
