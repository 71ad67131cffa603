import DataPlane
import Testing

@Suite("TUN offload: coalescing TCP segments")
struct OffloadCoalescingTests {
    typealias P = OffloadTestPackets

    /// A coalescing buffer and the group in it, driven packet by packet through ``PacketCoalescing`` like the
    /// tunnel does; `udp` says whether the TUN device takes UDP super-packets.
    final class Coalescer {
        var buffer = [UInt8](repeating: 0xEE, count: 65535 + VirtioNetHeader.size)
        var group: CoalesceGroup?
        var startLength = 0
        let udp: Bool

        init(udp: Bool = false) {
            self.udp = udp
        }

        func start(_ packet: [UInt8]) -> CoalesceGroup? {
            let result = packet.withUnsafeBytes { packet in
                buffer.withUnsafeMutableBytes { PacketCoalescing.start(packet, into: $0, udp: udp) }
            }
            #expect(result.length == packet.count + VirtioNetHeader.size)
            #expect(Array(buffer[10..<result.length]) == packet)
            group = result.group
            startLength = result.length
            return result.group
        }

        /// Appends; checks that a refused packet changed neither the group nor the bytes.
        func append(_ packet: [UInt8]) -> Bool {
            guard var current = group else { return false }
            let before = current
            let bytesBefore = buffer
            let appended = packet.withUnsafeBytes { packet in
                buffer.withUnsafeMutableBytes { PacketCoalescing.append(packet, to: &current, in: $0) }
            }
            if !appended {
                #expect(current == before && buffer == bytesBefore, "a refused append changed something")
            }
            group = current
            return appended
        }

        /// Finishes and returns the virtio header plus IP packet.
        func finish() -> [UInt8] {
            guard let group else { return Array(buffer[0..<startLength]) }
            let length = buffer.withUnsafeMutableBytes { PacketCoalescing.finish(group, in: $0) }
            return Array(buffer[0..<length])
        }
    }

    /// Segments of one flow: `count` payloads of `size` bytes, sequence numbers lined up, IPv4 ids counting up
    /// as a sender's do (splitting a coalesced super-packet gives the ids back the same way).
    static func run(_ fields: P.TCP = P.TCP(), count: Int, size: Int = 1000) -> [[UInt8]] {
        var fields = fields
        return (0..<count).map { index in
            defer {
                fields.sequence &+= UInt32(size)
                fields.identification &+= 1
            }
            return P.tcp(fields, payload: P.payload(size, seed: index))
        }
    }

