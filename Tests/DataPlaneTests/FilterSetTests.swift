import DataPlane
import Testing

@Suite struct FilterSetTests {
    let client = TestPackets.v4(100, 64, 0, 3)
    let resource = TestPackets.v4(10, 0, 0, 5)

    func tcp(to port: UInt16, from source: UInt16 = 40000) throws -> PacketFlow {
        try TestPackets.flow(TestPackets.ipv4(
            from: client, to: resource, protocol: 6, payload: TestPackets.ports(source, port)))
    }

    func udp(to port: UInt16, from source: UInt16 = 40000) throws -> PacketFlow {
        try TestPackets.flow(TestPackets.ipv4(
            from: client, to: resource, protocol: 17, payload: TestPackets.ports(source, port)))
    }

    @Test func emptyFilterListAllowsEverything() throws {
        let set = FilterSet([])
        #expect(set == .allowAll)
        #expect(set.allowsEverything)
        #expect(set.filters.isEmpty)
        let gre = try TestPackets.flow(TestPackets.ipv4(from: client, to: resource, protocol: 47, payload: [0, 0]))
        #expect(set.allows(gre))
        #expect(set.allows(try tcp(to: 1)))
    }

    @Test func rangesAreSortedMergedAndNormalized() {
        let set = FilterSet([
            .udp(53...53), .tcp(80...80), .tcp(81...90), .icmp, .tcp(70...75), .tcp(85...86),
            .tcp(65000...65535), .tcp(65535...65535),
        ])
        #expect(set.filters == [.tcp(70...75), .tcp(80...90), .tcp(65000...65535), .udp(53...53), .icmp])
        #expect(set == FilterSet([.tcp(65000...65535), .icmp, .tcp(80...90), .udp(53...53), .tcp(70...75)]))
        #expect(!set.allowsEverything)
    }

    @Test func tcpAndUDPNeedTheirOwnDestinationPortRange() throws {
        let set = FilterSet([.tcp(80...90), .udp(53...53)])
        #expect(set.allows(try tcp(to: 80)))
        #expect(set.allows(try tcp(to: 90)))
        #expect(!set.allows(try tcp(to: 79)))
        #expect(!set.allows(try tcp(to: 91)))
        #expect(!set.allows(try tcp(to: 53)))
        #expect(set.allows(try udp(to: 53)))
        #expect(!set.allows(try udp(to: 80)))
    }

    @Test func manyRangesAreSearchedPastTheFirst() throws {
        let set = FilterSet([.tcp(10...10), .tcp(20...20), .tcp(30...40), .tcp(1000...2000)])
        #expect(set.allows(try tcp(to: 1500)))
        #expect(set.allows(try tcp(to: 35)))
        #expect(!set.allows(try tcp(to: 25)))
        #expect(!set.allows(try tcp(to: 3000)))
    }

    @Test func repliesAreJudgedBySourcePort() throws {
        let set = FilterSet([.tcp(443...443)])
        let reply = try TestPackets.flow(TestPackets.ipv4(
            from: resource, to: client, protocol: 6, payload: TestPackets.ports(443, 40000)))
        #expect(set.allowsReply(reply))
        #expect(!set.allows(reply))
        let otherReply = try TestPackets.flow(TestPackets.ipv4(
            from: resource, to: client, protocol: 6, payload: TestPackets.ports(444, 443)))
        #expect(!set.allowsReply(otherReply))
    }

    @Test func icmpFollowsTheSwitchInBothFamilies() throws {
        let echo4 = try TestPackets.flow(TestPackets.ipv4(
            from: client, to: resource, protocol: 1, payload: TestPackets.icmp(type: 8, code: 0)))
        let echo6 = try TestPackets.flow(TestPackets.ipv6(
            from: TestPackets.v6(0xfd00, 3), to: TestPackets.v6(0xfd00, 5), protocol: 58,
            payload: TestPackets.icmp(type: 128, code: 0)))
        let withICMP = FilterSet([.tcp(80...80), .icmp])
        let withoutICMP = FilterSet([.tcp(1...65535), .udp(1...65535)])
        #expect(withICMP.allows(echo4) && withICMP.allows(echo6))
        #expect(!withoutICMP.allows(echo4) && !withoutICMP.allows(echo6))
    }

    @Test func icmpV4InsideIPv6IsNotICMP() throws {
        let odd = try TestPackets.flow(TestPackets.ipv6(
            from: TestPackets.v6(0xfd00, 3), to: TestPackets.v6(0xfd00, 5), protocol: 1,
            payload: TestPackets.icmp(type: 8, code: 0)))
        #expect(!FilterSet([.icmp]).allows(odd))
    }

    @Test func otherProtocolsPassOnlyWithAllowAll() throws {
        let sctp = try TestPackets.flow(TestPackets.ipv4(
            from: client, to: resource, protocol: 132, payload: TestPackets.ports(1, 80)))
        #expect(!FilterSet([.tcp(0...65535), .udp(0...65535), .icmp]).allows(sctp))
        #expect(FilterSet.allowAll.allows(sctp))
    }

    @Test func nonFirstFragmentPassesWhenItsProtocolHasAnyRange() throws {
        let fragment = try TestPackets.flow(TestPackets.ipv4(
            from: client, to: resource, protocol: 17, payload: [UInt8](repeating: 0xAB, count: 64),
            fragmentOffset: 185))
        #expect(fragment.isNonFirstFragment)
        #expect(FilterSet([.udp(53...53)]).allows(fragment))
        #expect(!FilterSet([.tcp(53...53), .icmp]).allows(fragment))
    }

    @Test func firstFragmentTooShortForPortsIsDeniedUnlessAllowAll() throws {
        let short = try TestPackets.flow(TestPackets.ipv4(
            from: client, to: resource, protocol: 6, payload: [0, 80], moreFragments: true))
        #expect(short.destinationPort == nil)
        #expect(!short.isNonFirstFragment)
        #expect(!FilterSet([.tcp(0...65535)]).allows(short))
        #expect(FilterSet.allowAll.allows(short))
    }

    @Test func unionMergesRangesAndAllowAllAbsorbs() {
        let web = FilterSet([.tcp(80...80)])
        let tls = FilterSet([.tcp(81...443), .icmp])
        #expect(web.union(tls) == FilterSet([.tcp(80...443), .icmp]))
        #expect(web.union(.allowAll) == .allowAll)
        #expect(FilterSet.allowAll.union(tls).allowsEverything)
        #expect(web.union(web) == web)
    }
}
