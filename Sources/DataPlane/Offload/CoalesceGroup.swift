/// TCP segments or UDP datagrams of one flow that line up, coalesced into one super-packet for one TUN write
/// (GRO in userspace).
///
/// The group is the bookkeeping only; the bytes are in the caller's destination buffer: a virtio-net header,
/// then the first packet's IP and TCP or UDP headers (which are the flow key every later packet is compared
/// with), then the payloads back to back. Made by ``TCPCoalescing/start(_:into:)`` or
/// ``UDPCoalescing/start(_:into:)``; ``PacketCoalescing`` picks between them.
public struct CoalesceGroup: Sendable, Equatable {
    /// 4 or 6.
    @inlinable public var ipVersion: UInt8 { _ipVersion }
    @usableFromInline var _ipVersion: UInt8
    /// 6 (TCP) or 17 (UDP).
    @inlinable public var transportProtocol: UInt8 { _transportProtocol }
    @usableFromInline var _transportProtocol: UInt8
    /// IP header bytes (20 or 40: packets with IPv4 options or IPv6 extension headers are never grouped).
    @inlinable public var ipHeaderLength: Int { _ipHeaderLength }
    @usableFromInline var _ipHeaderLength: Int
    /// IP and TCP header bytes in front of the payload.
    @inlinable public var headerLength: Int { _headerLength }
    @usableFromInline var _headerLength: Int
    /// The sequence number the next segment must have (TCP only).
    @inlinable public var nextSequence: UInt32 { _nextSequence }
    @usableFromInline var _nextSequence: UInt32
    /// Payload bytes of the first segment; every later one has at most this many.
    @inlinable public var segmentSize: Int { _segmentSize }
    @usableFromInline var _segmentSize: Int
    /// Segments in the group.
    @inlinable public var count: Int { _count }
    @usableFromInline var _count: Int
    /// Bytes of the coalesced IP packet so far (without the virtio-net header).
    @inlinable public var length: Int { _length }
    @usableFromInline var _length: Int
    /// Whether a PSH or short segment was appended: nothing may follow it.
    @inlinable public var isEnded: Bool { _isEnded }
    @usableFromInline var _isEnded: Bool
    /// The pseudo-header sum of the flow's addresses.
    @usableFromInline var addressSum: UInt32

    @inlinable
    init(segment: TCPSegmentHeaders, addressSum: UInt32) {
        _ipVersion = segment.ipVersion
        _transportProtocol = 6
        _ipHeaderLength = segment.ipHeaderLength
        _headerLength = segment.ipHeaderLength + segment.tcpHeaderLength
        _nextSequence = segment.sequence &+ UInt32(truncatingIfNeeded: segment.payloadLength)
        _segmentSize = segment.payloadLength
        _count = 1
        _length = segment.ipHeaderLength + segment.tcpHeaderLength + segment.payloadLength
        _isEnded = false
        self.addressSum = addressSum
    }

    @inlinable
    init(datagram: UDPDatagramHeaders, addressSum: UInt32) {
        _ipVersion = datagram.ipVersion
        _transportProtocol = UDPDatagramHeaders.udp
        _ipHeaderLength = datagram.ipHeaderLength
        _headerLength = datagram.ipHeaderLength + 8
        _nextSequence = 0
        _segmentSize = datagram.payloadLength
        _count = 1
        _length = datagram.ipHeaderLength + 8 + datagram.payloadLength
        _isEnded = false
        self.addressSum = addressSum
    }
}

/// The fields of a TCP segment that decide whether it can join a group.
@usableFromInline
struct TCPSegmentHeaders {
    @usableFromInline var ipVersion: UInt8
    @usableFromInline var ipHeaderLength: Int
    @usableFromInline var tcpHeaderLength: Int
    @usableFromInline var payloadLength: Int
    @usableFromInline var sequence: UInt32
    @usableFromInline var flags: UInt8

    /// Parses `packet` as a TCP segment that may be coalesced: IPv4 without options and not a fragment, or IPv6
    /// without extension headers; lengths consistent; only ACK (and PSH) set; a payload. Nil otherwise.
    /// Checksums are not checked here (see ``TCPCoalescing/checksumsValid(_:_:)``).
    @inlinable
    init?(_ packet: UnsafeRawBufferPointer) {
        guard let (version, headerLength) = PacketCoalescing.plainIPHeader(packet, transport: 6),
            packet.count >= headerLength + 20
        else { return nil }
        ipVersion = version
        ipHeaderLength = headerLength
        let tcp = packet.baseAddress.unsafelyUnwrapped + ipHeaderLength
        tcpHeaderLength = Int(tcp.load(fromByteOffset: 12, as: UInt8.self) >> 4) * 4
        guard tcpHeaderLength >= 20, ipHeaderLength + tcpHeaderLength < packet.count else { return nil }
        flags = tcp.load(fromByteOffset: 13, as: UInt8.self)
        guard flags & ~TCPFlags.psh == TCPFlags.ack else { return nil }
        payloadLength = packet.count - ipHeaderLength - tcpHeaderLength
        sequence = tcp.loadBigEndian32(at: 4)
    }
}
