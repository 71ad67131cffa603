/// The standard `AccessPolicy`: held Resources with expiry, and a precomputed longest-prefix table.
///
/// Every change rebuilds the table, mapping each distinct Resource network to an index into an array of
/// precomputed matches, so a per-packet check is hash probes plus a port scan, with no allocation.
public struct AuthorizationTable: AccessPolicy, Sendable {
    struct Holding: Sendable {
        var resource: ResourceDescription
        var expiresAt: UnixTime?
    }

    var holdings: [ResourceID: Holding] = [:]
    /// Distinct held networks to indices into `matches`.
    @usableFromInline var table = NetworkTable<Int>()
    @usableFromInline var matches: [PolicyMatch] = []

    /// No Resources.
    public init() {}

    public mutating func authorize(_ resource: ResourceDescription, expiresAt: UnixTime?) {
        holdings[resource.id] = Holding(resource: resource, expiresAt: expiresAt)
        rebuild()
    }

    @discardableResult
    public mutating func revoke(_ id: ResourceID) -> Bool {
        guard holdings.removeValue(forKey: id) != nil else { return false }
        rebuild()
        return true
    }

    @discardableResult
    public mutating func updateResource(_ resource: ResourceDescription) -> Bool {
        guard holdings[resource.id] != nil else { return false }
        holdings[resource.id]?.resource = resource
        rebuild()
        return true
    }

    @discardableResult
    public mutating func updateExpiry(_ id: ResourceID, expiresAt: UnixTime?) -> Bool {
        guard holdings[id] != nil else { return false }
        holdings[id]?.expiresAt = expiresAt
        return true
    }

    public mutating func removeExpired(now: UnixTime) -> [ResourceID] {
        let expired = holdings.values.filter { $0.expiresAt.map { $0 <= now } ?? false }.map(\.resource.id).sorted()
        guard !expired.isEmpty else { return [] }
        for id in expired { holdings[id] = nil }
        rebuild()
        return expired
    }

    public var isEmpty: Bool { holdings.isEmpty }

    public var resourceIDs: [ResourceID] { holdings.keys.sorted() }

    public func resource(_ id: ResourceID) -> ResourceDescription? { holdings[id]?.resource }

    /// When `id` expires: nil if it is not held or never expires.
    public func expiry(_ id: ResourceID) -> UnixTime? { holdings[id]?.expiresAt }

    public var earliestExpiry: UnixTime? { holdings.values.compactMap(\.expiresAt).min() }

    @inlinable
    public func match(_ address: IPAddress) -> PolicyMatch? {
        guard let index = table.lookup(address) else { return nil }
        return matches[index]
    }

    @inlinable
    public func allowsOutbound(_ flow: PacketFlow) -> Bool {
        guard let index = table.lookup(flow.destination) else { return false }
        return matches[index].filters.allows(flow)
    }

    @inlinable
    public func allowsReply(_ flow: PacketFlow) -> Bool {
        guard let index = table.lookup(flow.source) else { return false }
        return matches[index].filters.allowsReply(flow)
    }

    /// Applies the union rule: a network's filters are the union over every held Resource whose network
    /// contains it (equal networks included); its Resource is the smallest id with exactly that network.
    mutating func rebuild() {
        var direct = NetworkTable<(id: ResourceID, filters: FilterSet)>()
        for holding in holdings.values {
            let resource = holding.resource
            if let existing = direct[resource.address] {
                direct.insert(
                    resource.address, (min(existing.id, resource.id), existing.filters.union(resource.filters))
                )
            } else {
                direct.insert(resource.address, (resource.id, resource.filters))
            }
        }
        var table = NetworkTable<Int>()
        var matches: [PolicyMatch] = []
        for (network, own) in direct.entries {
            let filters = direct.entries(containing: network).reduce(own.filters) { $0.union($1.1.filters) }
            table.insert(network, matches.count)
            matches.append(PolicyMatch(resource: own.id, network: network, filters: filters))
        }
        self.table = table
        self.matches = matches
    }
}
