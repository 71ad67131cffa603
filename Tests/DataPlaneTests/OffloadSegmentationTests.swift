import DataPlane
import Testing

@Suite("TUN offload: splitting super-packets")
struct OffloadSegmentationTests {
    typealias P = OffloadTestPackets

    /// Splits a TCP super-packet and checks every segment against the original: lengths, checksums, sequence
    /// numbers, IPv4 ids, flags, and the payload put back together.
    func checkTCPSplit(_ fields: P.TCP, payload: [UInt8], gsoSize: Int, gsoType: UInt8,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let original = P.tcp(fields, payload: payload)
        let segments = try P.split(P.superPacket(original, gsoType: gsoType, gsoSize: gsoSize))
        let expectedCount = (payload.count + gsoSize - 1) / gsoSize
        #expect(segments.count == expectedCount, sourceLocation: sourceLocation)
        var joined: [UInt8] = []
        for (index, segment) in segments.enumerated() {
            let checked = try #require(P.check(segment, sourceLocation: sourceLocation))
            let transport = checked.transportOffset
            let piece = Array(segment[checked.payloadOffset...])
            let isLast = index == segments.count - 1
            #expect(piece.count == (isLast ? payload.count - index * gsoSize : gsoSize), sourceLocation: sourceLocation)
            #expect(P.be32(segment, transport + 4) == fields.sequence &+ UInt32(index * gsoSize),
                    sourceLocation: sourceLocation)
            let flags = segment[transport + 13]
            var expected = fields.flags
            if !isLast { expected &= ~0x09 }
            if index > 0 { expected &= ~0x80 }
            #expect(flags == expected, "flags of segment \(index)", sourceLocation: sourceLocation)
            if fields.version == 4 {
                #expect(P.be16(segment, 4) == fields.identification &+ UInt16(index), sourceLocation: sourceLocation)
            }
            // Everything of the headers but lengths, ids, checksums, sequence and flags is the original's.
            #expect(Array(segment[transport + 8..<transport + 13]) == Array(original[transport + 8..<transport + 13]),
                    sourceLocation: sourceLocation)
            #expect(Array(segment[transport + 20..<checked.payloadOffset])
                == Array(original[transport + 20..<checked.payloadOffset]), sourceLocation: sourceLocation)
            joined += piece
        }
        #expect(joined == payload, "the payload put back together", sourceLocation: sourceLocation)
    }

    @Test func tcpv4SplitEndsWithAShortSegmentAndKeepsFinAndPushForTheLast() throws {
        var fields = P.TCP()
        fields.flags = 0x10 | 0x08 | 0x01 | 0x80  // ACK PSH FIN CWR
        try checkTCPSplit(fields, payload: P.payload(5000), gsoSize: 1400,
                          gsoType: VirtioNetHeader.gsoTCPv4 | VirtioNetHeader.gsoECN)
    }

    @Test func tcpv4SplitOfA64KiBSuperPacketWithTimestampOptions() throws {
        var fields = P.TCP()
        fields.options = [1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78]
        fields.flags = 0x18
        let payload = P.payload(65535 - 20 - 32)
        try checkTCPSplit(fields, payload: payload, gsoSize: 1368, gsoType: VirtioNetHeader.gsoTCPv4)
    }

    @Test func tcpv4SplitWithIPv4OptionsRepeatsThem() throws {
        var fields = P.TCP()
        fields.ipv4Options = [0x94, 0x04, 0, 0]  // router alert
        try checkTCPSplit(fields, payload: P.payload(3001), gsoSize: 1000, gsoType: VirtioNetHeader.gsoTCPv4)
    }

    @Test func tcpv6SplitWithoutExtensionHeaders() throws {
        var fields = P.TCP()
        fields.version = 6
        fields.flags = 0x19
        try checkTCPSplit(fields, payload: P.payload(4321), gsoSize: 1380, gsoType: VirtioNetHeader.gsoTCPv6)
    }

    @Test func tcpv6SplitWalksHopByHopAndDestinationOptions() throws {
        var fields = P.TCP()
        fields.version = 6
        fields.ipv6Extensions = [(0, [0, 0, 1, 4, 0, 0, 0, 0]), (60, [0, 1] + [UInt8](repeating: 1, count: 14))]
        fields.ipv6Extensions[1].bytes[2] = 1  // a PadN option filling the header
        fields.ipv6Extensions[1].bytes[3] = 12
        try checkTCPSplit(fields, payload: P.payload(2900), gsoSize: 1200, gsoType: VirtioNetHeader.gsoTCPv6)
    }

    @Test func ipv6FragmentHeaderIsRejected() throws {
        var fields = P.TCP()
        fields.version = 6
        fields.ipv6Extensions = [(44, [0, 0, 0, 0, 0, 0, 0, 1])]
        let packet = P.superPacket(P.tcp(fields, payload: P.payload(3000)), gsoType: VirtioNetHeader.gsoTCPv6,
                                   gsoSize: 1000, transportOffset: 48)
        #expect(throws: OffloadError.unsupportedIPv6ExtensionHeader(44)) { try P.split(packet) }
    }

    @Test(arguments: [4, 6])
    func udpSegmentationOffloadSplitsIntoDatagrams(version: Int) throws {
        var fields = P.TCP()
        fields.version = version
        let payload = P.payload(30_000, seed: version)
        let superPacket = P.superPacket(P.udp(fields, payload: payload), gsoType: VirtioNetHeader.gsoUDPL4,
                                        gsoSize: 1452)
        let segments = try P.split(superPacket)
        #expect(segments.count == 21)
        var joined: [UInt8] = []
        for (index, segment) in segments.enumerated() {
            let checked = try #require(P.check(segment))
            #expect(checked.ipProtocol == 17)
            if version == 4 { #expect(P.be16(segment, 4) == fields.identification &+ UInt16(index)) }
            joined += segment[checked.payloadOffset...]
        }
        #expect(joined == payload)
        #expect(segments.last.map { $0.count - (version == 4 ? 28 : 48) } == 30_000 - 20 * 1452)
    }

    @Test func gsoNoneWithNeedsChecksumCompletesTheChecksumInPlaceAndByCopy() throws {
        let ip = P.tcp(P.TCP(), payload: P.payload(777))
        let header = VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, checksumStart: 20, checksumOffset: 16)
        var packet = P.bytes(of: header) + P.partialChecksum(ip, start: 20, field: 36)
        #expect(Array(packet[10...]) != ip)
        let copied = try P.split(packet)
        #expect(copied == [ip])
        let range = try packet.withUnsafeMutableBytes { bytes in
            let plan = try SegmentationPlan(parsing: UnsafeRawBufferPointer(bytes))
            #expect(plan.segmentCount == 1 && plan.fullSegmentLength == ip.count)
            return plan.finishInPlace(bytes)
        }
        #expect(range == 10..<(10 + ip.count))
        #expect(Array(packet[range]) == ip)
        P.check(Array(packet[range]))
    }

    /// Every payload length from 0 to 200 bytes, TCP and UDP: the checksum completed by the offload code equals
    /// the one computed word by word (the summing loop's 32-byte lanes, 16-, 4-, 2- and 1-byte tails).
    @Test(arguments: [6, 17])
    func completedChecksumsAreRightForEveryShortLength(transport: Int) throws {
        for length in 0...200 {
            let payload = P.payload(length, seed: length)
            let ip = transport == 6 ? P.tcp(P.TCP(), payload: payload) : P.udp(P.TCP(), payload: payload)
            let field = transport == 6 ? 16 : 6
            let header = VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, checksumStart: 20,
                                         checksumOffset: UInt16(field))
            let packet = P.bytes(of: header) + P.partialChecksum(ip, start: 20, field: 20 + field)
            #expect(try P.split(packet) == [ip], "\(transport == 6 ? "TCP" : "UDP") with \(length) payload bytes")
        }
    }

    @Test func gsoNoneWithoutFlagsIsPassedThroughUnchanged() throws {
        // An ICMP echo: gso none needs no transport the offload code knows.
        var ip: [UInt8] = [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0] + P.source4 + P.destination4
        ip += [8, 0, 0xf7, 0xfe, 0, 1, 0, 0]
        let packet = P.bytes(of: VirtioNetHeader()) + ip
        #expect(try P.split(packet) == [ip])
        var inPlace = packet
        let range = try inPlace.withUnsafeMutableBytes {
            try SegmentationPlan(parsing: UnsafeRawBufferPointer($0)).finishInPlace($0)
        }
        #expect(Array(inPlace[range]) == ip)
    }

    @Test func gsoSuperPacketOfOneSegmentIsFixedUpInPlace() throws {
        let ip = P.tcp(P.TCP(), payload: P.payload(900))
        var packet = P.superPacket(ip, gsoType: VirtioNetHeader.gsoTCPv4, gsoSize: 1400)
        let range = try packet.withUnsafeMutableBytes {
            try SegmentationPlan(parsing: UnsafeRawBufferPointer($0)).finishInPlace($0)
        }
        #expect(Array(packet[range]) == ip)
    }

    static let malformed: [(String, [UInt8], OffloadError)] = {
        let tcp4 = P.tcp(P.TCP(), payload: P.payload(3000))
        var v6 = P.TCP()
        v6.version = 6
        let tcp6 = P.tcp(v6, payload: P.payload(3000))
        let udp4 = P.udp(P.TCP(), payload: P.payload(3000))
        let good = P.superPacket(tcp4, gsoType: VirtioNetHeader.gsoTCPv4, gsoSize: 1000)
        var zeroSize = good
        zeroSize[4] = 0
        zeroSize[5] = 0
        var startOutside = good
        startOutside[6] = 0xF0
        startOutside[7] = 0x0F
        var offsetWrong = good
        offsetWrong[8] = 10
        var version5 = good
        version5[10] = 0x55
        var shortHeader = good
        shortHeader[10] = 0x44
        var fragment = good
        fragment[10 + 6] = 0x20  // more fragments
        var tcpHeaderTooShort = good
        tcpHeaderTooShort[10 + 20 + 12] = 0x40
        var noneOutside = P.bytes(of: VirtioNetHeader(flags: 1, checksumStart: 20, checksumOffset: 16))
            + Array(tcp4[0..<30])
        return [
            ("only a virtio header", Array(good[0..<10]), .truncated(length: 10, needed: 30)),
            ("IPv4 header cut short", Array(good[0..<25]), .truncated(length: 25, needed: 30)),
            ("TCP header cut short", Array(good[0..<40]), .truncated(length: 40, needed: 50)),
            ("gso size 0", zeroSize, .zeroSegmentSize),
            ("checksum start outside", startOutside, .checksumOutOfRange(start: 0x0FF0, offset: 16, length: 3040)),
            ("checksum offset not TCP's", offsetWrong, .checksumOutOfRange(start: 20, offset: 10, length: 3040)),
            ("gso none, checksum past the end", noneOutside, .checksumOutOfRange(start: 20, offset: 16, length: 30)),
            ("IP version 5", version5, .unknownIPVersion(5)),
            ("IPv4 header length 16", shortHeader, .invalidIPv4HeaderLength(16)),
            ("IPv4 fragment", fragment, .ipv4Fragment),
            ("TCP data offset 16", tcpHeaderTooShort, .invalidTCPHeaderLength(16)),
            ("TCPv4 type on UDP", P.superPacket(udp4, gsoType: VirtioNetHeader.gsoUDPL4, gsoSize: 1000)
                .replacing(at: 1, with: VirtioNetHeader.gsoTCPv4),
             .gsoTypeMismatch(gsoType: 1, ipVersion: 4, ipProtocol: 17)),
            ("UDP L4 type on TCP", P.superPacket(tcp4, gsoType: VirtioNetHeader.gsoUDPL4, gsoSize: 1000),
             .gsoTypeMismatch(gsoType: 5, ipVersion: 4, ipProtocol: 6)),
            ("TCPv4 type on IPv6", P.superPacket(tcp6, gsoType: VirtioNetHeader.gsoTCPv4, gsoSize: 1000),
             .gsoTypeMismatch(gsoType: 1, ipVersion: 6, ipProtocol: 6)),
            ("TCPv6 type on IPv4", P.superPacket(tcp4, gsoType: VirtioNetHeader.gsoTCPv6, gsoSize: 1000),
             .gsoTypeMismatch(gsoType: 4, ipVersion: 4, ipProtocol: 6)),
            ("UFO", P.superPacket(udp4, gsoType: VirtioNetHeader.gsoUDP, gsoSize: 1000), .unsupportedGSOType(3)),
            ("200 segments", P.superPacket(P.tcp(P.TCP(), payload: P.payload(2000)), gsoType: 1, gsoSize: 10),
             .tooManySegments(200)),
        ]
    }()

    @Test(arguments: 0..<OffloadSegmentationTests.malformed.count)
    func malformedPacketsThrow(_ index: Int) {
        let (name, packet, expected) = Self.malformed[index]
        #expect(throws: expected, "\(name): \(expected)") {
            try packet.withUnsafeBytes { _ = try SegmentationPlan(parsing: $0) }
        }
    }

    @Test func everyErrorNamesItsProblem() {
        for (_, _, error) in Self.malformed {
            #expect(!error.description.isEmpty && !error.description.contains("OffloadError"))
        }
        #expect(OffloadError.tooManySegments(200).description.contains("128"))
    }

    @Test func virtioHeaderRoundTripsLittleEndian() {
        let header = VirtioNetHeader(flags: 1, gsoType: 0x84, headerLength: 0x0102, gsoSize: 0x0304,
                                     checksumStart: 0x0506, checksumOffset: 0x0708)
        let bytes = P.bytes(of: header)
        #expect(bytes == [1, 0x84, 2, 1, 4, 3, 6, 5, 8, 7])
        #expect(bytes.withUnsafeBytes { VirtioNetHeader(loadingFrom: $0.baseAddress!) } == header)
    }
}

extension Array where Element == UInt8 {
    func replacing(at index: Int, with value: UInt8) -> [UInt8] {
        var copy = self
        copy[index] = value
        return copy
    }
}
