import DataPlane
import MemoryIO
import Testing
import Tunnel

/// The driver's offloaded path on the in-memory backend: TUN super-packets split and sent as GSO trains,
/// GRO trains decrypted segment by segment, TCP segments coalesced into one TUN write; and, with offloads off,
/// exactly the packets of before.
@Suite("Tunnel offloads")
struct TunnelOffloadTests {
    static let large = PacketOffloads.superPacketBufferSize
    static let source = IPv4Address(10, 0, 0, 1)
    static let destination = IPv4Address(10, 0, 0, 2)
    static let zeroHeader = [UInt8](repeating: 0, count: VirtioNetHeader.size)

    /// A pair whose handshake is done, so packets are encrypted at once.
    static func connectedPair(offloadsA: PacketOffloads, offloadsB: PacketOffloads) throws -> DriverPair {
        let pair = DriverPair(bufferCount: 256, bufferSize: large, offloadsA: offloadsA, offloadsB: offloadsB)
        let hello = ipv4UDP(from: source, to: destination, payload: Array("hello".utf8))
        let prefixA = offloadsA.contains(.tunOffload) ? zeroHeader : []
        pair.a.io.tun!.inject(prefixA + hello)
        pair.a.handle(.tunReadable, at: pair.now)
        pair.exchange()
        let prefixB = offloadsB.contains(.tunOffload) ? zeroHeader : []
        try #require(pair.b.io.tun!.sent.map(\.bytes) == [prefixB + hello], "the first packet crosses")
        pair.b.io.tun!.clearSent()
        return pair
    }

    @Test("A TUN super-packet leaves as GSO trains and arrives coalesced; split again, every segment is the same")
    func superPacketCrossesCoalesced() throws {
        let pair = try Self.connectedPair(offloadsA: .all, offloadsB: .all)
        let segments = TCPSegments.run(count: 40, payload: 1380, from: Self.source, to: Self.destination)
        let superPacket = try TCPSegments.coalesced(segments)
        pair.a.io.tun!.inject(superPacket)
        pair.a.handle(.tunReadable, at: pair.now)

        let sent = pair.a.io.datagrams.sent
        #expect(sent.contains { $0.segmentSize > 0 }, "the segments leave as GSO trains")
        let datagrams = sent.reduce(0) { total, train in
            total + (train.segmentSize > 0 ? (train.bytes.count + train.segmentSize - 1) / train.segmentSize : 1)
        }
        #expect(datagrams == segments.count)
        #expect(sent.allSatisfy { $0.bytes.count <= 65_507 })
        pair.exchange()

        let written = pair.b.io.tun!.sent.map(\.bytes)
        #expect(written.count < segments.count, "B coalesces the segments into super-packets")
        #expect(try Self.split(written) == segments)
    }

    /// `count` UDP datagrams of one flow from `source` to `destination` with valid checksums, ids counting up.
    static func udpRun(count: Int, payload: Int) -> [[UInt8]] {
        udpDatagrams(sizes: Array(repeating: payload, count: count))
    }

    /// UDP datagrams of one flow with the given payload sizes, valid checksums, ids counting up.
    static func udpDatagrams(sizes: [Int]) -> [[UInt8]] {
        sizes.enumerated().map { index, payload in
            var packet = ipv4UDP(from: source, to: destination,
                                 payload: (0..<payload).map { UInt8(truncatingIfNeeded: $0 &+ index) })
            packet[4] = UInt8(index >> 8)
            packet[5] = UInt8(index & 0xFF)
            packet[20] = 0x9C
            packet[21] = 0x41
            packet[22] = 0x13
            packet[23] = 0x8A
            let ipChecksum = ~TCPSegments.fold(TCPSegments.sum(packet[0..<20]))
            packet[10] = UInt8(ipChecksum >> 8)
            packet[11] = UInt8(ipChecksum & 0xFF)
            let pseudo = TCPSegments.sum(packet[12..<20]) + 17 + UInt32(packet.count - 20)
            var udpChecksum = ~TCPSegments.fold(pseudo + TCPSegments.sum(packet[20...]))
            if udpChecksum == 0 { udpChecksum = 0xFFFF }
            packet[26] = UInt8(udpChecksum >> 8)
            packet[27] = UInt8(udpChecksum & 0xFF)
            return packet
        }
    }

    /// Every IP packet in TUN writes with virtio-net headers, super-packets split as the kernel would.
    static func split(_ written: [[UInt8]]) throws -> [[UInt8]] {
        var packets: [[UInt8]] = []
        for packet in written {
            let plan = try packet.withUnsafeBytes { raw in try SegmentationPlan(parsing: raw) }
            for index in 0..<plan.segmentCount {
                var out = [UInt8](repeating: 0, count: plan.segmentLength(index))
                packet.withUnsafeBytes { raw in
                    out.withUnsafeMutableBytes { _ = plan.writeSegment(index, from: raw, to: $0.baseAddress!) }
                }
                packets.append(out)
            }
        }
        return packets
    }

