/// The Resources one party may use and the traffic allowed to them: on a Gateway, one Client's
/// authorizations; on a Client, the Resources the portal announced.
///
/// The zero-trust nodes are generic over this role so the per-packet matching can be swapped or faked in
/// tests; `AuthorizationTable` is the implementation. Per-packet members (`match`, `allowsOutbound`,
/// `allowsReply`) must not allocate; the mutating ones may.
public protocol AccessPolicy {
    /// No Resources.
    init()

    /// Holds `resource` until `expiresAt` (nil: until revoked), replacing any holding of the same id.
    mutating func authorize(_ resource: ResourceDescription, expiresAt: UnixTime?)

    /// Drops the Resource; false if it was not held.
    @discardableResult mutating func revoke(_ id: ResourceID) -> Bool

    /// Replaces a held Resource's name, network and filters, keeping its expiry; false if it is not held.
    @discardableResult mutating func updateResource(_ resource: ResourceDescription) -> Bool

    /// Changes a held Resource's expiry; false if it is not held.
    @discardableResult mutating func updateExpiry(_ id: ResourceID, expiresAt: UnixTime?) -> Bool

    /// Drops every Resource with `expiresAt <= now` and returns their ids, sorted.
    mutating func removeExpired(now: UnixTime) -> [ResourceID]

    /// Whether no Resource is held.
    var isEmpty: Bool { get }

    /// The held Resources' ids, sorted.
    var resourceIDs: [ResourceID] { get }

    /// The held Resource with `id`.
    func resource(_ id: ResourceID) -> ResourceDescription?

    /// The soonest expiry among held Resources; nil if none expires.
    var earliestExpiry: UnixTime? { get }

    /// The longest-prefix match of `address` over held Resources, with the union of containing filters.
    func match(_ address: IPAddress) -> PolicyMatch?

    /// Whether a packet from the Client to a Resource may pass: its destination matched, its
    /// destination port checked.
    func allowsOutbound(_ flow: PacketFlow) -> Bool

    /// Whether a packet from a Resource back to the Client may pass: its source matched, its source
    /// port checked.
    func allowsReply(_ flow: PacketFlow) -> Bool
}

extension AccessPolicy {
    /// The rule in terms of `match`; implementations with a cheaper path override it.
    public func allowsOutbound(_ flow: PacketFlow) -> Bool {
        match(flow.destination)?.filters.allows(flow) ?? false
    }

    /// The rule in terms of `match`; implementations with a cheaper path override it.
    public func allowsReply(_ flow: PacketFlow) -> Bool {
        match(flow.source)?.filters.allowsReply(flow) ?? false
    }
}
