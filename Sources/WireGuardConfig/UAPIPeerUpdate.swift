import DataPlane

/// A `public_key=` line of a `set=1` request and the peer lines that follow it.
public struct UAPIPeerUpdate: Hashable, Sendable {
    /// The peer the operations apply to.
    public var publicKey: PublicKey
    /// The peer's lines in request order.
    public var operations: [UAPIPeerOperation]

    /// An update of the peer `publicKey`.
    public init(publicKey: PublicKey, operations: [UAPIPeerOperation] = []) {
        self.publicKey = publicKey
        self.operations = operations
    }
}