    @Test("Where B's TUN device takes USO, a run of UDP datagrams arrives as super-packets; elsewhere one by one")
    func udpRunArrivesCoalescedOnlyWhereTheTunTakesUSO() throws {
        for uso in [true, false] {
            let offloadsB: PacketOffloads = uso ? PacketOffloads.all.union(.tunUDPSegments) : .all
            let pair = try Self.connectedPair(offloadsA: .all, offloadsB: offloadsB)
            let datagrams = Self.udpRun(count: 30, payload: 1372)
            for datagram in datagrams { pair.a.io.tun!.inject(Self.zeroHeader + datagram) }
            pair.a.handle(.tunReadable, at: pair.now)
            pair.exchange()
            let written = pair.b.io.tun!.sent.map(\.bytes)
            if uso {
                #expect(written.count < datagrams.count, "B coalesces the datagrams")
                #expect(written.contains { $0[1] == VirtioNetHeader.gsoUDPL4 })
                #expect(try Self.split(written) == datagrams)
            } else {
                #expect(written == datagrams.map { Self.zeroHeader + $0 }, "each datagram on its own")
            }
        }
    }

    /// A run that fills up, a longer datagram and a short last one: every datagram after one that could not join
    /// a run must come out after it (UDP has no sequence numbers to put them back in order).
    @Test("UDP datagrams of one flow reach the TUN device in the order they were sent", arguments: [
        Array(repeating: 1372, count: 48) + [300],
        Array(repeating: 1372, count: 10) + [1400] + Array(repeating: 1372, count: 5),
        [1372, 1372, 0, 1372, 1372],
    ])
    func udpDatagramsKeepTheirOrder(sizes: [Int]) throws {
        let pair = try Self.connectedPair(offloadsA: .all, offloadsB: PacketOffloads.all.union(.tunUDPSegments))
        let datagrams = Self.udpDatagrams(sizes: sizes)
        for datagram in datagrams { pair.a.io.tun!.inject(Self.zeroHeader + datagram) }
        pair.a.handle(.tunReadable, at: pair.now)
        pair.exchange()
        #expect(try Self.split(pair.b.io.tun!.sent.map(\.bytes)) == datagrams)
    }

    @Test("With offloads off, the same segments cross one by one, byte for byte, with no headers or trains")
    func offloadsOffKeepPacketsAsTheyAre() throws {
        let pair = try Self.connectedPair(offloadsA: [], offloadsB: [])
        let segments = TCPSegments.run(count: 12, payload: 1380, from: Self.source, to: Self.destination)
        for segment in segments {
            pair.a.io.tun!.inject(segment)
        }
        pair.a.handle(.tunReadable, at: pair.now)
        #expect(pair.a.io.datagrams.sent.count == segments.count)
        #expect(pair.a.io.datagrams.sent.allSatisfy { $0.segmentSize == 0 })
        pair.exchange()
        #expect(pair.b.io.tun!.sent.map(\.bytes) == segments)
        #expect(pair.b.io.tun!.sent.allSatisfy { $0.segmentSize == 0 })
    }

    @Test("A GRO train without TUN offloads is decrypted segment by segment into separate TUN writes")
    func groTrainWithoutTunOffload() throws {
        let pair = try Self.connectedPair(offloadsA: [.udpGSO, .tunOffload], offloadsB: [.udpGRO])
        let segments = TCPSegments.run(count: 20, payload: 1380, from: Self.source, to: Self.destination)
        pair.a.io.tun!.inject(try TCPSegments.coalesced(segments))
        pair.a.handle(.tunReadable, at: pair.now)
        #expect(pair.a.io.datagrams.sent.contains { $0.segmentSize > 0 })
        pair.exchange()
        #expect(pair.b.io.tun!.sent.map(\.bytes) == segments)
    }

    /// 63 single packets after one super-packet, all in one TUN read of 64: the segments already filled part of the
    /// batch bound for the network, so the singles must flush it rather than overflow it (this crashed a sender
    /// talking to wireguard-go in `fzctl bench tunnel`).
    static func superPacketThenSingles(prefix: [UInt8]) throws -> (packets: [[UInt8]], expected: [[UInt8]]) {
        let segments = TCPSegments.run(count: 40, payload: 1380, from: source, to: destination)
        let singles = (0..<63).map { index in
            ipv4UDP(from: source, to: destination, payload: Array("single \(index)".utf8))
        }
        return ([try TCPSegments.coalesced(segments)] + singles.map { prefix + $0 }, segments + singles)
    }

    @Test("A TUN read of segments and single packets that overflows the network batch is sent in two, nothing lost")
    func segmentsAndSinglesOverflowTheNetworkBatch() throws {
        // Without GSO every segment is a datagram of its own: 40 + 63 entries for a batch of 64.
        let pair = try Self.connectedPair(offloadsA: [.tunOffload], offloadsB: [])
        let (packets, expected) = try Self.superPacketThenSingles(prefix: Self.zeroHeader)
        for packet in packets { pair.a.io.tun!.inject(packet) }
        pair.a.handle(.tunReadable, at: pair.now)
        #expect(pair.a.io.datagrams.sent.count == expected.count)
        pair.exchange()
        #expect(pair.b.io.tun!.sent.map(\.bytes) == expected)
    }

