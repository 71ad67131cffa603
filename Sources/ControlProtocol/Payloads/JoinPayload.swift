import DataPlane

/// `join`: the first message of every node, carrying the WireGuard public key the portal hands to peers.
public struct JoinPayload: Hashable, Sendable {
    /// The node's WireGuard public key.
    public var publicKey: PublicKey
    /// Where Clients reach a Gateway (`IP:PORT`); nil for Clients, which are never dialled.
    public var endpoint: Endpoint?

    public init(publicKey: PublicKey, endpoint: Endpoint? = nil) {
        self.publicKey = publicKey
        self.endpoint = endpoint
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        publicKey = PublicKey(raw: try reader.key("public_key"))
        endpoint = reader.object.value("endpoint") == nil ? nil : try reader.endpoint("endpoint")
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = ["public_key": publicKey.raw.json]
        if let endpoint { fields["endpoint"] = endpoint.json }
        return .object(fields)
    }
}
