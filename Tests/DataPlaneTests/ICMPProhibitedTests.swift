import DataPlane
import Testing

@Suite struct ICMPProhibitedTests {
    let client4 = TestPackets.v4(100, 64, 0, 3)
    let resource4 = TestPackets.v4(10, 0, 0, 5)
    let client6 = TestPackets.v6(0xfd00, 0x2021, 0x1111, 3)
    let resource6 = TestPackets.v6(0xfd00, 0xbeef, 5)

    /// The error answering `packet`, or nil; `capacity` bytes of output.
    func build(_ packet: [UInt8], capacity: Int = ICMPProhibited.maximumLength) -> [UInt8]? {
        var out = [UInt8](repeating: 0xEE, count: capacity)
        let length = packet.withUnsafeBytes { original in
            out.withUnsafeMutableBytes { ICMPProhibited.build(replyingTo: original, into: $0) }
        }
        return length.map { Array(out[0..<$0]) }
    }

    func destination(in packet: [UInt8]) -> IPAddress? {
        packet.withUnsafeBytes { ICMPProhibited.prohibitedDestination(in: $0) }
    }

    /// The ICMPv6 checksum recomputed over the pseudo-header; zero when the stored one is right.
    func icmpv6Residue(_ packet: [UInt8]) -> UInt16 {
        let length = packet.count - 40
        let pseudo = Array(packet[8..<40])
            + [0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, 58]
        return TestPackets.checksum(pseudo + packet[40...])
    }

    @Test func ipv4ErrorQuotesHeaderPlusEightBytesWithRightChecksums() throws {
        let original = TestPackets.ipv4(
            from: client4, to: resource4, protocol: 6, payload: TestPackets.ports(40000, 22, extra: 100))
        let error = try #require(build(original))
        #expect(error.count == 20 + 8 + 28)
        #expect(Array(error[0..<4]) == [0x45, 0x00, 0x00, UInt8(error.count)])
        #expect(Array(error[4..<8]) == [0, 0, 0, 0], "id 0, DF clear, no fragment offset")
        #expect(error[8] == 20 && error[9] == 1)
        #expect(Array(error[12..<16]) == [10, 0, 0, 5], "from the original destination")
        #expect(Array(error[16..<20]) == [100, 64, 0, 3], "to the original source")
        #expect(TestPackets.checksum(Array(error[0..<20])) == 0)
        #expect(Array(error[20..<22]) == [3, 13])
        #expect(Array(error[24..<28]) == [0, 0, 0, 0])
        #expect(Array(error[28...]) == Array(original[0..<28]))
        #expect(TestPackets.checksum(Array(error[20...])) == 0)
        let flow = try TestPackets.flow(error)
        #expect(flow.isICMPError && flow.icmpType == 3 && flow.icmpCode == 13)
    }

    @Test func ipv4ErrorQuotesOptionsAndShortPayloads() throws {
        let withOptions = TestPackets.ipv4(
            from: client4, to: resource4, protocol: 17, payload: TestPackets.ports(1, 53), options: [1, 1, 1, 0])
        let error = try #require(build(withOptions))
        #expect(error.count == 20 + 8 + 24 + 8)
        #expect(Array(error[28...]) == Array(withOptions[0..<32]))
        let short = TestPackets.ipv4(from: client4, to: resource4, protocol: 6, payload: [1, 2, 3])
        let shortError = try #require(build(short))
        #expect(Array(shortError[28...]) == short)
        #expect(TestPackets.checksum(Array(shortError[20...])) == 0)
    }

    @Test func ipv6ErrorHasRightStructureAndChecksum() throws {
        let original = TestPackets.ipv6(
            from: client6, to: resource6, protocol: 17, payload: TestPackets.ports(5000, 53, extra: 21))
        let error = try #require(build(original))
        #expect(error.count == 40 + 8 + original.count)
        #expect(Array(error[0..<4]) == [0x60, 0, 0, 0])
        #expect(Int(error[4]) << 8 | Int(error[5]) == 8 + original.count)
        #expect(error[6] == 58 && error[7] == 20)
        #expect(Array(error[8..<24]) == TestPackets.bytes(of: resource6))
        #expect(Array(error[24..<40]) == TestPackets.bytes(of: client6))
        #expect(Array(error[40..<42]) == [1, 1])
        #expect(Array(error[44..<48]) == [0, 0, 0, 0])
        #expect(Array(error[48...]) == original)
        #expect(icmpv6Residue(error) == 0)
    }

