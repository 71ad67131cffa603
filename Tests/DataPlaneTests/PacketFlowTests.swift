import DataPlane
import Testing

@Suite struct PacketFlowTests {
    let a4 = TestPackets.v4(100, 64, 0, 3)
    let b4 = TestPackets.v4(10, 0, 0, 5)
    let a6 = TestPackets.v6(0xfd00, 0x2021, 3)
    let b6 = TestPackets.v6(0xfd00, 0x2021, 5)

    @Test func ipv4TCPPortsAndAddressesAreRead() throws {
        let flow = try TestPackets.flow(TestPackets.ipv4(
            from: a4, to: b4, protocol: 6, payload: TestPackets.ports(40000, 443), padding: 7))
        #expect(flow.version == 4)
        #expect(flow.source == a4 && flow.destination == b4)
        #expect(flow.protocolNumber == 6)
        #expect(flow.sourcePort == 40000 && flow.destinationPort == 443)
        #expect(flow.headerLength == 20 && flow.totalLength == 40)
        #expect(flow.icmpType == nil && !flow.isICMPError && !flow.isNonFirstFragment)
    }

    @Test func ipv4OptionsMoveTheTransportHeader() throws {
        let flow = try TestPackets.flow(TestPackets.ipv4(
            from: a4, to: b4, protocol: 17, payload: TestPackets.ports(5353, 53), options: [1, 1, 1, 0]))
        #expect(flow.headerLength == 24)
        #expect(flow.sourcePort == 5353 && flow.destinationPort == 53)
    }

    @Test func portsPastTheStatedTotalLengthAreNotRead() throws {
        // Two bytes of transport header, then padding that happens to look like ports.
        var packet = TestPackets.ipv4(from: a4, to: b4, protocol: 6, payload: [0x1F, 0x90])
        packet += [0x01, 0xBB, 0, 0]
        let flow = try TestPackets.flow(packet)
        #expect(flow.sourcePort == nil && flow.destinationPort == nil)
    }

    @Test func icmpErrorsAreRecognizedPerFamily() throws {
        for (type, isError) in [(3, true), (4, true), (5, true), (11, true), (12, true), (0, false), (8, false)] {
            let flow = try TestPackets.flow(TestPackets.ipv4(
                from: a4, to: b4, protocol: 1, payload: TestPackets.icmp(type: UInt8(type), code: 0)))
            #expect(flow.isICMPError == isError, "ICMPv4 type \(type)")
            #expect(flow.icmpType == UInt8(type) && flow.icmpCode == 0)
        }
        for (type, isError) in [(1, true), (2, true), (3, true), (4, true), (128, false), (135, false)] {
            let flow = try TestPackets.flow(TestPackets.ipv6(
                from: a6, to: b6, protocol: 58, payload: TestPackets.icmp(type: UInt8(type), code: 1)))
            #expect(flow.isICMPError == isError, "ICMPv6 type \(type)")
        }
    }

    @Test func ipv6ExtensionHeadersAreWalkedToTheTransport() throws {
        let authentication: (number: UInt8, bytes: [UInt8]) = (51, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let packet = TestPackets.ipv6(
            from: a6, to: b6, protocol: 17, payload: TestPackets.ports(1000, 53),
            extensions: [TestPackets.options8(0), TestPackets.options8(43), authentication,
                         TestPackets.fragment(offset: 0, more: true), TestPackets.options8(60)])
        let flow = try TestPackets.flow(packet)
        #expect(flow.protocolNumber == 17)
        #expect(flow.headerLength == 40 + 8 + 8 + 12 + 8 + 8)
        #expect(flow.sourcePort == 1000 && flow.destinationPort == 53)
        #expect(!flow.isNonFirstFragment)
    }

    @Test func ipv6NonFirstFragmentStopsTheWalk() throws {
        let packet = TestPackets.ipv6(
            from: a6, to: b6, protocol: 6, payload: [UInt8](repeating: 0x50, count: 32),
            extensions: [TestPackets.options8(0), TestPackets.fragment(offset: 100, more: false)])
        let flow = try TestPackets.flow(packet)
        #expect(flow.isNonFirstFragment)
        #expect(flow.protocolNumber == 6)
        #expect(flow.headerLength == 56)
        #expect(flow.sourcePort == nil && flow.destinationPort == nil)
    }

    @Test func ipv6ExtensionChainPastThePacketIsRejected() throws {
        var packet = TestPackets.ipv6(
            from: a6, to: b6, protocol: 17, payload: [], extensions: [TestPackets.options8(60)])
        packet[41] = 3  // claims 32 bytes of destination options; the packet holds 8
        #expect(throws: IPHeaderError.invalidLength) { try TestPackets.flow(packet) }
    }

    @Test func tooManyExtensionHeadersLeaveAnUnknownProtocol() throws {
        let chain = Array(repeating: TestPackets.options8(60), count: PacketFlow.maximumExtensionHeaders + 1)
        let packet = TestPackets.ipv6(
            from: a6, to: b6, protocol: 6, payload: TestPackets.ports(1, 80), extensions: chain)
        let flow = try TestPackets.flow(packet)
        #expect(flow.protocolNumber == 60)
        #expect(flow.destinationPort == nil)
        #expect(!FilterSet([.tcp(0...65535)]).allows(flow))
    }

    @Test func ipv4FragmentOffsetMarksNonFirstFragments() throws {
        let first = try TestPackets.flow(TestPackets.ipv4(
            from: a4, to: b4, protocol: 6, payload: TestPackets.ports(1, 2), moreFragments: true))
        let later = try TestPackets.flow(TestPackets.ipv4(
            from: a4, to: b4, protocol: 6, payload: TestPackets.ports(1, 2), fragmentOffset: 1))
        #expect(!first.isNonFirstFragment && first.destinationPort == 2)
        #expect(later.isNonFirstFragment && later.destinationPort == nil)
    }

    @Test func malformedHeadersAreRejected() {
        #expect(throws: IPHeaderError.truncated) { try TestPackets.flow([0x45, 0, 0]) }
        #expect(throws: IPHeaderError.unknownVersion(5)) { try TestPackets.flow([UInt8](repeating: 0x55, count: 40)) }
        var long = TestPackets.ipv4(from: a4, to: b4, protocol: 6, payload: TestPackets.ports(1, 2))
        long[3] = 200
        #expect(throws: IPHeaderError.invalidLength) { try TestPackets.flow(long) }
    }
}
