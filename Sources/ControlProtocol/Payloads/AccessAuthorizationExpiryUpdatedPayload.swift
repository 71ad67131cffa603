/// `access_authorization_expiry_updated`: a new expiry for one Client's authorization to one Resource.
public struct AccessAuthorizationExpiryUpdatedPayload: Hashable, Sendable {
    public var clientID: String
    public var resourceID: String
    /// The new expiry; nil for never.
    public var expiresAt: UnixSeconds?

    public init(clientID: String, resourceID: String, expiresAt: UnixSeconds?) {
        self.clientID = clientID
        self.resourceID = resourceID
        self.expiresAt = expiresAt
    }

    init(reading reader: PayloadReader) throws(ControlMessageError) {
        clientID = try reader.string("client_id")
        resourceID = try reader.string("resource_id")
        expiresAt = try reader.time("expires_at")
    }

    var json: JSONValue {
        .object(["client_id": .string(clientID), "resource_id": .string(resourceID), "expires_at": expiresAt.json])
    }
}
