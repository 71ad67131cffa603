/// A Resource as the portal describes it: an id, a display name, a network and the traffic allowed to it.
///
/// Both roles hold these: a Gateway for what each Client may reach, a Client for what it may ask flows for.
public struct ResourceDescription: Hashable, Sendable, CustomStringConvertible {
    /// The portal's identifier.
    public var id: ResourceID
    /// The name shown to people.
    public var name: String
    /// The addresses the Resource covers.
    public var address: IPNetwork
    /// The traffic allowed to it.
    public var filters: FilterSet

    /// A Resource; `filters` defaults to allowing everything, as an empty filter list does on the wire.
    public init(id: ResourceID, name: String, address: IPNetwork, filters: FilterSet = .allowAll) {
        self.id = id
        self.name = name
        self.address = address
        self.filters = filters
    }

    public var description: String { "\(id) (\(name)) \(address) \(filters)" }
}
