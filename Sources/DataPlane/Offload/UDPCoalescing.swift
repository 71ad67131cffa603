/// Coalescing of decrypted UDP datagrams into super-packets for a TUN that takes UDP segmentation offload (USO):
/// GRO in userspace for UDP, as the kernel's own UDP GRO does for a socket that asks for it.
///
/// Each datagram written to a TUN device on its own costs the kernel a full trip through its IP and UDP receive
/// paths; a run of datagrams of one flow written as one USO super-packet costs about one, and a receiver with
/// `UDP_GRO` on reads the whole run in one call (the kernel splits it for any other receiver, or when it is
/// forwarded). The rules: IPv4 without options and not a fragment, or IPv6 without extension headers; the same
/// addresses, ports and IP header fields but the IPv4 identification; valid, non-zero UDP checksums; every
/// datagram as long as the first but the last, which may be shorter and ends the run; at most
/// ``maximumSegments`` datagrams and 65535 bytes.
///
/// UDP has no sequence number to keep a run in order, so a datagram that cannot join a run of its flow ends that
/// run (``endRuns(of:in:)``): otherwise a later datagram could join the earlier run and overtake it.
public enum UDPCoalescing {
    /// Most datagrams in one super-packet: the UDP GSO segment limit of kernels before 6.9 (`UDP_MAX_SEGMENTS`).
    public static let maximumSegments = 64

    /// Writes a zeroed virtio header then `packet` (a complete IP packet) at the start of `destination`
    /// (>= 65535 + ``VirtioNetHeader/size`` bytes). Returns the bytes written and, when later datagrams may be
    /// appended, a group to append to; a nil group means the packet was written as a lone packet.
    @inlinable
    public static func start(
        _ packet: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) -> (length: Int, group: CoalesceGroup?) {
        let total = PacketCoalescing.copyAlone(packet, into: destination)
        guard let datagram = UDPDatagramHeaders(packet), let addressSum = checksumsValid(packet, datagram) else {
            return (total, nil)
        }
        return (total, CoalesceGroup(datagram: datagram, addressSum: addressSum))
    }

    /// Appends `packet`'s payload if it continues `group` (see the type's rules). Returns false, changing
    /// nothing, when it does not; the caller then starts a new group.
    @inlinable
    public static func append(
        _ packet: UnsafeRawBufferPointer, to group: inout CoalesceGroup, in destination: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard !group.isEnded, group.transportProtocol == UDPDatagramHeaders.udp, group.count < maximumSegments,
            let datagram = UDPDatagramHeaders(packet),
            datagram.ipVersion == group.ipVersion,
            datagram.payloadLength <= group.segmentSize,
            group.length + datagram.payloadLength <= 65535,
            VirtioNetHeader.size + group.length + datagram.payloadLength <= destination.count
        else { return false }
        let superPacket = destination.baseAddress.unsafelyUnwrapped + VirtioNetHeader.size
        let ip = packet.baseAddress.unsafelyUnwrapped
        guard headersMatch(UnsafeRawPointer(superPacket), ip, ipVersion: datagram.ipVersion),
            checksumsValid(packet, datagram) == group.addressSum
        else { return false }
        (superPacket + group.length).copyMemory(from: ip + group.headerLength, byteCount: datagram.payloadLength)
        group._length += datagram.payloadLength
        group._count += 1
        if datagram.payloadLength < group.segmentSize { group._isEnded = true }
        return true
    }

    /// Ends `group`, whose super-packet is in `destination`, when it is a UDP run between the same two addresses
    /// as `packet`, a UDP datagram (IPv4) or an IPv6 packet that is not TCP, that did not join it: nothing after
    /// `packet` may then join the run, or it would reach the TUN device before `packet`. Comparing the addresses
    /// only (not ports, which a fragment or a packet with options hides) may end a run early, never reorder one.
    @inlinable
    public static func endRuns(
        of packet: UnsafeRawBufferPointer, in group: inout CoalesceGroup,
        at destination: UnsafeMutableRawBufferPointer
    ) {
        guard group.transportProtocol == UDPDatagramHeaders.udp, !group.isEnded, let ip = packet.baseAddress,
            packet.count >= 20
        else { return }
        let version = ip.load(as: UInt8.self) >> 4
        guard version == group.ipVersion, version == 4 || packet.count >= 40 else { return }
        let sameKind = version == 4
            ? ip.load(fromByteOffset: 9, as: UInt8.self) == UDPDatagramHeaders.udp
            : ip.load(fromByteOffset: 6, as: UInt8.self) != 6
        // The run's first header, which its later datagrams matched, heads the super-packet.
        let first = UnsafeRawPointer(destination.baseAddress.unsafelyUnwrapped + VirtioNetHeader.size)
        if sameKind && addressesMatch(first, ip, ipVersion: version) { group._isEnded = true }
    }

