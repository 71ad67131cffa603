/// Which endpoint a node connects to, and so which messages it may send.
public enum NodeRole: String, Hashable, Sendable, Codable, CaseIterable {
    case gateway
    case client

    /// The audit field that carries a node id of this role.
    public var idField: String {
        switch self {
        case .gateway: return "gateway_id"
        case .client: return "client_id"
        }
    }
}

/// A Gateway or Client by id; ids are unique within a role, not across roles.
public struct NodeRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var role: NodeRole
    public var id: String

    public init(_ role: NodeRole, _ id: String) {
        self.role = role
        self.id = id
    }

    public static func < (lhs: NodeRef, rhs: NodeRef) -> Bool {
        (lhs.role.rawValue, lhs.id) < (rhs.role.rawValue, rhs.id)
    }

    public var description: String { "\(role.rawValue) \"\(id)\"" }
}
