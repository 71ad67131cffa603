import DataPlane
import Testing

@Suite("TUN offload: coalescing UDP datagrams (USO)")
struct OffloadUDPCoalescingTests {
    typealias P = OffloadTestPackets

    /// UDP datagrams may join groups unless a test says the TUN device lacks USO.
    final class Coalescer {
        let base: OffloadCoalescingTests.Coalescer

        init(udp: Bool = true) {
            base = OffloadCoalescingTests.Coalescer(udp: udp)
        }

        var group: CoalesceGroup? { base.group }
        func start(_ packet: [UInt8]) -> CoalesceGroup? { base.start(packet) }
        func append(_ packet: [UInt8]) -> Bool { base.append(packet) }
        func finish() -> [UInt8] { base.finish() }

        /// Whether `packet`, which joined nothing, ends the open group (compared with the header in the buffer).
        func ends(_ packet: [UInt8]) -> Bool {
            guard var current = base.group else { return false }
            packet.withUnsafeBytes { bytes in
                base.buffer.withUnsafeMutableBytes { UDPCoalescing.endRuns(of: bytes, in: &current, at: $0) }
            }
            return current.isEnded
        }
    }

    /// `count` datagrams of one flow with `size`-byte payloads, IPv4 ids counting up as a sender's do.
    static func run(_ fields: P.TCP = P.TCP(), count: Int, size: Int = 1372) -> [[UInt8]] {
        var fields = fields
        return (0..<count).map { index in
            defer { fields.identification &+= 1 }
            return P.udp(fields, payload: P.payload(size, seed: index))
        }
    }

