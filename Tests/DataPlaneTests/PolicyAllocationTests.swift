#if canImport(Glibc)
import DataPlane
import Testing

/// The per-packet policy path must not touch the heap: it runs for every packet on the loop thread.
@Suite(.serialized) struct PolicyAllocationTests {
    @Test func theCounterSeesAnAllocation() throws {
        var sink = 0
        let count = try #require(AllocationCounter.allocations {
            for length in 1...3 {
                let array = [Int](repeating: length, count: length * 100)
                sink &+= array.count
            }
        })
        #expect(count >= 3)
        #expect(sink == 600)
    }

    @Test func allowsOutboundAndMatchAllocateNothing() throws {
        var table = AuthorizationTable()
        let net = IPNetwork(.v4(IPv4Address(10, 0, 0, 0)), prefixLength: 8)!
        let db = IPNetwork(.v4(IPv4Address(10, 1, 0, 0)), prefixLength: 16)!
        table.authorize(ResourceDescription(id: ResourceID("net"), name: "net", address: net,
                                            filters: FilterSet([.tcp(80...80), .icmp])), expiresAt: nil)
        table.authorize(ResourceDescription(id: ResourceID("db"), name: "db", address: db,
                                            filters: FilterSet([.tcp(5432...5432), .udp(1...2)])), expiresAt: nil)
        let v6 = IPNetwork(.v6(IPv6Address(high: 0xFD00 << 48, low: 0)), prefixLength: 16)!
        table.authorize(ResourceDescription(id: ResourceID("v6"), name: "v6", address: v6, filters: .allowAll),
                        expiresAt: nil)
        let packets = [
            TestPackets.ipv4(from: TestPackets.v4(100, 64, 0, 3), to: TestPackets.v4(10, 1, 2, 3), protocol: 6,
                             payload: TestPackets.ports(40000, 5432)),
            TestPackets.ipv4(from: TestPackets.v4(100, 64, 0, 3), to: TestPackets.v4(10, 9, 2, 3), protocol: 6,
                             payload: TestPackets.ports(40000, 5432)),
            TestPackets.ipv6(from: TestPackets.v6(0xfd00, 3), to: TestPackets.v6(0xfd00, 0xbeef, 5), protocol: 17,
                             payload: TestPackets.ports(1, 53), extensions: [TestPackets.options8(0)]),
        ]
        let flows = try packets.map(TestPackets.flow)
        var allowed = 0
        let count = try #require(AllocationCounter.allocations {
            for round in 0..<10_000 {
                let flow = flows[round % flows.count]
                if table.allowsOutbound(flow) { allowed += 1 }
                if table.allowsReply(flow) { allowed += 1 }
                if table.match(flow.destination) != nil { allowed += 1 }
            }
        })
        #expect(count == 0)
        #expect(allowed > 0)
    }

    @Test func parsingAndBuildingErrorsAllocateNothing() throws {
        let packet = TestPackets.ipv6(
            from: TestPackets.v6(0xfd00, 3), to: TestPackets.v6(0xfd00, 5), protocol: 6,
            payload: TestPackets.ports(1, 22, extra: 200), extensions: [TestPackets.options8(60)])
        var out = [UInt8](repeating: 0, count: ICMPProhibited.maximumLength)
        var total = 0
        let count = try #require(AllocationCounter.allocations {
            packet.withUnsafeBytes { bytes in
                out.withUnsafeMutableBytes { buffer in
                    for _ in 0..<1_000 {
                        if let flow = try? PacketFlow(parsing: bytes) { total += flow.headerLength }
                        total += ICMPProhibited.build(replyingTo: bytes, into: buffer) ?? 0
                    }
                }
            }
        })
        #expect(count == 0)
        #expect(total > 0)
    }
}
#endif
