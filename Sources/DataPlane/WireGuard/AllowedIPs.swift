/// Cryptokey routing: a longest-prefix-match table from IPv4 and IPv6 networks to a value (a peer).
///
/// An outgoing packet goes to the peer owning the longest prefix that holds its destination; a
/// decrypted packet is accepted only if the longest prefix holding its source belongs to the peer that
/// sent it. Each family keeps one hash map per prefix length in use, searched from the longest length
/// down, so a lookup costs one hash probe per distinct prefix length and never allocates. Each value also
/// has the list of its networks, so changing or removing one peer's routes costs what that peer has, not
/// the size of the table (at 10,000 peers, 1,000 `wg set` updates used to filter every table each).
public struct AllowedIPs<Value: AnyObject> {
    @usableFromInline var v4: [Int: [UInt32: Value]] = [:]
    @usableFromInline var v6: [Int: [IPv6Address: Value]] = [:]
    /// Prefix lengths present, longest first.
    @usableFromInline var v4Lengths: [Int] = []
    @usableFromInline var v6Lengths: [Int] = []
    /// Each value's networks, in insertion order.
    var entries: [ObjectIdentifier: [IPNetwork]] = [:]

    /// An empty table.
    public init() {}

    /// Routes `network` to `value`, replacing any previous owner of exactly that network.
    public mutating func insert(_ network: IPNetwork, value: Value) {
        let previous: Value?
        switch network.address {
        case .v4(let address):
            let lengthIsNew = v4[network.prefixLength] == nil
            previous = v4[network.prefixLength, default: [:]].updateValue(value, forKey: address.value)
            if lengthIsNew { refreshLengths() }
        case .v6(let address):
            let lengthIsNew = v6[network.prefixLength] == nil
            previous = v6[network.prefixLength, default: [:]].updateValue(value, forKey: address)
            if lengthIsNew { refreshLengths() }
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

    /// Takes `network` out of the lookup maps; returns its owner, if it was there.
    @discardableResult
    mutating func unroute(_ network: IPNetwork) -> Value? {
        let owner: Value?
        switch network.address {
        case .v4(let address):
            owner = v4[network.prefixLength]?.removeValue(forKey: address.value)
            if v4[network.prefixLength]?.isEmpty == true {
                v4[network.prefixLength] = nil
                refreshLengths()
            }
        case .v6(let address):
            owner = v6[network.prefixLength]?.removeValue(forKey: address)
            if v6[network.prefixLength]?.isEmpty == true {
                v6[network.prefixLength] = nil
                refreshLengths()
            }
        }
        return owner
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

    /// Only when a prefix length appears or disappears: the lists are at most 33 and 129 long.
    mutating func refreshLengths() {
        v4Lengths = v4.keys.sorted(by: >)
        v6Lengths = v6.keys.sorted(by: >)
    }
}
