/// Why a packet read from a TUN device with offloads cannot be turned into IP packets; the caller drops it.
public enum OffloadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the virtio-net header and the headers it describes need.
    case truncated(length: Int, needed: Int)
    /// The IP packet is longer than its 16-bit length field can state.
    case tooLong(length: Int)
    /// The first nibble of the IP packet is neither 4 nor 6.
    case unknownIPVersion(UInt8)
    /// The IPv4 header length field is below 20 bytes or runs past the packet.
    case invalidIPv4HeaderLength(Int)
    /// An IPv4 fragment cannot be a segmentation super-packet.
    case ipv4Fragment
    /// An IPv6 extension header this code does not walk (fragment, ESP, AH, ...).
    case unsupportedIPv6ExtensionHeader(UInt8)
    /// The virtio-net GSO type is not one this project turns on (UFO, or an unknown value).
    case unsupportedGSOType(UInt8)
    /// The GSO type does not match the IP version or transport protocol of the packet.
    case gsoTypeMismatch(gsoType: UInt8, ipVersion: UInt8, ipProtocol: UInt8)
    /// The TCP data offset is below 20 bytes or runs past the packet.
    case invalidTCPHeaderLength(Int)
    /// The checksum start or offset points outside the packet or away from the transport header.
    case checksumOutOfRange(start: Int, offset: Int, length: Int)
    /// A GSO packet with a segment size of 0.
    case zeroSegmentSize
    /// More segments than ``SegmentationPlan/maximumSegmentCount``.
    case tooManySegments(Int)

    public var description: String {
        switch self {
        case .truncated(let length, let needed):
            "packet of \(length) bytes is shorter than its headers need (\(needed) bytes)"
        case .tooLong(let length):
            "IP packet of \(length) bytes is longer than its length field can state"
        case .unknownIPVersion(let version):
            "IP version \(version) is neither 4 nor 6"
        case .invalidIPv4HeaderLength(let length):
            "IPv4 header length \(length) is below 20 or past the end of the packet"
        case .ipv4Fragment:
            "an IPv4 fragment cannot be segmented"
        case .unsupportedIPv6ExtensionHeader(let header):
            "IPv6 extension header \(header) is not supported for segmentation"
        case .unsupportedGSOType(let type):
            "virtio-net GSO type \(type) is not supported (only none, TCPv4, TCPv6 and UDP L4)"
        case .gsoTypeMismatch(let type, let version, let ipProtocol):
            "virtio-net GSO type \(type) does not fit an IPv\(version) packet of protocol \(ipProtocol)"
        case .invalidTCPHeaderLength(let length):
            "TCP header length \(length) is below 20 or past the end of the packet"
        case .checksumOutOfRange(let start, let offset, let length):
            "checksum start \(start) + offset \(offset) is outside the \(length)-byte packet or its L4 header"
        case .zeroSegmentSize:
            "a GSO packet has segment size 0"
        case .tooManySegments(let count):
            "the super-packet would be \(count) segments, more than \(SegmentationPlan.maximumSegmentCount)"
        }
    }
}
