/// Why bytes were not accepted as an IP packet header.
public enum IPHeaderError: Error, Equatable, Sendable {
    /// Fewer bytes than the fixed header of the version in the first nibble.
    case truncated
    /// The version nibble is neither 4 nor 6.
    case unknownVersion(UInt8)
    /// The header's length fields contradict each other or the bytes available.
    case invalidLength
}

/// The few header fields the tunnel needs from an IPv4 or IPv6 packet: version, addresses, total length.
///
/// WireGuard routes an outgoing packet by its destination, checks a decrypted packet's source against
/// the peer's allowed IPs, and trims the zero padding after decryption using the total length. Nothing
/// else of the header is interpreted, so this reader is small and never allocates.
public struct IPPacketHeader: Equatable, Sendable {
    /// 4 or 6.
    public let version: UInt8
    /// The source address.
    public let source: IPAddress
    /// The destination address.
    public let destination: IPAddress
    /// Header plus payload, in bytes, as the header states it.
    public let totalLength: Int

    /// Bytes in an IPv4 header without options.
    public static let ipv4MinimumLength = 20
    /// Bytes in the fixed IPv6 header.
    public static let ipv6HeaderLength = 40

    /// Parses the header at the start of `bytes`; the stated total length must fit in `bytes`.
    @inlinable
    public init(parsing bytes: UnsafeRawBufferPointer) throws(IPHeaderError) {
        guard let base = bytes.baseAddress, bytes.count >= 1 else { throw .truncated }
        let version = base.load(as: UInt8.self) >> 4
        switch version {
        case 4:
            guard bytes.count >= Self.ipv4MinimumLength else { throw .truncated }
            let headerLength = Int(base.load(as: UInt8.self) & 0x0F) * 4
            let total = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            guard headerLength >= Self.ipv4MinimumLength, total >= headerLength, total <= bytes.count else {
                throw .invalidLength
            }
            self.version = 4
            self.source = .v4(IPv4Address(loadingFrom: base + 12))
            self.destination = .v4(IPv4Address(loadingFrom: base + 16))
            self.totalLength = total
        case 6:
            guard bytes.count >= Self.ipv6HeaderLength else { throw .truncated }
            let payload = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
            let total = Self.ipv6HeaderLength + payload
            guard total <= bytes.count else { throw .invalidLength }
            self.version = 6
            self.source = .v6(IPv6Address(loadingFrom: base + 8))
            self.destination = .v6(IPv6Address(loadingFrom: base + 24))
            self.totalLength = total
        default:
            throw .unknownVersion(version)
        }
    }
}
