/// Cryptokey routing: a longest-prefix-match table from IPv4 and IPv6 networks to a value (a peer).
///
/// An outgoing packet goes to the peer owning the longest prefix that holds its destination; a
/// decrypted packet is accepted only if the longest prefix holding its source belongs to the peer that
/// sent it. Each family is a path-compressed binary trie (``PrefixTrie``), so a lookup costs at most one
/// step per address bit whatever the table holds, and never allocates. Each value also has the list of its
/// networks, so changing or removing one peer's routes costs what that peer has, not the size of the table.
public struct AllowedIPs<Value: AnyObject> {
    @usableFromInline var v4 = PrefixTrie<Value>()
    @usableFromInline var v6 = PrefixTrie<Value>()
    /// Each value's networks, in insertion order.
    var entries: [ObjectIdentifier: [IPNetwork]] = [:]

    /// An empty table.
    public init() {}

    /// The trie key of an address: IPv4 in the top 32 bits.
    @inlinable
    static func key(_ address: IPAddress) -> PrefixTrie<Value>.Key {
        switch address {
        case .v4(let address): return .init(high: UInt64(address.value) << 32, low: 0)
        case .v6(let address): return .init(high: address.high, low: address.low)
        }
    }

    /// Routes `network` to `value`, replacing any previous owner of exactly that network.
    public mutating func insert(_ network: IPNetwork, value: Value) {
        let key = Self.key(network.address)
        let previous: Value?
        switch network.address {
        case .v4: previous = v4.insert(key, length: network.prefixLength, value: value)
        case .v6: previous = v6.insert(key, length: network.prefixLength, value: value)
        }
        if let previous {
            if previous === value { return }
            forget(network, of: previous)
        }
        entries[ObjectIdentifier(value), default: []].append(network)
    }

    /// Removes exactly `network`, whoever owns it.
    public mutating func remove(_ network: IPNetwork) {
        guard let owner = unroute(network) else { return }
        forget(network, of: owner)
    }

    /// Removes every network routed to `value`.
    public mutating func removeAll(routedTo value: Value) {
        guard let networks = entries.removeValue(forKey: ObjectIdentifier(value)) else { return }
        for network in networks { unroute(network) }
    }

    /// Every network routed to `value`, IPv4 first, longest prefix first.
    public func networks(routedTo value: Value) -> [IPNetwork] {
        Self.ordered(entries[ObjectIdentifier(value)] ?? [])
    }

    /// Every network in the table grouped by the value it routes to; each value's networks come IPv4
    /// first, longest prefix first.
    public func networksByValue() -> [ObjectIdentifier: [IPNetwork]] {
        entries.mapValues(Self.ordered)
    }

    /// The value owning the longest prefix that contains `address`, or nil.
    @inlinable
    public func lookup(_ address: IPAddress) -> Value? {
        switch address {
        case .v4(let v4Address): return v4.lookup(.init(high: UInt64(v4Address.value) << 32, low: 0))
        case .v6(let v6Address): return v6.lookup(.init(high: v6Address.high, low: v6Address.low))
        }
    }

    /// Trie nodes in use, both families: about two per network, and back to 0 when the table empties.
    public var nodeCount: Int { v4.nodeCount + v6.nodeCount }

    /// Takes `network` out of the trie; returns its owner, if it was there.
    @discardableResult
    mutating func unroute(_ network: IPNetwork) -> Value? {
        let key = Self.key(network.address)
        switch network.address {
        case .v4: return v4.remove(key, length: network.prefixLength)
        case .v6: return v6.remove(key, length: network.prefixLength)
        }
    }

    /// Drops `network` from `owner`'s list.
    mutating func forget(_ network: IPNetwork, of owner: Value) {
        let key = ObjectIdentifier(owner)
        guard var list = entries[key], let index = list.firstIndex(of: network) else { return }
        list.remove(at: index)
        entries[key] = list.isEmpty ? nil : list
    }

    static func ordered(_ networks: [IPNetwork]) -> [IPNetwork] {
        networks.sorted { left, right in
            switch (left.address, right.address) {
            case (.v4, .v6): return true
            case (.v6, .v4): return false
            case (.v4(let a), .v4(let b)):
                return left.prefixLength != right.prefixLength ? left.prefixLength > right.prefixLength : a < b
            case (.v6(let a), .v6(let b)):
                return left.prefixLength != right.prefixLength ? left.prefixLength > right.prefixLength : a < b
            }
        }
    }
}
