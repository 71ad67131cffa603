/// Where a peer's UDP datagrams go: an IPv4 or IPv6 address and a port.
///
/// A plain value so the driver can map it to whatever socket address it uses; the engine only compares
/// endpoints, remembers the latest authenticated one per peer (roaming) and feeds them into cookies.
public struct Endpoint: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The remote address.
    public var address: IPAddress
    /// The remote UDP port.
    public var port: UInt16

    /// An endpoint at `address` and `port`.
    @inlinable
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Writes the address bytes then the port (network order) to `pointer`, at most 18 bytes, and returns
    /// the count: the `A_m` input of a WireGuard cookie.
    @inlinable
    func storeCookieInput(to pointer: UnsafeMutableRawPointer) -> Int {
        let count = address.store(to: pointer)
        pointer.storeBytes(of: port.bigEndian, toByteOffset: count, as: UInt16.self)
        return count + 2
    }

    /// `1.2.3.4:51820` or `[fd00:0:0:0:0:0:0:1]:51820`.
    public var description: String {
        switch address {
        case .v4: return "\(address):\(port)"
        case .v6: return "[\(address)]:\(port)"
        }
    }
}
