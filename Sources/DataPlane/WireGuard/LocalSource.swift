/// The local end a peer's datagram arrived at: the address it was sent to and the interface it came in by.
///
/// The engine keeps the latest authenticated one per peer (a "sticky source") and hands it back with every
/// datagram for that peer, so that on a host with several addresses replies leave from the address the peer
/// wrote to and by the interface its packets use: a NAT or a stateful firewall on the way lets only that
/// pair back, and a peer that checks who answers sees the address it knows. Both the Linux module and
/// wireguard-go do the same, and forget it when a handshake goes unanswered (the address may be gone).
public struct LocalSource: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The local address the datagram was sent to.
    public var address: IPAddress
    /// The index of the interface it arrived on, or 0 when unknown (then only the address is chosen).
    public var interfaceIndex: UInt32

    /// The local end `address` on the interface numbered `interfaceIndex` (0: any interface).
    @inlinable
    public init(address: IPAddress, interfaceIndex: UInt32 = 0) {
        self.address = address
        self.interfaceIndex = interfaceIndex
    }

    /// `10.0.0.1 via interface 3`, or the address alone when the interface is unknown.
    public var description: String {
        interfaceIndex == 0 ? "\(address)" : "\(address) via interface \(interfaceIndex)"
    }
}
