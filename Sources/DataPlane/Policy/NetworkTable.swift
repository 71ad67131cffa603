/// A longest-prefix-match table from IPv4 and IPv6 networks to any value.
///
/// Resources are networks and a packet belongs to the most specific one holding its address. Like
/// `AllowedIPs`, each family keeps one hash map per prefix length in use, searched from the longest
/// length down, so a lookup costs one hash probe per distinct prefix length and never allocates.
public struct NetworkTable<Value> {
    /// Indexed by prefix length (0...32); empty maps for lengths not in use.
    @usableFromInline var v4: [[UInt32: Value]] = Array(repeating: [:], count: 33)
    /// Indexed by prefix length (0...128).
    @usableFromInline var v6: [[IPv6Address: Value]] = Array(repeating: [:], count: 129)
    /// Prefix lengths in use, longest first.
    @usableFromInline var v4Lengths = PrefixLengths()
    @usableFromInline var v6Lengths = PrefixLengths()

    /// Networks in the table.
    public private(set) var count = 0

    /// An empty table.
    public init() {}

    /// Whether the table holds no network.
    public var isEmpty: Bool { count == 0 }

    /// Maps exactly `network` to `value`, replacing any value it had.
    public mutating func insert(_ network: IPNetwork, _ value: Value) {
        let length = network.prefixLength
        let previous: Value?
        switch network.address {
        case .v4(let address): previous = v4[length].updateValue(value, forKey: address.value)
        case .v6(let address): previous = v6[length].updateValue(value, forKey: address)
        }
        if previous == nil {
            count += 1
            refreshLength(of: network)
        }
    }

    /// Removes exactly `network` and returns its value, if it was present.
    @discardableResult
    public mutating func remove(_ network: IPNetwork) -> Value? {
        let length = network.prefixLength
        let removed: Value?
        switch network.address {
        case .v4(let address): removed = v4[length].removeValue(forKey: address.value)
        case .v6(let address): removed = v6[length].removeValue(forKey: address)
        }
        if removed != nil {
            count -= 1
            refreshLength(of: network)
        }
        return removed
    }

    /// Empties the table.
    public mutating func removeAll() {
        self = NetworkTable()
    }

    /// The value of the longest prefix holding `address`, or nil.
    @inlinable
    public func lookup(_ address: IPAddress) -> Value? {
        longestMatch(address)?.value
    }

    /// The longest prefix holding `address` with its value, or nil.
    @inlinable
    public func lookupEntry(_ address: IPAddress) -> (network: IPNetwork, value: Value)? {
        guard let match = longestMatch(address), let network = IPNetwork(address, prefixLength: match.length)
        else { return nil }
        return (network, match.value)
    }

    /// The value of exactly `network`, without prefix matching.
    public subscript(network: IPNetwork) -> Value? {
        self[network.address, network.prefixLength]
    }

    /// Every entry: IPv4 first, longest prefix first, then by address.
    public var entries: [(IPNetwork, Value)] {
        var result: [(IPNetwork, Value)] = []
        result.reserveCapacity(count)
        for length in v4Lengths {
            for (key, value) in v4[length].sorted(by: { $0.key < $1.key }) {
                result.append((IPNetwork(.v4(IPv4Address(value: key)), prefixLength: length)!, value))
            }
        }
        for length in v6Lengths {
            for (key, value) in v6[length].sorted(by: { $0.key < $1.key }) {
                result.append((IPNetwork(.v6(key), prefixLength: length)!, value))
            }
        }
        return result
    }

    /// The entries whose network contains `network` (itself included), longest prefix first.
    func entries(containing network: IPNetwork) -> [(IPNetwork, Value)] {
        var result: [(IPNetwork, Value)] = []
        let lengths = network.address.bitWidth == 32 ? v4Lengths : v6Lengths
        for length in lengths where length <= network.prefixLength {
            let address = network.address.masked(to: length)
            if let value = self[address, length] { result.append((IPNetwork(address, prefixLength: length)!, value)) }
        }
        return result
    }

    /// The longest prefix length in use whose map holds `address` masked to it, and its value.
    @inlinable
    func longestMatch(_ address: IPAddress) -> (length: Int, value: Value)? {
        switch address {
        case .v4(let address):
            for length in v4Lengths {
                if let value = v4[length][address.masked(to: length).value] { return (length, value) }
            }
        case .v6(let address):
            for length in v6Lengths {
                if let value = v6[length][address.masked(to: length)] { return (length, value) }
            }
        }
        return nil
    }

    /// The value stored for an already masked `address` at `length`.
    @inlinable
    subscript(address: IPAddress, length: Int) -> Value? {
        switch address {
        case .v4(let address): return v4[length][address.value]
        case .v6(let address): return v6[length][address]
        }
    }

    mutating func refreshLength(of network: IPNetwork) {
        let length = network.prefixLength
        switch network.address {
        case .v4: v4Lengths.update(length, inUse: !v4[length].isEmpty)
        case .v6: v6Lengths.update(length, inUse: !v6[length].isEmpty)
        }
    }
}

extension NetworkTable: Sendable where Value: Sendable {}