    /// Whether two IP headers of version `ipVersion` have the same source and destination addresses.
    @inlinable
    static func addressesMatch(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, ipVersion: UInt8) -> Bool {
        let (start, end) = ipVersion == 4 ? (12, 20) : (8, 40)
        var offset = start
        while offset < end {
            guard a.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                == b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset += 8
        }
        return true
    }

    /// Completes the super-packet (see ``PacketCoalescing/finish(_:in:)``); returns the total bytes.
    @inlinable
    public static func finish(_ group: CoalesceGroup, in destination: UnsafeMutableRawBufferPointer) -> Int {
        PacketCoalescing.finish(group, in: destination)
    }

    /// Whether `packet`'s flow key equals the super-packet's first headers: IPv4 version/IHL, TOS, flags and
    /// fragment offset, TTL, protocol and addresses (not the identification), or the whole IPv6 header but the
    /// payload length; then both UDP ports.
    @inlinable
    static func headersMatch(_ group: UnsafeRawPointer, _ packet: UnsafeRawPointer, ipVersion: UInt8) -> Bool {
        func same<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> Bool {
            group.loadUnaligned(fromByteOffset: offset, as: T.self)
                == packet.loadUnaligned(fromByteOffset: offset, as: T.self)
        }
        if ipVersion == 4 {
            return same(0, UInt16.self) && same(6, UInt32.self) && same(12, UInt64.self) && same(20, UInt32.self)
        }
        return same(0, UInt32.self) && same(6, UInt16.self) && same(8, UInt64.self) && same(16, UInt64.self)
            && same(24, UInt64.self) && same(32, UInt64.self) && same(40, UInt32.self)
    }

    /// The packet's address sum when its IPv4 header checksum (for IPv4) and UDP checksum are valid and the UDP
    /// checksum is not 0 (IPv4's "none"), else nil.
    @inlinable
    static func checksumsValid(_ packet: UnsafeRawBufferPointer, _ datagram: UDPDatagramHeaders) -> UInt32? {
        guard packet.baseAddress.unsafelyUnwrapped.loadBigEndian16(at: datagram.ipHeaderLength + 6) != 0 else {
            return nil
        }
        return PacketCoalescing.checksumsValid(
            packet, ipVersion: datagram.ipVersion, ipHeaderLength: datagram.ipHeaderLength,
            transport: UDPDatagramHeaders.udp)
    }
}

/// The fields of a UDP datagram that decide whether it can join a group.
@usableFromInline
struct UDPDatagramHeaders {
    /// The IP protocol number of UDP.
    @usableFromInline static let udp: UInt8 = 17

    @usableFromInline var ipVersion: UInt8
    @usableFromInline var ipHeaderLength: Int
    @usableFromInline var payloadLength: Int

    /// Parses `packet` as a UDP datagram that may be coalesced: IPv4 without options and not a fragment, or IPv6
    /// without extension headers; IP and UDP lengths consistent with the packet; a payload. Nil otherwise.
    /// Checksums are not checked here (see ``UDPCoalescing/checksumsValid(_:_:)``).
    @inlinable
    init?(_ packet: UnsafeRawBufferPointer) {
        guard let (version, headerLength) = PacketCoalescing.plainIPHeader(packet, transport: Self.udp),
            packet.count > headerLength + 8,
            Int(packet.baseAddress.unsafelyUnwrapped.loadBigEndian16(at: headerLength + 4))
                == packet.count - headerLength
        else { return nil }
        ipVersion = version
        ipHeaderLength = headerLength
        payloadLength = packet.count - headerLength - 8
    }
}
