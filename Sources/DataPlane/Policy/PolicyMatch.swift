/// The Resource a packet's address belongs to and the traffic allowed there.
///
/// `filters` is already the union over every held Resource containing the matched one (SPEC Gateway 3),
/// so a caller checks a packet against it alone.
public struct PolicyMatch: Hashable, Sendable {
    /// The most specific held Resource containing the address; of several with that exact network,
    /// the smallest id.
    public let resource: ResourceID
    /// The matched Resource's network.
    public let network: IPNetwork
    /// The union of the filters of every held Resource whose network contains `network`.
    public let filters: FilterSet

    /// A match; built by policies, public so other policies and tests can make one.
    public init(resource: ResourceID, network: IPNetwork, filters: FilterSet) {
        self.resource = resource
        self.network = network
        self.filters = filters
    }
}
