import DataPlane
import Testing

/// Hand-built TCP and UDP packets, virtio-net super-packets, and an independent checker for the offload tests.
enum OffloadTestPackets {
    static let source4: [UInt8] = [10, 1, 2, 3]
    static let destination4: [UInt8] = [192, 168, 77, 9]
    static let source6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    static let destination6: [UInt8] = [0xfd, 0x00] + [UInt8](repeating: 0xab, count: 13) + [2]

    /// `count` bytes that tell their position apart.
    static func payload(_ count: Int, seed: Int = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 7) &+ ($0 >> 8) &+ seed) }
    }

    /// The fields of a test TCP segment; defaults are an ACK of a plain IPv4 flow.
    struct TCP {
        var version = 4
        var sourcePort: UInt16 = 40000
        var destinationPort: UInt16 = 443
        var sequence: UInt32 = 0xFFFF_F000  // wraps within a 64 KiB super-packet
        var acknowledgment: UInt32 = 0x0102_0304
        var flags: UInt8 = 0x10
        var window: UInt16 = 502
        var options: [UInt8] = []
        var identification: UInt16 = 0xFFF0  // wraps within a split
        var ttl: UInt8 = 64
        var tos: UInt8 = 0
        var flowLabel: UInt32 = 0x12345
        var ipv4Options: [UInt8] = []
        /// IPv6 extension headers in front of TCP: (next header value of this header, bytes).
        var ipv6Extensions: [(type: UInt8, bytes: [UInt8])] = []
    }

    /// A complete IP packet with `payload`, valid IP and TCP checksums.
    static func tcp(_ fields: TCP, payload: [UInt8]) -> [UInt8] {
        var tcp: [UInt8] = be16(fields.sourcePort) + be16(fields.destinationPort) + be32(fields.sequence)
            + be32(fields.acknowledgment)
        tcp += [UInt8((20 + fields.options.count) / 4) << 4, fields.flags] + be16(fields.window) + [0, 0, 0, 0]
        tcp += fields.options + payload
        return ip(fields, protocol: 6, transport: tcp, checksumAt: 16)
    }

    /// A complete IP packet with a UDP datagram of `payload`, valid checksums.
    static func udp(_ fields: TCP, payload: [UInt8]) -> [UInt8] {
        let udp = be16(fields.sourcePort) + be16(fields.destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0]
            + payload
        return ip(fields, protocol: 17, transport: udp, checksumAt: 6)
    }

    static func ip(_ fields: TCP, protocol ipProtocol: UInt8, transport: [UInt8], checksumAt: Int) -> [UInt8] {
        var transport = transport
        let pseudo = pseudoHeaderSum(version: fields.version, protocol: ipProtocol, length: transport.count)
        var checksum = ~fold(pseudo + wordSum(transport))
        if checksum == 0 { checksum = 0xFFFF }
        transport[checksumAt] = UInt8(checksum >> 8)
        transport[checksumAt + 1] = UInt8(checksum & 0xFF)
        if fields.version == 4 {
            let headerLength = 20 + fields.ipv4Options.count
            var header: [UInt8] = [0x40 | UInt8(headerLength / 4), fields.tos]
                + be16(UInt16(headerLength + transport.count))
            header += be16(fields.identification) + [0x40, 0, fields.ttl, ipProtocol, 0, 0] + source4 + destination4
            header += fields.ipv4Options
            let headerChecksum = ~fold(wordSum(header))
            header[10] = UInt8(headerChecksum >> 8)
            header[11] = UInt8(headerChecksum & 0xFF)
            return header + transport
        }
        var extensions: [UInt8] = []
        var next = ipProtocol
        for item in fields.ipv6Extensions.reversed() {
            var bytes = item.bytes
            bytes[0] = next
            extensions = bytes + extensions
            next = item.type
        }
        let label = fields.flowLabel
        var header: [UInt8] = [0x60 | fields.tos >> 4, fields.tos << 4 | UInt8(label >> 16 & 0x0F),
                               UInt8(label >> 8 & 0xFF), UInt8(label & 0xFF)]
        header += be16(UInt16(extensions.count + transport.count)) + [next, fields.ttl] + source6 + destination6
        return header + extensions + transport
    }

    /// `ip` behind a virtio-net header asking for segmentation by `gsoSize`, its L4 checksum field holding the
    /// pseudo-header sum as the kernel leaves it (CHECKSUM_PARTIAL).
    static func superPacket(_ ip: [UInt8], gsoType: UInt8, gsoSize: Int, transportOffset: Int? = nil) -> [UInt8] {
        let version = Int(ip[0] >> 4)
        let offset = transportOffset ?? (version == 4 ? Int(ip[0] & 0x0F) * 4 : ipv6Transport(ip).offset)
        let isTCP = gsoType & 0x7F != VirtioNetHeader.gsoUDPL4
        let checksumOffset = isTCP ? 16 : 6
        let header = VirtioNetHeader(
            flags: VirtioNetHeader.needsChecksum, gsoType: gsoType,
            headerLength: UInt16(offset + (isTCP ? Int(ip[offset + 12] >> 4) * 4 : 8)),
            gsoSize: UInt16(gsoSize), checksumStart: UInt16(offset), checksumOffset: UInt16(checksumOffset))
        return bytes(of: header) + partialChecksum(ip, start: offset, field: offset + checksumOffset)
    }

    /// `ip` with its L4 checksum replaced by the pseudo-header partial sum (for needsChecksum).
    static func partialChecksum(_ ip: [UInt8], start: Int, field: Int) -> [UInt8] {
        var ip = ip
        let version = Int(ip[0] >> 4)
        let ipProtocol = version == 4 ? ip[9] : (isTCPAt(ip, start) ? 6 : 17)
        let partial = fold(pseudoHeaderSum(version: version, protocol: ipProtocol, length: ip.count - start))
        ip[field] = UInt8(partial >> 8)
        ip[field + 1] = UInt8(partial & 0xFF)
        return ip
    }

    private static func isTCPAt(_ ip: [UInt8], _ start: Int) -> Bool {
        ipv6Transport(ip).next == 6
    }

    /// Walks a test IPv6 packet's extension headers: the transport protocol and where it starts.
    static func ipv6Transport(_ ip: [UInt8]) -> (next: UInt8, offset: Int) {
        var next = ip[6]
        var offset = 40
        while next == 0 || next == 43 || next == 60 || next == 44 {
            next = ip[offset]
            offset += (Int(ip[offset + 1]) + 1) * 8
        }
        return (next, offset)
    }

    static func bytes(of header: VirtioNetHeader) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: VirtioNetHeader.size)
        bytes.withUnsafeMutableBytes { header.store(to: $0.baseAddress!) }
        return bytes
    }

    /// Splits `superPacket` with a plan; returns every segment.
    static func split(_ superPacket: [UInt8]) throws -> [[UInt8]] {
        try superPacket.withUnsafeBytes { packet in
            let plan = try SegmentationPlan(parsing: packet)
            var segments: [[UInt8]] = []
            var scratch = [UInt8](repeating: 0, count: 65536)
            for index in 0..<plan.segmentCount {
                let length = scratch.withUnsafeMutableBytes {
                    plan.writeSegment(index, from: packet, to: $0.baseAddress!)
                }
                #expect(length == plan.segmentLength(index))
                if index < plan.segmentCount - 1 { #expect(length == plan.fullSegmentLength) }
                segments.append(Array(scratch[0..<length]))
            }
            return segments
        }
    }

    // MARK: - Independent checking

    /// What ``check(_:)`` found in a valid packet.
    struct Checked {
        var version: Int
        var ipProtocol: UInt8
        var transportOffset: Int
        var payloadOffset: Int
    }

    /// Verifies lengths, the IPv4 header checksum and the TCP/UDP checksum of `ip` (one word at a time, without
    /// the code under test); returns the transport offset, protocol and where the payload starts.
    @discardableResult
    static func check(_ ip: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Checked? {
        guard ip.count >= 20 else {
            Issue.record("packet of \(ip.count) bytes", sourceLocation: sourceLocation)
            return nil
        }
        let version = Int(ip[0] >> 4)
        var offset: Int
        var ipProtocol: UInt8
        if version == 4 {
            offset = Int(ip[0] & 0x0F) * 4
            ipProtocol = ip[9]
            #expect(Int(be16(ip, 2)) == ip.count, "IPv4 total length", sourceLocation: sourceLocation)
            #expect(fold(wordSum(Array(ip[0..<offset]))) == 0xFFFF, "IPv4 header checksum",
                    sourceLocation: sourceLocation)
        } else {
            #expect(Int(be16(ip, 4)) + 40 == ip.count, "IPv6 payload length", sourceLocation: sourceLocation)
            offset = 40
            ipProtocol = ip[6]
            while ipProtocol == 0 || ipProtocol == 43 || ipProtocol == 60 {
                ipProtocol = ip[offset]
                offset += (Int(ip[offset + 1]) + 1) * 8
            }
        }
        let transport = Array(ip[offset...])
        let sum = fold(pseudoHeaderSum(ip, version: version, protocol: ipProtocol, length: transport.count)
            + wordSum(transport))
        #expect(sum == 0xFFFF, "L4 checksum of a \(ipProtocol) packet", sourceLocation: sourceLocation)
        let payloadOffset: Int
        if ipProtocol == 6 {
            payloadOffset = offset + Int(ip[offset + 12] >> 4) * 4
        } else {
            #expect(Int(be16(ip, offset + 4)) == transport.count, "UDP length", sourceLocation: sourceLocation)
            payloadOffset = offset + 8
        }
        return Checked(version: version, ipProtocol: ipProtocol, transportOffset: offset, payloadOffset: payloadOffset)
    }

    // MARK: - Arithmetic

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }
    static func be16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
    static func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(be16(bytes, at)) << 16 | UInt32(be16(bytes, at + 2))
    }

    static func wordSum(_ bytes: [UInt8]) -> UInt64 {
        var sum: UInt64 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt64(bytes[index]) << 8 }
        return sum
    }

    static func fold(_ value: UInt64) -> UInt16 {
        var sum = value
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return UInt16(sum)
    }

    static func pseudoHeaderSum(version: Int, protocol ipProtocol: UInt8, length: Int) -> UInt64 {
        let addresses = version == 4 ? source4 + destination4 : source6 + destination6
        return wordSum(addresses) + UInt64(ipProtocol) + UInt64(length)
    }

    static func pseudoHeaderSum(_ ip: [UInt8], version: Int, protocol ipProtocol: UInt8, length: Int) -> UInt64 {
        let addresses = version == 4 ? Array(ip[12..<20]) : Array(ip[8..<40])
        return wordSum(addresses) + UInt64(ipProtocol) + UInt64(length)
    }
}
