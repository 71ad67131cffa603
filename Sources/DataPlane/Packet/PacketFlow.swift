/// The layer-3 and layer-4 facts the zero-trust filters judge a packet by, read in place without allocating.
///
/// Filters need the transport protocol and ports, which for IPv6 sit behind a chain of extension headers,
/// and the fragment position, since only a first fragment carries ports. Parsing once into this value
/// lets the Gateway and Client apply filters and build ICMP errors from the same reading.
public struct PacketFlow: Sendable, Equatable {
    /// 4 or 6.
    public let version: UInt8
    /// The source address.
    public let source: IPAddress
    /// The destination address.
    public let destination: IPAddress
    /// The transport protocol, after any IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    public let protocolNumber: UInt8
    /// The TCP or UDP source port, when the packet holds one.
    public let sourcePort: UInt16?
    /// The TCP or UDP destination port, when the packet holds one.
    public let destinationPort: UInt16?
    /// The ICMP or ICMPv6 type, when the packet holds one.
    public let icmpType: UInt8?
    /// The ICMP or ICMPv6 code, when the packet holds one.
    public let icmpCode: UInt8?
    /// A fragment other than the first, which carries no transport header.
    public let isNonFirstFragment: Bool
    /// An ICMP error message (IPv4 types 3, 4, 5, 11, 12; ICMPv6 types 1-4), which must never be answered
    /// with another error.
    public let isICMPError: Bool
    /// Bytes of the IP header, with IPv4 options or IPv6 extension headers: where the transport header starts.
    public let headerLength: Int
    /// Header plus payload, as the header states it; bytes past it are padding.
    public let totalLength: Int

    /// The IP protocol number of TCP.
    public static let tcp: UInt8 = 6
    /// The IP protocol number of UDP.
    public static let udp: UInt8 = 17
    /// The IP protocol number of ICMP for IPv4.
    public static let icmpV4: UInt8 = 1
    /// The IP protocol number of ICMPv6.
    public static let icmpV6: UInt8 = 58
    /// More IPv6 extension headers than this marks the packet as an unknown protocol rather than walking on.
    public static let maximumExtensionHeaders = 8

    /// ICMP of the packet's own family: ICMPv4 in IPv4, ICMPv6 in IPv6.
    @inlinable
    public var isICMP: Bool {
        version == 4 ? protocolNumber == Self.icmpV4 : protocolNumber == Self.icmpV6
    }

    /// Parses the packet at the start of `packet`; its stated total length must fit.
    ///
    /// A truncated transport header is not an error: the ports or ICMP type are then nil and the filters
    /// deny it. A chain of IPv6 extension headers running past the packet is an error.
    @inlinable
    public init(parsing packet: UnsafeRawBufferPointer) throws(IPHeaderError) {
        let header = try IPPacketHeader(parsing: packet)
        // IPPacketHeader rejected an empty buffer, so the base address exists.
        let base = packet.baseAddress.unsafelyUnwrapped
        var transport: (protocolNumber: UInt8, offset: Int, nonFirstFragment: Bool)
        if header.version == 4 {
            let fragment = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
            transport = (
                base.load(fromByteOffset: 9, as: UInt8.self), Int(base.load(as: UInt8.self) & 0x0F) * 4,
                fragment & 0x1FFF != 0
            )
        } else {
            transport = try Self.walkExtensionHeaders(base, end: header.totalLength)
        }
        version = header.version
        source = header.source
        destination = header.destination
        protocolNumber = transport.protocolNumber
        isNonFirstFragment = transport.nonFirstFragment
        headerLength = transport.offset
        totalLength = header.totalLength

        let available = header.totalLength - transport.offset
        let transportBase = base + transport.offset
        let isICMP = header.version == 4 ? protocolNumber == Self.icmpV4 : protocolNumber == Self.icmpV6
        if !transport.nonFirstFragment, protocolNumber == Self.tcp || protocolNumber == Self.udp, available >= 4 {
            sourcePort = UInt16(bigEndian: transportBase.loadUnaligned(as: UInt16.self))
            destinationPort = UInt16(bigEndian: transportBase.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        } else {
            sourcePort = nil
            destinationPort = nil
        }
        if !transport.nonFirstFragment, isICMP, available >= 2 {
            let type = transportBase.load(as: UInt8.self)
            icmpType = type
            icmpCode = transportBase.load(fromByteOffset: 1, as: UInt8.self)
            isICMPError = Self.isError(icmpType: type, version: header.version)
        } else {
            icmpType = nil
            icmpCode = nil
            // A non-first fragment of an ICMP message hides its type; it cannot be answered either way.
            isICMPError = false
        }
    }

    /// Whether an ICMP type of the family is an error message; a switch, since an array literal would allocate.
    @inlinable
    static func isError(icmpType: UInt8, version: UInt8) -> Bool {
        if version == 4 {
            switch icmpType {
            case 3, 4, 5, 11, 12: return true
            default: return false
            }
        }
        return icmpType >= 1 && icmpType <= 4
    }

    /// Follows IPv6 extension headers from the fixed header to the transport header.
    ///
    /// Stops at a non-first fragment, whose payload is the middle of the original packet, and after
    /// `maximumExtensionHeaders`, leaving an extension-header number that no filter but allowAll passes.
    @inlinable
    static func walkExtensionHeaders(
        _ base: UnsafeRawPointer, end: Int
    ) throws(IPHeaderError) -> (protocolNumber: UInt8, offset: Int, nonFirstFragment: Bool) {
        var next = base.load(fromByteOffset: 6, as: UInt8.self)
        var offset = IPPacketHeader.ipv6HeaderLength
        for _ in 0..<maximumExtensionHeaders {
            let length: Int
            switch next {
            case 0, 43, 60:  // hop-by-hop, routing, destination options: length in 8-byte units past the first
                guard end - offset >= 2 else { throw .invalidLength }
                length = (Int(base.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
            case 51:  // authentication header: length in 4-byte units past the first two
                guard end - offset >= 2 else { throw .invalidLength }
                length = (Int(base.load(fromByteOffset: offset + 1, as: UInt8.self)) + 2) * 4
            case 44:  // fragment
                guard end - offset >= 8 else { throw .invalidLength }
                let fragment = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self))
                let following = base.load(fromByteOffset: offset, as: UInt8.self)
                if fragment >> 3 != 0 { return (following, offset + 8, true) }
                length = 8
            default:
                return (next, offset, false)
            }
            guard end - offset >= length else { throw .invalidLength }
            next = base.load(fromByteOffset: offset, as: UInt8.self)
            offset += length
        }
        return (next, offset, false)
    }
}
