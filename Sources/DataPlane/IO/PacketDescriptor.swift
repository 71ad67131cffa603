/// Where one packet (or one run of equal-size packets) lies in a pool buffer, and where it came from or goes.
///
/// Plain data (no references), so copying one is a copy of bytes. Describes, never holds, the bytes: `length`
/// bytes starting `offset` bytes into `buffer`. The bytes in front of `offset` and after `offset + length` are
/// free for the core to grow the packet in place (headroom and tailroom). For a datagram received, `source` is
/// the peer and `destination` the local address it arrived on (when the backend knows it); for a datagram to
/// send, `destination` is required and `source`, when set, chooses the local address; `interfaceIndex` is the
/// interface a datagram arrived on, or the one to send it by (0: unknown, or any). TUN packets carry no
/// addresses. A `segmentSize` above 0 says the bytes are several packets of that size back to back, the last
/// possibly shorter (UDP GRO on receive, GSO on send, TUN offloads).
/// `BitwiseCopyable` is what lets ``PacketBatch`` keep descriptors in raw storage it never deinitializes.
public struct PacketDescriptor: Sendable, BitwiseCopyable {
    /// The pool buffer that holds the bytes.
    public var buffer: PacketBufferID
    /// Where the packet starts, in bytes from the start of the buffer.
    public var offset: Int
    /// The packet's length in bytes.
    public var length: Int
    /// Size of each coalesced segment, or 0 for a single packet.
    public var segmentSize: Int
    /// The sender of a received datagram. On a datagram to send, only the address counts: it picks the local
    /// address to send from (the port is always the socket's).
    public var source: Endpoint?
    /// The peer to send a datagram to, or the local address and port a datagram arrived on.
    public var destination: Endpoint?
    /// The interface a received datagram arrived on, or the one to send a datagram by; 0 when unknown or any.
    public var interfaceIndex: UInt32

    /// A descriptor of `length` bytes at `offset` in `buffer`.
    @inlinable
    public init(
        buffer: PacketBufferID,
        offset: Int,
        length: Int,
        segmentSize: Int = 0,
        source: Endpoint? = nil,
        destination: Endpoint? = nil,
        interfaceIndex: UInt32 = 0
    ) {
        self.buffer = buffer
        self.offset = offset
        self.length = length
        self.segmentSize = segmentSize
        self.source = source
        self.destination = destination
        self.interfaceIndex = interfaceIndex
    }

    /// The local end a received datagram arrived at: its destination address and interface, when known.
    @inlinable
    public var arrivedAt: LocalSource? {
        guard let destination, !destination.address.isUnspecified else { return nil }
        return LocalSource(address: destination.address, interfaceIndex: interfaceIndex)
    }

    /// Addresses a datagram to send: to `endpoint`, from `local` (nil: the kernel chooses address and interface).
    @inlinable
    public mutating func address(to endpoint: Endpoint, from local: LocalSource?) {
        destination = endpoint
        source = local.map { Endpoint(address: $0.address, port: 0) }
        interfaceIndex = local?.interfaceIndex ?? 0
    }

    /// Clears every address, for a packet bound for the TUN device.
    @inlinable
    public mutating func clearAddresses() {
        source = nil
        destination = nil
        interfaceIndex = 0
    }

    /// How many packets the bytes stand for: 1, or the number of segments.
    public var packetCount: Int {
        guard segmentSize > 0, length > 0 else { return 1 }
        return (length + segmentSize - 1) / segmentSize
    }
}