    @Test func ipv6ErrorQuotesOnlyWhatFitsIn1280Bytes() throws {
        let original = TestPackets.ipv6(
            from: client6, to: resource6, protocol: 6, payload: TestPackets.ports(1, 443, extra: 1400))
        let error = try #require(build(original))
        #expect(error.count == 1280)
        #expect(Array(error[48...]) == Array(original[0..<1232]))
        #expect(icmpv6Residue(error) == 0)
        // An odd-length quote exercises the checksum's padding byte.
        let odd = TestPackets.ipv6(
            from: client6, to: resource6, protocol: 6, payload: TestPackets.ports(1, 2, extra: 1))
        let oddError = try #require(build(odd))
        #expect(oddError.count % 2 == 1)
        #expect(icmpv6Residue(oddError) == 0)
    }

    @Test func noErrorAnswersAnErrorGarbageAFragmentOrASmallBuffer() {
        let error4 = TestPackets.ipv4(
            from: client4, to: resource4, protocol: 1, payload: TestPackets.icmp(type: 3, code: 1))
        let error6 = TestPackets.ipv6(
            from: client6, to: resource6, protocol: 58, payload: TestPackets.icmp(type: 1, code: 4))
        let later = TestPackets.ipv4(
            from: client4, to: resource4, protocol: 6, payload: TestPackets.ports(1, 2), fragmentOffset: 8)
        let tcp = TestPackets.ipv4(from: client4, to: resource4, protocol: 6, payload: TestPackets.ports(1, 2))
        #expect(build(error4) == nil)
        #expect(build(error6) == nil)
        #expect(build(later) == nil)
        #expect(build([0x45, 0, 1]) == nil)
        #expect(build(tcp, capacity: 20 + 8 + 27) == nil)
        #expect(build(tcp, capacity: 20 + 8 + 28) != nil)
        // An echo request is not an error and is answered.
        #expect(build(TestPackets.ipv4(
            from: client4, to: resource4, protocol: 1, payload: TestPackets.icmp(type: 8, code: 0))) != nil)
    }

    @Test func builtErrorsRoundTripToTheOriginalDestination() throws {
        let v4 = TestPackets.ipv4(from: client4, to: resource4, protocol: 6, payload: TestPackets.ports(1, 22))
        let v6 = TestPackets.ipv6(
            from: client6, to: resource6, protocol: 6, payload: TestPackets.ports(1, 2, extra: 2000))
        #expect(destination(in: try #require(build(v4))) == resource4)
        #expect(destination(in: try #require(build(v6))) == resource6)
    }

    @Test func quotedPacketIsReadLeniently() {
        // Only the quoted IPv4 header, whose total length claims far more than was quoted.
        var quote = TestPackets.ipv4(from: client4, to: resource4, protocol: 6, payload: [])
        quote[2] = 0x05
        quote[3] = 0xDC
        let error = TestPackets.ipv4(
            from: resource4, to: client4, protocol: 1, payload: TestPackets.icmp(type: 3, code: 13, extra: quote))
        #expect(destination(in: error) == resource4)
        let cutShort = TestPackets.ipv4(
            from: resource4, to: client4, protocol: 1,
            payload: TestPackets.icmp(type: 3, code: 13, extra: Array(quote[0..<19])))
        #expect(destination(in: cutShort) == nil)
    }

    @Test func otherICMPMessagesCarryNoProhibitedDestination() throws {
        let quote = TestPackets.ipv4(from: client4, to: resource4, protocol: 6, payload: TestPackets.ports(1, 2))
        for (type, code) in [(3, 1), (3, 3), (11, 0), (0, 0)] {
            let message = TestPackets.ipv4(
                from: resource4, to: client4, protocol: 1,
                payload: TestPackets.icmp(type: UInt8(type), code: UInt8(code), extra: quote))
            #expect(destination(in: message) == nil, "type \(type) code \(code)")
        }
        let v6quote = TestPackets.ipv6(from: client6, to: resource6, protocol: 6, payload: TestPackets.ports(1, 2))
        let unreachable = TestPackets.ipv6(
            from: resource6, to: client6, protocol: 58, payload: TestPackets.icmp(type: 1, code: 3, extra: v6quote))
        #expect(destination(in: unreachable) == nil)
        let mixed = TestPackets.ipv6(
            from: resource6, to: client6, protocol: 58, payload: TestPackets.icmp(type: 1, code: 1, extra: quote))
        #expect(destination(in: mixed) == nil, "an IPv4 quote inside ICMPv6")
        #expect(destination(in: quote) == nil)
    }
}
