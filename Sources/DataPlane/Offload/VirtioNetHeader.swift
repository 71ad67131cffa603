/// The 10-byte virtio-net header (host byte order, little-endian here) in front of every TUN packet with offloads.
///
/// With `IFF_VNET_HDR` the kernel hands the tunnel TCP and UDP super-packets of up to 64 KiB whose checksum is
/// left partial, and describes in this header how to cut them into wire-sized packets; on the way back a packet
/// written with a header asking for segmentation lets one write carry many TCP segments of one flow.
public struct VirtioNetHeader: Equatable, Sendable {
    /// Bytes in the header (`struct virtio_net_hdr`, without the `num_buffers` field).
    public static let size = 10

    /// ``flags`` bit: the L4 checksum is partial; complete it from ``checksumStart`` to the end.
    public static let needsChecksum: UInt8 = 1
    /// ``flags`` bit: the checksum is already known to be valid.
    public static let dataValid: UInt8 = 2

    /// ``gsoType``: a single packet, no segmentation.
    public static let gsoNone: UInt8 = 0
    /// ``gsoType``: an IPv4 TCP super-packet.
    public static let gsoTCPv4: UInt8 = 1
    /// ``gsoType``: UDP fragmentation offload (UFO), never turned on by this project.
    public static let gsoUDP: UInt8 = 3
    /// ``gsoType``: an IPv6 TCP super-packet.
    public static let gsoTCPv6: UInt8 = 4
    /// ``gsoType``: a UDP super-packet cut into datagrams (USO), IPv4 or IPv6.
    public static let gsoUDPL4: UInt8 = 5
    /// ``gsoType`` bit: the TCP super-packet carries ECN (CWR set on its first segment).
    public static let gsoECN: UInt8 = 0x80

    /// ``needsChecksum`` and ``dataValid`` bits.
    public var flags: UInt8
    /// One of the `gso...` types, possibly with ``gsoECN``.
    public var gsoType: UInt8
    /// Bytes of IP and transport headers in front of the payload (the kernel's value is only a hint).
    public var headerLength: UInt16
    /// Payload bytes per segment.
    public var gsoSize: UInt16
    /// Where the L4 checksum coverage starts, from the start of the IP packet.
    public var checksumStart: UInt16
    /// Where the checksum field is, from ``checksumStart`` (16 for TCP, 6 for UDP).
    public var checksumOffset: UInt16

    /// A header with every field given; the default is all zero, a lone packet with nothing to do.
    @inlinable
    public init(
        flags: UInt8 = 0,
        gsoType: UInt8 = 0,
        headerLength: UInt16 = 0,
        gsoSize: UInt16 = 0,
        checksumStart: UInt16 = 0,
        checksumOffset: UInt16 = 0
    ) {
        self.flags = flags
        self.gsoType = gsoType
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    /// Reads the header from the ``size`` bytes at `source`.
    @inlinable
    public init(loadingFrom source: UnsafeRawPointer) {
        flags = source.load(as: UInt8.self)
        gsoType = source.load(fromByteOffset: 1, as: UInt8.self)
        headerLength = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        gsoSize = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        checksumStart = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        checksumOffset = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    /// Writes the header to the ``size`` bytes at `destination`.
    @inlinable
    public func store(to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: flags, as: UInt8.self)
        destination.storeBytes(of: gsoType, toByteOffset: 1, as: UInt8.self)
        destination.storeBytes(of: headerLength.littleEndian, toByteOffset: 2, as: UInt16.self)
        destination.storeBytes(of: gsoSize.littleEndian, toByteOffset: 4, as: UInt16.self)
        destination.storeBytes(of: checksumStart.littleEndian, toByteOffset: 6, as: UInt16.self)
        destination.storeBytes(of: checksumOffset.littleEndian, toByteOffset: 8, as: UInt16.self)
    }
}
