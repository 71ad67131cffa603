import DataPlane
import WireGuardConfig

/// A Resource as the wire carries it: `{"id", "name", "address", "filters"}`.
///
/// Ids stay strings here; the data plane's `ResourceDescription` is built from this by whoever links both.
public struct WireResource: Hashable, Sendable {
    /// The Resource's id, unique within a policy.
    public var id: String
    /// A human name, shown to users.
    public var name: String
    /// The CIDR range the Resource covers, host bits cleared.
    public var address: IPNetwork
    /// The allowed traffic; empty allows everything.
    public var filters: [WireFilter]

    public init(id: String, name: String, address: IPNetwork, filters: [WireFilter]) {
        self.id = id
        self.name = name
        self.address = address
        self.filters = filters
    }

    /// The wire object.
    public var json: JSONValue {
        .object([
            "id": .string(id),
            "name": .string(name),
            "address": .string(IPAddressText.format(address)),
            "filters": .array(filters.map(\.json)),
        ])
    }
}
