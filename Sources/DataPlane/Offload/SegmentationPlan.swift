/// How one packet read from a TUN with offloads (virtio-net header + IP packet) becomes MTU-sized IP packets.
///
/// The kernel hands a TUN with TSO/USO on one TCP or UDP super-packet of up to 64 KiB per read, its L4 checksum
/// left for us to compute. The plan is parsed once from the headers (nothing is copied or allocated), then each
/// segment is written out complete, ready to encrypt: the IP and transport headers repeated with lengths, IPv4
/// id, TCP sequence number and flags adjusted, and every checksum computed.
public struct SegmentationPlan: Sendable {
    /// The most segments one super-packet may be cut into (64 KiB at the smallest sensible MSS).
    public static let maximumSegmentCount = 128

    /// The header read in front of the packet.
    public let header: VirtioNetHeader
    /// 4 or 6.
    public let ipVersion: UInt8
    /// The IPv4 header length, or 40 for IPv6.
    @usableFromInline let ipHeaderLength: Int
    /// Where the transport header starts (after IPv4 options or IPv6 extension headers); GSO only.
    @usableFromInline let transportOffset: Int
    /// IP and transport headers repeated in front of every segment; the whole packet for gso none.
    @usableFromInline let headerLength: Int
    /// Payload bytes per segment, or 0 for a packet that is not segmented.
    @usableFromInline let gsoSize: Int
    /// The IP packet's length (the bytes after the virtio-net header).
    @usableFromInline let packetLength: Int
    /// Whether the transport is TCP (else UDP); GSO only.
    @usableFromInline let isTCP: Bool
    /// The pseudo-header sum of source and destination addresses; GSO only.
    @usableFromInline let addressSum: UInt32
    /// How many IP packets the super-packet becomes: 1 for gso none.
    public let segmentCount: Int

    /// `packet` starts with the virtio-net header. Validates everything (lengths, IP version, header lengths,
    /// gso type vs protocol, checksum start/offset inside the packet, gsoSize > 0 for GSO, segment count
    /// <= ``maximumSegmentCount``); throws on anything malformed (the caller counts and drops).
    @inlinable
    public init(parsing packet: UnsafeRawBufferPointer) throws(OffloadError) {
        let size = VirtioNetHeader.size
        guard let base = packet.baseAddress, packet.count > size else {
            throw .truncated(length: packet.count, needed: size + 20)
        }
        let header = VirtioNetHeader(loadingFrom: base)
        let ip = base + size
        let length = packet.count - size
        let version = ip.load(as: UInt8.self) >> 4
        let ipHeaderLength: Int
        let nextProtocol: UInt8
        switch version {
        case 4:
            guard length >= 20 else { throw .truncated(length: packet.count, needed: size + 20) }
            guard length <= 65535 else { throw .tooLong(length: length) }
            ipHeaderLength = Int(ip.load(as: UInt8.self) & 0x0F) * 4
            guard ipHeaderLength >= 20, ipHeaderLength <= length else {
                throw .invalidIPv4HeaderLength(ipHeaderLength)
            }
            nextProtocol = ip.load(fromByteOffset: 9, as: UInt8.self)
        case 6:
            guard length >= 40 else { throw .truncated(length: packet.count, needed: size + 40) }
            guard length - 40 <= 65535 else { throw .tooLong(length: length) }
            ipHeaderLength = 40
            nextProtocol = ip.load(fromByteOffset: 6, as: UInt8.self)
        default:
            throw .unknownIPVersion(version)
        }
        self.header = header
        self.ipVersion = version
        self.ipHeaderLength = ipHeaderLength
        self.packetLength = length
        let type = header.gsoType & ~VirtioNetHeader.gsoECN
        let checksumStart = Int(header.checksumStart)
        let checksumOffset = Int(header.checksumOffset)
        guard type != VirtioNetHeader.gsoNone else {
            if header.flags & VirtioNetHeader.needsChecksum != 0, checksumStart + checksumOffset + 2 > length {
                throw .checksumOutOfRange(start: checksumStart, offset: checksumOffset, length: length)
            }
            self.transportOffset = ipHeaderLength
            self.headerLength = length
            self.gsoSize = 0
            self.isTCP = false
            self.addressSum = 0
            self.segmentCount = 1
            return
        }
        let isTCP: Bool
        switch type {
        case VirtioNetHeader.gsoTCPv4: isTCP = true
        case VirtioNetHeader.gsoTCPv6: isTCP = true
        case VirtioNetHeader.gsoUDPL4: isTCP = false
        default: throw .unsupportedGSOType(header.gsoType)
        }
        let wanted: UInt8 = isTCP ? 6 : 17
        let versionFits = type == VirtioNetHeader.gsoUDPL4 || (type == VirtioNetHeader.gsoTCPv4) == (version == 4)
        guard versionFits else {
            throw .gsoTypeMismatch(gsoType: header.gsoType, ipVersion: version, ipProtocol: nextProtocol)
        }
        let transportOffset: Int
        if version == 4 {
            guard ip.loadBigEndian16(at: 6) & 0x3FFF == 0 else { throw .ipv4Fragment }
            guard nextProtocol == wanted else {
                throw .gsoTypeMismatch(gsoType: header.gsoType, ipVersion: version, ipProtocol: nextProtocol)
            }
            transportOffset = ipHeaderLength
        } else {
            transportOffset = try Self.ipv6TransportOffset(
                ip, length: length, next: nextProtocol, wanted: wanted, gsoType: header.gsoType)
        }
        guard checksumStart == transportOffset, checksumOffset == (isTCP ? 16 : 6) else {
            throw .checksumOutOfRange(start: checksumStart, offset: checksumOffset, length: length)
        }
        let transportHeaderLength: Int
        if isTCP {
            guard transportOffset + 20 <= length else {
                throw .truncated(length: packet.count, needed: size + transportOffset + 20)
            }
            transportHeaderLength = Int(ip.load(fromByteOffset: transportOffset + 12, as: UInt8.self) >> 4) * 4
            guard transportHeaderLength >= 20, transportOffset + transportHeaderLength <= length else {
                throw .invalidTCPHeaderLength(transportHeaderLength)
            }
        } else {
            guard transportOffset + 8 <= length else {
                throw .truncated(length: packet.count, needed: size + transportOffset + 8)
            }
            transportHeaderLength = 8
        }
        let gsoSize = Int(header.gsoSize)
        guard gsoSize > 0 else { throw .zeroSegmentSize }
        let headerLength = transportOffset + transportHeaderLength
        let payload = length - headerLength
        let count = payload == 0 ? 1 : (payload + gsoSize - 1) / gsoSize
        guard count <= Self.maximumSegmentCount else { throw .tooManySegments(count) }
        self.transportOffset = transportOffset
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.isTCP = isTCP
        self.segmentCount = count
        self.addressSum = version == 4 ? OffloadChecksum.sum(ip + 12, count: 8) : OffloadChecksum.sum(ip + 8, count: 32)
    }

