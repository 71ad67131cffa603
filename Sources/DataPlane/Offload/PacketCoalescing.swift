/// GRO in userspace for a TUN with offloads: each decrypted packet goes to ``TCPCoalescing`` or, where the TUN
/// takes UDP super-packets (USO), to ``UDPCoalescing``, by its IP protocol; everything else is written alone.
public enum PacketCoalescing {
    /// Writes `packet` behind a virtio header at the start of `destination` and returns the bytes written and,
    /// when later packets may be appended, a group (TCP, or UDP only with `udp`).
    @inlinable
    public static func start(
        _ packet: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, udp: Bool
    ) -> (length: Int, group: CoalesceGroup?) {
        if udp, isUDP(packet) { return UDPCoalescing.start(packet, into: destination) }
        return TCPCoalescing.start(packet, into: destination)
    }

    /// Appends `packet` to `group` if it continues it; false (nothing changed) otherwise.
    @inlinable
    public static func append(
        _ packet: UnsafeRawBufferPointer, to group: inout CoalesceGroup, in destination: UnsafeMutableRawBufferPointer
    ) -> Bool {
        group.transportProtocol == UDPDatagramHeaders.udp
            ? UDPCoalescing.append(packet, to: &group, in: destination)
            : TCPCoalescing.append(packet, to: &group, in: destination)
    }

    /// Completes `group`'s super-packet: for count > 1, the virtio header (needsChecksum; TCPv4, TCPv6 or UDP
    /// L4; gsoSize; headerLength; checksumStart = IP header length, checksumOffset 16 for TCP or 6 for UDP), the
    /// IP length fields and IPv4 header checksum, the UDP length, and the L4 checksum field set to the
    /// pseudo-header partial sum the kernel expects with needsChecksum (for UDP it adjusts that sum to each
    /// datagram's length when it cuts the run); for count == 1 nothing changes. Returns the total bytes (virtio
    /// header + IP packet).
    @inlinable
    public static func finish(_ group: CoalesceGroup, in destination: UnsafeMutableRawBufferPointer) -> Int {
        let total = VirtioNetHeader.size + group.length
        guard group.count > 1 else { return total }
        let udp = group.transportProtocol == UDPDatagramHeaders.udp
        let checksumOffset = udp ? 6 : 16
        let base = destination.baseAddress.unsafelyUnwrapped
        VirtioNetHeader(
            flags: VirtioNetHeader.needsChecksum,
            gsoType: udp
                ? VirtioNetHeader.gsoUDPL4 : group.ipVersion == 4 ? VirtioNetHeader.gsoTCPv4 : VirtioNetHeader.gsoTCPv6,
            headerLength: UInt16(group.headerLength),
            gsoSize: UInt16(group.segmentSize),
            checksumStart: UInt16(group.ipHeaderLength),
            checksumOffset: UInt16(checksumOffset)
        ).store(to: base)
        let ip = base + VirtioNetHeader.size
        finishIPHeader(group, at: ip)
        let transportLength = group.length - group.ipHeaderLength
        if udp { ip.storeBigEndian16(UInt16(transportLength), at: group.ipHeaderLength + 4) }
        let partial = OffloadChecksum.pseudoHeader(
            addressSum: group.addressSum, protocol: group.transportProtocol, length: transportLength)
        ip.storeBigEndian16(UInt16(truncatingIfNeeded: partial), at: group.ipHeaderLength + checksumOffset)
        return total
    }

    /// Writes a zeroed virtio header then `packet` at the start of `destination`; returns the bytes written.
    @inlinable
    static func copyAlone(_ packet: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int {
        let total = VirtioNetHeader.size + packet.count
        precondition(destination.count >= total, "coalescing destination too small for the packet")
        let base = destination.baseAddress.unsafelyUnwrapped
        VirtioNetHeader().store(to: base)
        if let source = packet.baseAddress {
            (base + VirtioNetHeader.size).copyMemory(from: source, byteCount: packet.count)
        }
        return total
    }

    /// Sets the IP length field of the super-packet at `ip` to `group`'s length (and recomputes the IPv4 header
    /// checksum).
    @inlinable
    static func finishIPHeader(_ group: CoalesceGroup, at ip: UnsafeMutableRawPointer) {
        if group.ipVersion == 4 {
            ip.storeBigEndian16(UInt16(group.length), at: 2)
            OffloadChecksum.updateIPv4Header(ip, length: group.ipHeaderLength)
        } else {
            ip.storeBigEndian16(UInt16(group.length - 40), at: 4)
        }
    }

    /// The IP version and header length of `packet` when it may join a group: IPv4 without options and not a
    /// fragment, or IPv6 without extension headers, carrying `transport`, its length field equal to the packet's
    /// (at most 65535 bytes); nil otherwise.
    @inlinable
    static func plainIPHeader(_ packet: UnsafeRawBufferPointer, transport: UInt8) -> (version: UInt8, length: Int)? {
        guard let ip = packet.baseAddress, packet.count >= 28, packet.count <= 65535 else { return nil }
        let first = ip.load(as: UInt8.self)
        switch first >> 4 {
        case 4:
            guard first == 0x45, Int(ip.loadBigEndian16(at: 2)) == packet.count,
                ip.loadBigEndian16(at: 6) & 0x3FFF == 0, ip.load(fromByteOffset: 9, as: UInt8.self) == transport
            else { return nil }
            return (4, 20)
        case 6:
            guard packet.count >= 48, Int(ip.loadBigEndian16(at: 4)) + 40 == packet.count,
                ip.load(fromByteOffset: 6, as: UInt8.self) == transport
            else { return nil }
            return (6, 40)
        default:
            return nil
        }
    }

    /// The packet's address sum when its IPv4 header checksum (for IPv4) and its TCP or UDP checksum are valid,
    /// else nil.
    @inlinable
    static func checksumsValid(
        _ packet: UnsafeRawBufferPointer, ipVersion: UInt8, ipHeaderLength: Int, transport: UInt8
    ) -> UInt32? {
        let ip = packet.baseAddress.unsafelyUnwrapped
        let addressSum: UInt32
        if ipVersion == 4 {
            guard OffloadChecksum.fold(UInt64(OffloadChecksum.sum(ip, count: 20))) == 0xFFFF else { return nil }
            addressSum = OffloadChecksum.sum(ip + 12, count: 8)
        } else {
            addressSum = OffloadChecksum.sum(ip + 8, count: 32)
        }
        let length = packet.count - ipHeaderLength
        let pseudo = OffloadChecksum.pseudoHeader(addressSum: addressSum, protocol: transport, length: length)
        let sum = OffloadChecksum.sum(ip + ipHeaderLength, count: length)
        guard OffloadChecksum.fold(UInt64(pseudo) &+ UInt64(sum)) == 0xFFFF else { return nil }
        return addressSum
    }

    /// Whether the IP protocol (IPv4) or first next header (IPv6) of `packet` is UDP.
    @inlinable
    static func isUDP(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard let ip = packet.baseAddress, packet.count >= 40 else { return false }
        switch ip.load(as: UInt8.self) >> 4 {
        case 4: return ip.load(fromByteOffset: 9, as: UInt8.self) == UDPDatagramHeaders.udp
        case 6: return ip.load(fromByteOffset: 6, as: UInt8.self) == UDPDatagramHeaders.udp
        default: return false
        }
    }
}