    /// Checks a finished TCP or UDP super-packet: the virtio header, the kernel's view of its checksum, and that
    /// splitting it gives back `packets` byte for byte.
    static func checkSuperPacket(_ bytes: [UInt8], equals packets: [[UInt8]],
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let header = bytes.withUnsafeBytes { VirtioNetHeader(loadingFrom: $0.baseAddress!) }
        let ip = Array(bytes[10...])
        let version = Int(ip[0] >> 4)
        let ipHeader = version == 4 ? 20 : 40
        let udp = (version == 4 ? ip[9] : ip[6]) == 17
        let checksumField = udp ? 6 : 16
        #expect(header.flags == VirtioNetHeader.needsChecksum, sourceLocation: sourceLocation)
        let gsoType = udp ? VirtioNetHeader.gsoUDPL4 : version == 4 ? VirtioNetHeader.gsoTCPv4 : VirtioNetHeader.gsoTCPv6
        #expect(header.gsoType == gsoType, sourceLocation: sourceLocation)
        #expect(Int(header.gsoSize) == packets[0].count - Int(header.headerLength), sourceLocation: sourceLocation)
        #expect(header.checksumStart == UInt16(ipHeader) && header.checksumOffset == UInt16(checksumField),
                sourceLocation: sourceLocation)
        // The kernel completes the checksum by summing from checksumStart with the partial sum in the field (for
        // UDP the length field covers the whole run).
        var completed = ip
        let sum = P.fold(P.wordSum(Array(ip[ipHeader...])))
        completed[ipHeader + checksumField] = UInt8(~sum >> 8)
        completed[ipHeader + checksumField + 1] = UInt8(~sum & 0xFF)
        P.check(completed, sourceLocation: sourceLocation)
        #expect(try P.split(bytes) == packets, "split gives back the packets", sourceLocation: sourceLocation)
    }

    @Test(arguments: [4, 6])
    func inOrderRunCoalescesIntoOneSuperPacket(version: Int) throws {
        var fields = P.TCP()
        fields.version = version
        fields.options = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7]
        let segments = Self.run(fields, count: 10)
        let coalescer = Coalescer()
        #expect(coalescer.start(segments[0]) != nil)
        for segment in segments.dropFirst() { #expect(coalescer.append(segment)) }
        #expect(coalescer.group?.count == 10)
        #expect(coalescer.group?.nextSequence == fields.sequence &+ 10_000)
        try Self.checkSuperPacket(coalescer.finish(), equals: segments)
    }

    @Test func aSequenceGapOrRepeatIsNotAppended() {
        let segments = Self.run(count: 4)
        let coalescer = Coalescer()
        _ = coalescer.start(segments[0])
        #expect(!coalescer.append(segments[2]), "a gap")
        #expect(!coalescer.append(segments[0]), "a repeat")
        #expect(coalescer.append(segments[1]))
        #expect(coalescer.append(segments[2]))
        #expect(coalescer.group?.count == 3)
    }

    @Test(arguments: [("SYN", UInt8(0x12)), ("FIN", 0x11), ("RST", 0x14), ("URG", 0x30), ("no ACK", 0x00),
                      ("ECE", 0x50), ("CWR", 0x90)])
    func segmentsWithOtherFlagsNeverCoalesce(name: String, flags: UInt8) {
        var fields = P.TCP()
        fields.flags = flags
        let odd = P.tcp(fields, payload: P.payload(1000))
        let coalescer = Coalescer()
        #expect(coalescer.start(odd) == nil, "\(name) starts no group")
        #expect(coalescer.finish() == P.bytes(of: VirtioNetHeader()) + odd, "\(name) is written as a lone packet")

        let plain = Self.run(count: 2)
        _ = coalescer.start(plain[0])
        fields.sequence &+= 1000
        #expect(!coalescer.append(P.tcp(fields, payload: P.payload(1000))), "\(name) is not appended")
    }

    @Test func aPushSegmentMayEndAGroupButNothingFollowsIt() throws {
        var segments = Self.run(count: 4)
        var fields = P.TCP()
        fields.sequence &+= 2000
        fields.identification &+= 2
        fields.flags = 0x18
        segments[2] = P.tcp(fields, payload: P.payload(1000, seed: 2))
        let coalescer = Coalescer()
        _ = coalescer.start(segments[0])
        #expect(coalescer.append(segments[1]))
        #expect(coalescer.append(segments[2]))
        #expect(coalescer.group?.isEnded == true)
        #expect(!coalescer.append(segments[3]), "nothing after PSH")
        let finished = coalescer.finish()
        let tcpFlags = finished[10 + 20 + 13]
        #expect(tcpFlags == 0x18, "the super-packet carries PSH")
        try Self.checkSuperPacket(finished, equals: Array(segments[0..<3]))
        #expect(Coalescer().start(segments[2]) == nil, "a PSH segment starts no group")
    }

    @Test func aShortSegmentEndsAGroup() throws {
        var segments = Self.run(count: 2)
        var fields = P.TCP()
        fields.sequence &+= 2000
        fields.identification &+= 2
        segments.append(P.tcp(fields, payload: P.payload(300)))
        fields.sequence &+= 300
        let after = P.tcp(fields, payload: P.payload(1000))
        let coalescer = Coalescer()
        _ = coalescer.start(segments[0])
        #expect(coalescer.append(segments[1]) && coalescer.append(segments[2]))
        #expect(!coalescer.append(after), "nothing after a short segment")
        try Self.checkSuperPacket(coalescer.finish(), equals: segments)
        // A longer segment than the first never joins.
        var longer = P.TCP()
        longer.sequence &+= 1000
        let second = Coalescer()
        _ = second.start(segments[0])
        #expect(!second.append(P.tcp(longer, payload: P.payload(1001))))
    }

    @Test(arguments: [
        "options", "ack", "source port", "destination port", "TTL", "TOS", "IPv6 flow label", "IP version",
        "window only",
    ])
    func aDifferentFlowKeyDoesNotCoalesce(change: String) {
        var fields = P.TCP()
        if change == "IPv6 flow label" { fields.version = 6 }
        let first = P.tcp(fields, payload: P.payload(1000))
        fields.sequence &+= 1000
        switch change {
        case "options": fields.options = [1, 1, 1, 1]
        case "ack": fields.acknowledgment &+= 1
        case "source port": fields.sourcePort += 1
        case "destination port": fields.destinationPort += 1
        case "TTL": fields.ttl -= 1
        case "TOS": fields.tos = 0x10
        case "IPv6 flow label": fields.flowLabel ^= 1
        case "IP version": fields.version = 6
        default: fields.window += 1
        }
        let coalescer = Coalescer()
        _ = coalescer.start(first)
        let appended = coalescer.append(P.tcp(fields, payload: P.payload(1000)))
        // The receive window is not part of the flow key (the kernel's GRO does not compare it either).
        #expect(appended == (change == "window only"), "\(change)")
    }

    @Test func aBadChecksumIsNeverCoalesced() {
        var segments = Self.run(count: 2)
        segments[1][60] ^= 0x01
        let coalescer = Coalescer()
        _ = coalescer.start(segments[0])
        #expect(!coalescer.append(segments[1]))
        var badFirst = segments[0]
        badFirst[10] ^= 0x01  // IPv4 header checksum
        #expect(Coalescer().start(badFirst) == nil)
    }

    @Test func ipv4OptionsOrIPv6ExtensionHeadersAreWrittenAlone() {
        var fields = P.TCP()
        fields.ipv4Options = [0x94, 0x04, 0, 0]
        #expect(Coalescer().start(P.tcp(fields, payload: P.payload(100))) == nil)
        fields = P.TCP()
        fields.version = 6
        fields.ipv6Extensions = [(0, [0, 0, 1, 4, 0, 0, 0, 0])]
        #expect(Coalescer().start(P.tcp(fields, payload: P.payload(100))) == nil)
        #expect(Coalescer().start(P.tcp(P.TCP(), payload: [])) == nil, "a pure ACK")
    }

    @Test func theGroupStopsBeforeExceeding65535Bytes() throws {
        let segments = Self.run(count: 60, size: 1400)
        let coalescer = Coalescer()
        _ = coalescer.start(segments[0])
        var appended = 1
        while appended < segments.count, coalescer.append(segments[appended]) { appended += 1 }
        #expect(appended == (65535 - 40) / 1400)
        #expect(coalescer.group.map { $0.length <= 65535 } == true)
        try Self.checkSuperPacket(coalescer.finish(), equals: Array(segments[0..<appended]))
    }

    @Test func aSingleSegmentGroupIsWrittenUnchanged() {
        let segment = Self.run(count: 1)[0]
        let coalescer = Coalescer()
        #expect(coalescer.start(segment) != nil)
        #expect(coalescer.finish() == P.bytes(of: VirtioNetHeader()) + segment)
    }

    @Test(arguments: [4, 6])
    func splitThenCoalesceRestoresTheSuperPacket(version: Int) throws {
        var fields = P.TCP()
        fields.version = version
        fields.flags = 0x18
        let payload = P.payload(60_000, seed: 3)
        let original = P.superPacket(P.tcp(fields, payload: payload), gsoType: version == 4 ? 1 : 4, gsoSize: 1448)
        let segments = try P.split(original)
        let coalescer = Coalescer()
        _ = coalescer.start(segments[0])
        for segment in segments.dropFirst() { #expect(coalescer.append(segment)) }
        let rebuilt = coalescer.finish()
        try Self.checkSuperPacket(rebuilt, equals: segments)
        #expect(rebuilt == original, "the same header, IP packet and partial checksum as the kernel's")
    }
}