    /// Walks the IPv6 hop-by-hop, routing and destination-options headers to the transport header, which must be
    /// `wanted` (6 or 17); returns its offset.
    @inlinable
    static func ipv6TransportOffset(
        _ ip: UnsafeRawPointer, length: Int, next first: UInt8, wanted: UInt8, gsoType: UInt8
    ) throws(OffloadError) -> Int {
        var next = first
        var offset = 40
        // Each extension header is at least 8 bytes, so the walk ends within the packet; cap it anyway.
        for _ in 0..<8 {
            switch next {
            case wanted:
                return offset
            case 0, 43, 60:
                guard offset + 8 <= length else { throw .truncated(length: length, needed: offset + 8) }
                next = ip.load(fromByteOffset: offset, as: UInt8.self)
                offset += (Int(ip.load(fromByteOffset: offset + 1, as: UInt8.self)) + 1) * 8
            case 6, 17:
                throw .gsoTypeMismatch(gsoType: gsoType, ipVersion: 6, ipProtocol: next)
            default:
                throw .unsupportedIPv6ExtensionHeader(next)
            }
        }
        throw .unsupportedIPv6ExtensionHeader(next)
    }

    /// IP length of every segment except possibly the last.
    @inlinable
    public var fullSegmentLength: Int {
        segmentCount == 1 ? packetLength : headerLength + gsoSize
    }

    /// IP length of segment `index`.
    @inlinable
    public func segmentLength(_ index: Int) -> Int {
        precondition(index >= 0 && index < segmentCount, "segment index out of range")
        if segmentCount == 1 { return packetLength }
        guard index == segmentCount - 1 else { return headerLength + gsoSize }
        return packetLength - index * gsoSize
    }

    /// Writes IP packet `index` (complete, ready to encrypt) to `destination`; returns its length.
    ///
    /// IPv4: total length, id + index, header checksum; IPv6: payload length; TCP: seq + index*gsoSize, FIN/PSH
    /// only on the last segment, CWR only on the first; UDP (udpL4): length; full L4 checksum computed.
    /// For gso none with needsChecksum: the packet with its checksum completed; without: the packet as is.
    /// `destination` must hold ``segmentLength(_:)`` bytes and must not overlap `packet`.
    @inlinable
    public func writeSegment(
        _ index: Int, from packet: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer
    ) -> Int {
        precondition(index >= 0 && index < segmentCount, "segment index out of range")
        precondition(packet.count == VirtioNetHeader.size + packetLength, "not the packet this plan was made for")
        let ip = packet.baseAddress.unsafelyUnwrapped + VirtioNetHeader.size
        guard gsoSize > 0 else {
            destination.copyMemory(from: ip, byteCount: packetLength)
            completeChecksumIfNeeded(destination)
            return packetLength
        }
        let payloadStart = headerLength + index * gsoSize
        let payload = Swift.min(gsoSize, packetLength - payloadStart)
        destination.copyMemory(from: ip, byteCount: headerLength)
        (destination + headerLength).copyMemory(from: ip + payloadStart, byteCount: payload)
        fixUp(destination, index: index, payload: payload)
        return headerLength + payload
    }

