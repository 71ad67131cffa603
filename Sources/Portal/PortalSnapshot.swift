/// What `fzctl admin list` prints: the nodes the portal knows and the flows it holds, as JSON.
public struct PortalSnapshot: Codable, Hashable, Sendable {
    /// A Gateway or Client that has connected at least once and is still in the policy.
    public struct Node: Codable, Hashable, Sendable {
        public var role: NodeRole
        public var id: String
        /// Connected and joined.
        public var online: Bool
        public var tunnelIPv4: String
        public var tunnelIPv6: String
        /// Base64, once the node has joined.
        public var publicKey: String?
        /// A Gateway's announced endpoint.
        public var endpoint: String?

        public init(
            role: NodeRole, id: String, online: Bool, tunnelIPv4: String, tunnelIPv6: String, publicKey: String?,
            endpoint: String?
        ) {
            self.role = role
            self.id = id
            self.online = online
            self.tunnelIPv4 = tunnelIPv4
            self.tunnelIPv6 = tunnelIPv6
            self.publicKey = publicKey
            self.endpoint = endpoint
        }

        enum CodingKeys: String, CodingKey {
            case role, id, online, endpoint
            case tunnelIPv4 = "tunnel_ipv4"
            case tunnelIPv6 = "tunnel_ipv6"
            case publicKey = "public_key"
        }
    }

    /// An authorization a Gateway confirmed.
    public struct Flow: Codable, Hashable, Sendable {
        public var clientID: String
        public var resourceID: String
        public var gatewayID: String
        public var expiresAt: Int64?

        public init(clientID: String, resourceID: String, gatewayID: String, expiresAt: Int64?) {
            self.clientID = clientID
            self.resourceID = resourceID
            self.gatewayID = gatewayID
            self.expiresAt = expiresAt
        }

        enum CodingKeys: String, CodingKey {
            case clientID = "client_id"
            case resourceID = "resource_id"
            case gatewayID = "gateway_id"
            case expiresAt = "expires_at"
        }
    }

    public var nodes: [Node]
    public var flows: [Flow]

    public init(nodes: [Node], flows: [Flow]) {
        self.nodes = nodes
        self.flows = flows
    }
}
