/// Coalescing of decrypted TCP segments into super-packets for a TUN with offloads (GRO in userspace).
///
/// One TUN write of a 64 KiB super-packet costs the kernel about as much as one of a 1400-byte packet, so
/// segments of one flow that continue each other are joined, with the same rules as the kernel's own GRO and
/// wireguard-go: only ACK or ACK+PSH segments, equal headers and options, adjacent sequence numbers, and
/// nothing after a PSH or a short segment. Everything else is written as a lone packet.
public enum TCPCoalescing {
    /// Writes a zeroed virtio header then `packet` (a complete IP packet) at the start of `destination`
    /// (>= 65535 + ``VirtioNetHeader/size`` bytes). Returns the bytes written and, when more segments may be
    /// appended (IPv4/IPv6 TCP without IP options or extension headers, ACK set, no SYN/FIN/RST/URG/ECE/CWR,
    /// payload > 0, not PSH, valid checksums), a group to append to; a nil group means the packet was written as
    /// a lone packet (still valid to send).
    @inlinable
    public static func start(
        _ packet: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) -> (length: Int, group: CoalesceGroup?) {
        let total = PacketCoalescing.copyAlone(packet, into: destination)
        guard let segment = TCPSegmentHeaders(packet), segment.flags & TCPFlags.psh == 0,
            let addressSum = checksumsValid(packet, segment)
        else { return (total, nil) }
        return (total, CoalesceGroup(segment: segment, addressSum: addressSum))
    }

    /// Appends `packet`'s payload if it continues `group`: same addresses, ports and IP version, equal
    /// TOS/TTL/DF/flow label, equal TCP header length and option bytes, equal ACK number and flags (but PSH),
    /// seq == next, payload length <= the group's segment size and the group not already ended by a short or
    /// PSH segment, total IP length <= 65535, checksums of the packet valid. A PSH or shorter segment may be
    /// appended as the last one. Returns false (and changes nothing) when it does not fit; the caller then
    /// starts a new group.
    @inlinable
    public static func append(
        _ packet: UnsafeRawBufferPointer, to group: inout CoalesceGroup, in destination: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard !group.isEnded, group.transportProtocol == 6, let segment = TCPSegmentHeaders(packet),
            segment.ipVersion == group.ipVersion,
            segment.ipHeaderLength + segment.tcpHeaderLength == group.headerLength,
            segment.payloadLength <= group.segmentSize,
            segment.sequence == group.nextSequence,
            group.length + segment.payloadLength <= 65535,
            VirtioNetHeader.size + group.length + segment.payloadLength <= destination.count
        else { return false }
        let base = destination.baseAddress.unsafelyUnwrapped
        let superPacket = base + VirtioNetHeader.size
        let ip = packet.baseAddress.unsafelyUnwrapped
        guard headersMatch(UnsafeRawPointer(superPacket), ip, segment),
            checksumsValid(packet, segment) == group.addressSum
        else { return false }
        (superPacket + group.length).copyMemory(from: ip + group.headerLength, byteCount: segment.payloadLength)
        let isPush = segment.flags & TCPFlags.psh != 0
        if isPush {
            let flagsOffset = group.ipHeaderLength + 13
            let flags = superPacket.load(fromByteOffset: flagsOffset, as: UInt8.self)
            superPacket.storeBytes(of: flags | TCPFlags.psh, toByteOffset: flagsOffset, as: UInt8.self)
        }
        group._length += segment.payloadLength
        group._count += 1
        group._nextSequence &+= UInt32(truncatingIfNeeded: segment.payloadLength)
        if isPush || segment.payloadLength < group.segmentSize { group._isEnded = true }
        return true
    }

    /// Completes the super-packet (see ``PacketCoalescing/finish(_:in:)``); returns the total bytes.
    @inlinable
    public static func finish(_ group: CoalesceGroup, in destination: UnsafeMutableRawBufferPointer) -> Int {
        PacketCoalescing.finish(group, in: destination)
    }

    /// Whether the flow key of `packet` equals the super-packet's first headers: IPv4 version/IHL, TOS,
    /// DF/fragment, TTL, protocol and addresses, or IPv6 version, traffic class, flow label, next header, hop
    /// limit and addresses; then TCP ports, ACK number, data offset, flags but PSH, and option bytes.
    @inlinable
    static func headersMatch(_ group: UnsafeRawPointer, _ packet: UnsafeRawPointer, _ segment: TCPSegmentHeaders)
        -> Bool
    {
        func same<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> Bool {
            group.loadUnaligned(fromByteOffset: offset, as: T.self)
                == packet.loadUnaligned(fromByteOffset: offset, as: T.self)
        }
        if segment.ipVersion == 4 {
            guard same(0, UInt16.self), same(6, UInt32.self), same(12, UInt64.self) else { return false }
        } else {
            guard same(0, UInt32.self), same(6, UInt16.self), same(8, UInt64.self), same(16, UInt64.self),
                same(24, UInt64.self), same(32, UInt64.self)
            else { return false }
        }
        let tcp = segment.ipHeaderLength
        guard same(tcp, UInt32.self), same(tcp + 8, UInt32.self), same(tcp + 12, UInt8.self) else { return false }
        let groupFlags = group.load(fromByteOffset: tcp + 13, as: UInt8.self)
        guard groupFlags & ~TCPFlags.psh == segment.flags & ~TCPFlags.psh else { return false }
        var offset = tcp + 20
        let end = tcp + segment.tcpHeaderLength
        while offset + 4 <= end {
            guard same(offset, UInt32.self) else { return false }
            offset += 4
        }
        return true
    }

    /// The packet's address sum when its IPv4 header checksum (for IPv4) and TCP checksum are valid, else nil.
    @inlinable
    static func checksumsValid(_ packet: UnsafeRawBufferPointer, _ segment: TCPSegmentHeaders) -> UInt32? {
        PacketCoalescing.checksumsValid(
            packet, ipVersion: segment.ipVersion, ipHeaderLength: segment.ipHeaderLength, transport: 6)
    }
}