    func checkSuperPacket(_ bytes: [UInt8], equals datagrams: [[UInt8]],
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let header = bytes.withUnsafeBytes { VirtioNetHeader(loadingFrom: $0.baseAddress!) }
        #expect(header.gsoType == VirtioNetHeader.gsoUDPL4 && Int(header.headerLength) == datagrams[0].count
                    - Int(header.gsoSize), sourceLocation: sourceLocation)
        try OffloadCoalescingTests.checkSuperPacket(bytes, equals: datagrams, sourceLocation: sourceLocation)
    }

    @Test(arguments: [4, 6])
    func aRunOfEqualDatagramsCoalescesIntoOneSuperPacket(version: Int) throws {
        var fields = P.TCP()
        fields.version = version
        let datagrams = Self.run(fields, count: 10)
        let coalescer = Coalescer()
        #expect(coalescer.start(datagrams[0])?.transportProtocol == 17)
        for datagram in datagrams.dropFirst() { #expect(coalescer.append(datagram)) }
        #expect(coalescer.group?.count == 10)
        try checkSuperPacket(coalescer.finish(), equals: datagrams)
    }

    @Test(arguments: [4, 6])
    func splitThenCoalesceRestoresTheKernelsSuperPacket(version: Int) throws {
        var fields = P.TCP()
        fields.version = version
        let original = P.superPacket(P.udp(fields, payload: P.payload(60_000, seed: 5)), gsoType: 5, gsoSize: 1372)
        let datagrams = try P.split(original)
        #expect(datagrams.count == 44)
        let coalescer = Coalescer()
        _ = coalescer.start(datagrams[0])
        for datagram in datagrams.dropFirst() { #expect(coalescer.append(datagram)) }
        let rebuilt = coalescer.finish()
        try checkSuperPacket(rebuilt, equals: datagrams)
        #expect(rebuilt == original, "the same header, IP packet and partial checksum as the kernel's")
    }

    @Test func aShortDatagramEndsTheRunAndALongerOneNeverJoins() throws {
        var datagrams = Self.run(count: 2)
        var fields = P.TCP()
        fields.identification &+= 2
        datagrams.append(P.udp(fields, payload: P.payload(300)))
        let after = P.udp(fields, payload: P.payload(1372))
        let coalescer = Coalescer()
        _ = coalescer.start(datagrams[0])
        #expect(coalescer.append(datagrams[1]) && coalescer.append(datagrams[2]))
        #expect(coalescer.group?.isEnded == true)
        #expect(!coalescer.append(after), "nothing after a short datagram")
        try checkSuperPacket(coalescer.finish(), equals: datagrams)

        let second = Coalescer()
        _ = second.start(datagrams[0])
        #expect(!second.append(P.udp(P.TCP(), payload: P.payload(1373))), "a longer datagram")
    }

    @Test(arguments: [
        "source port", "destination port", "TTL", "TOS", "IPv6 flow label", "IP version", "identification only",
    ])
    func aDifferentFlowKeyDoesNotCoalesce(change: String) {
        var fields = P.TCP()
        if change == "IPv6 flow label" { fields.version = 6 }
        let first = P.udp(fields, payload: P.payload(1000))
        switch change {
        case "source port": fields.sourcePort += 1
        case "destination port": fields.destinationPort += 1
        case "TTL": fields.ttl -= 1
        case "TOS": fields.tos = 0x10
        case "IPv6 flow label": fields.flowLabel ^= 1
        case "IP version": fields.version = 6
        default: fields.identification &+= 7
        }
        let coalescer = Coalescer()
        _ = coalescer.start(first)
        let appended = coalescer.append(P.udp(fields, payload: P.payload(1000)))
        // The IPv4 identification differs datagram by datagram; splitting makes it count up again.
        #expect(appended == (change == "identification only"), "\(change)")
    }

    @Test func badOrMissingChecksumsFragmentsAndOptionsAreWrittenAlone() {
        var datagrams = Self.run(count: 2)
        datagrams[1][60] ^= 0x01
        let coalescer = Coalescer()
        _ = coalescer.start(datagrams[0])
        #expect(!coalescer.append(datagrams[1]), "a bad UDP checksum")

        var noChecksum = Self.run(count: 1)[0]
        noChecksum[26] = 0
        noChecksum[27] = 0
        #expect(Coalescer().start(noChecksum) == nil, "IPv4 UDP without a checksum")

        var fragment = Self.run(count: 1)[0]
        fragment[6] = 0x20  // more fragments
        fragment[10] = 0
        fragment[11] = 0
        let headerSum = ~P.fold(P.wordSum(Array(fragment[0..<20])))
        fragment[10] = UInt8(headerSum >> 8)
        fragment[11] = UInt8(headerSum & 0xFF)
        #expect(Coalescer().start(fragment) == nil, "a fragment")

        var fields = P.TCP()
        fields.ipv4Options = [0x94, 0x04, 0, 0]
        #expect(Coalescer().start(P.udp(fields, payload: P.payload(100))) == nil, "IPv4 options")
        fields = P.TCP()
        fields.version = 6
        fields.ipv6Extensions = [(0, [0, 0, 1, 4, 0, 0, 0, 0])]
        #expect(Coalescer().start(P.udp(fields, payload: P.payload(100))) == nil, "an IPv6 extension header")
        #expect(Coalescer().start(P.udp(P.TCP(), payload: [])) == nil, "no payload")
    }

    @Test func aRunStopsAt64DatagramsAndBefore65535Bytes() throws {
        let small = Self.run(count: 70, size: 100)
        let coalescer = Coalescer()
        _ = coalescer.start(small[0])
        var appended = 1
        while appended < small.count, coalescer.append(small[appended]) { appended += 1 }
        #expect(appended == UDPCoalescing.maximumSegments)
        try checkSuperPacket(coalescer.finish(), equals: Array(small[0..<appended]))

        let large = Self.run(count: 60, size: 1400)
        let second = Coalescer()
        _ = second.start(large[0])
        appended = 1
        while appended < large.count, second.append(large[appended]) { appended += 1 }
        #expect(appended == (65535 - 28) / 1400)
        try checkSuperPacket(second.finish(), equals: Array(large[0..<appended]))
    }

    @Test func withoutUSOUDPIsWrittenAloneAndTCPStillCoalesces() {
        let datagrams = Self.run(count: 2)
        let coalescer = Coalescer(udp: false)
        #expect(coalescer.start(datagrams[0]) == nil)
        #expect(coalescer.finish() == P.bytes(of: VirtioNetHeader()) + datagrams[0])

        let segments = OffloadCoalescingTests.run(count: 2)
        let tcp = Coalescer(udp: false)
        #expect(tcp.start(segments[0])?.transportProtocol == 6)
        #expect(tcp.append(segments[1]))
        // Neither protocol joins a group of the other.
        #expect(!tcp.append(datagrams[0]))
        let udp = Coalescer()
        _ = udp.start(datagrams[0])
        #expect(!udp.append(segments[0]))
    }

    @Test func aPacketThatJoinsNoRunEndsTheUDPRunsBetweenItsAddresses() {
        func ends(_ packet: [UInt8], _ first: [UInt8] = OffloadUDPCoalescingTests.run(count: 1)[0]) -> Bool {
            let coalescer = Coalescer()
            _ = coalescer.start(first)
            return coalescer.ends(packet)
        }
        var otherPorts = P.TCP()
        otherPorts.sourcePort += 1
        #expect(ends(P.udp(otherPorts, payload: P.payload(1372))), "same hosts, other ports")
        var zeroChecksum = Self.run(count: 1)[0]
        zeroChecksum[26] = 0
        zeroChecksum[27] = 0
        #expect(ends(zeroChecksum), "the same flow, written alone")
        #expect(ends(Array(P.udp(P.TCP(), payload: [1, 2]))), "a tiny datagram")
        #expect(!ends(P.tcp(P.TCP(), payload: P.payload(100))), "TCP between the same hosts keeps its own order")
        var v6 = P.TCP()
        v6.version = 6
        let v6Run = P.udp(v6, payload: P.payload(1372))
        #expect(!ends(v6Run), "another IP version")
        #expect(ends(P.udp(v6, payload: P.payload(2000)), v6Run), "IPv6, same hosts")
        // Another destination: a different flow, whose run goes on.
        var other = Self.run(count: 1)[0]
        other[19] ^= 1
        #expect(!ends(other))
    }

    @Test func aSingleDatagramGroupIsWrittenUnchanged() {
        let datagram = Self.run(count: 1)[0]
        let coalescer = Coalescer()
        #expect(coalescer.start(datagram) != nil)
        #expect(coalescer.finish() == P.bytes(of: VirtioNetHeader()) + datagram)
    }
}