    /// Fast path for gso none: completes the checksum in place if needed and returns where the IP packet is
    /// (the range after the virtio header), so the caller encrypts it without a copy. Only valid when
    /// ``segmentCount`` is 1 (a GSO packet with one segment is fixed up in place the same way).
    @inlinable
    public func finishInPlace(_ packet: UnsafeMutableRawBufferPointer) -> Range<Int> {
        precondition(segmentCount == 1, "finishInPlace needs a plan with one segment")
        precondition(packet.count == VirtioNetHeader.size + packetLength, "not the packet this plan was made for")
        let ip = packet.baseAddress.unsafelyUnwrapped + VirtioNetHeader.size
        if gsoSize == 0 {
            completeChecksumIfNeeded(ip)
        } else {
            fixUp(ip, index: 0, payload: packetLength - headerLength)
        }
        return VirtioNetHeader.size..<(VirtioNetHeader.size + packetLength)
    }

    /// For gso none with needsChecksum: adds the bytes from checksumStart to the end to the partial sum the
    /// kernel left in the checksum field, and stores the complement.
    @inlinable
    func completeChecksumIfNeeded(_ ip: UnsafeMutableRawPointer) {
        guard header.flags & VirtioNetHeader.needsChecksum != 0 else { return }
        let start = Int(header.checksumStart)
        let field = start + Int(header.checksumOffset)
        let partial = UnsafeRawPointer(ip).loadBigEndian16(at: field)
        ip.storeBytes(of: 0, toByteOffset: field, as: UInt16.self)
        let total = OffloadChecksum.fold(
            UInt64(partial) &+ UInt64(OffloadChecksum.sum(ip + start, count: packetLength - start)))
        let checksum = ~total
        ip.storeBigEndian16(checksum == 0 ? 0xFFFF : checksum, at: field)
    }

    /// Adjusts the headers copied in front of segment `index` (with `payload` bytes after them) and computes
    /// its checksums.
    @inlinable
    func fixUp(_ segment: UnsafeMutableRawPointer, index: Int, payload: Int) {
        let length = headerLength + payload
        if ipVersion == 4 {
            segment.storeBigEndian16(UInt16(truncatingIfNeeded: length), at: 2)
            let id = UnsafeRawPointer(segment).loadBigEndian16(at: 4) &+ UInt16(truncatingIfNeeded: index)
            segment.storeBigEndian16(id, at: 4)
            OffloadChecksum.updateIPv4Header(segment, length: ipHeaderLength)
        } else {
            segment.storeBigEndian16(UInt16(truncatingIfNeeded: length - 40), at: 4)
        }
        let transport = segment + transportOffset
        let transportLength = length - transportOffset
        let checksumField: Int
        if isTCP {
            let sequence = UnsafeRawPointer(transport).loadBigEndian32(at: 4)
                &+ UInt32(truncatingIfNeeded: index &* gsoSize)
            transport.storeBigEndian32(sequence, at: 4)
            var flags = transport.load(fromByteOffset: 13, as: UInt8.self)
            if index != segmentCount - 1 { flags &= ~(TCPFlags.fin | TCPFlags.psh) }
            if index != 0 { flags &= ~TCPFlags.cwr }
            transport.storeBytes(of: flags, toByteOffset: 13, as: UInt8.self)
            checksumField = 16
        } else {
            transport.storeBigEndian16(UInt16(truncatingIfNeeded: transportLength), at: 4)
            checksumField = 6
        }
        transport.storeBytes(of: 0, toByteOffset: checksumField, as: UInt16.self)
        let pseudo = OffloadChecksum.pseudoHeader(
            addressSum: addressSum, protocol: isTCP ? 6 : 17, length: transportLength)
        let total = OffloadChecksum.fold(
            UInt64(pseudo) &+ UInt64(OffloadChecksum.sum(transport, count: transportLength)))
        let checksum = ~total
        transport.storeBigEndian16(checksum == 0 ? 0xFFFF : checksum, at: checksumField)
    }
}

/// TCP header flag bits (byte 13).
@usableFromInline
enum TCPFlags {
    @usableFromInline static let fin: UInt8 = 0x01
    @usableFromInline static let syn: UInt8 = 0x02
    @usableFromInline static let rst: UInt8 = 0x04
    @usableFromInline static let psh: UInt8 = 0x08
    @usableFromInline static let ack: UInt8 = 0x10
    @usableFromInline static let urg: UInt8 = 0x20
    @usableFromInline static let ece: UInt8 = 0x40
    @usableFromInline static let cwr: UInt8 = 0x80
}