    @Test("A GRO train and single datagrams in one receive that overflow the TUN batch are written in two")
    func groTrainAndSinglesOverflowTheTunBatch() throws {
        // A sends one GSO train of 40 and 63 single datagrams (64 entries); B, with GRO but no TUN offloads,
        // decrypts the train into 40 TUN writes before the 63 singles arrive at the same batch of 64.
        let pair = try Self.connectedPair(offloadsA: [.udpGSO, .tunOffload], offloadsB: [.udpGRO])
        let (packets, expected) = try Self.superPacketThenSingles(prefix: Self.zeroHeader)
        for packet in packets { pair.a.io.tun!.inject(packet) }
        pair.a.handle(.tunReadable, at: pair.now)
        #expect(pair.a.io.datagrams.sent.count == 64)
        pair.exchange()
        #expect(pair.b.io.tun!.sent.map(\.bytes) == expected)
    }

    @Test("A malformed super-packet from the TUN device is dropped and counted, and the next one still goes out")
    func malformedSuperPacketIsDropped() throws {
        let pair = try Self.connectedPair(offloadsA: .all, offloadsB: .all)
        let segments = TCPSegments.run(count: 4, payload: 1000, from: Self.source, to: Self.destination)
        var broken = try TCPSegments.coalesced(segments)
        broken[1] = VirtioNetHeader.gsoTCPv4
        broken[4] = 0  // gso size 0
        broken[5] = 0
        let dropped = pair.a.tunnel.counters.dropped
        pair.a.io.tun!.inject(broken)
        pair.a.io.tun!.inject(try TCPSegments.coalesced(segments))
        pair.a.handle(.tunReadable, at: pair.now)
        #expect(pair.a.tunnel.counters.dropped == dropped + 1)
        pair.exchange()
        #expect(pair.b.io.tun!.sent.count >= 1)
    }
}

/// Hand-built TCP/IPv4 segments of one flow with valid checksums.
enum TCPSegments {
    static func run(count: Int, payload: Int, from source: IPv4Address, to destination: IPv4Address) -> [[UInt8]] {
        (0..<count).map { index in
            let bytes = (0..<payload).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) }
            return segment(id: UInt16(100 + index), sequence: UInt32(5000 + index * payload), flags: 0x10,
                           payload: bytes, from: source, to: destination)
        }
    }

    static func segment(
        id: UInt16, sequence: UInt32, flags: UInt8, payload: [UInt8], from source: IPv4Address,
        to destination: IPv4Address
    ) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 40)
        let total = 40 + payload.count
        packet[0] = 0x45
        packet[2] = UInt8(total >> 8)
        packet[3] = UInt8(total & 0xFF)
        packet[4] = UInt8(id >> 8)
        packet[5] = UInt8(id & 0xFF)
        packet[6] = 0x40
        packet[8] = 64
        packet[9] = 6
        store(source.value, at: 12, in: &packet)
        store(destination.value, at: 16, in: &packet)
        packet[20] = 0x9C
        packet[21] = 0x40
        packet[22] = 0x14
        packet[23] = 0x51
        store(sequence, at: 24, in: &packet)
        store(777, at: 28, in: &packet)
        packet[32] = 0x50
        packet[33] = flags
        packet[34] = 0xFF
        packet[35] = 0xFF
        packet += payload
        let ipChecksum = ~fold(sum(packet[0..<20]))
        packet[10] = UInt8(ipChecksum >> 8)
        packet[11] = UInt8(ipChecksum & 0xFF)
        var pseudo = sum(packet[12..<20]) + 6 + UInt32(total - 20)
        pseudo += sum(packet[20...])
        let tcpChecksum = ~fold(pseudo)
        packet[36] = UInt8(tcpChecksum >> 8)
        packet[37] = UInt8(tcpChecksum & 0xFF)
        return packet
    }

    /// The segments as the kernel hands them over with TUN offloads: one super-packet behind a virtio-net header.
    static func coalesced(_ segments: [[UInt8]]) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 70_000)
        return try buffer.withUnsafeMutableBytes { destination in
            let first = segments[0].withUnsafeBytes { TCPCoalescing.start($0, into: destination) }
            var group = try #require(first.group)
            for segment in segments.dropFirst() {
                let appended = segment.withUnsafeBytes { TCPCoalescing.append($0, to: &group, in: destination) }
                try #require(appended, "every segment continues the run")
            }
            let length = TCPCoalescing.finish(group, in: destination)
            return Array(destination[0..<length])
        }
    }

    static func store(_ value: UInt32, at offset: Int, in packet: inout [UInt8]) {
        for index in 0..<4 {
            packet[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * index))
        }
    }

    static func sum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var total: UInt32 = 0
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            total += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.endIndex { total += UInt32(bytes[index]) << 8 }
        return total
    }

    static func fold(_ value: UInt32) -> UInt16 {
        var total = value
        while total > 0xFFFF { total = (total & 0xFFFF) + (total >> 16) }
        return UInt16(total)
    }
}
