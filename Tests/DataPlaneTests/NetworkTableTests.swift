import DataPlane
import Testing

@Suite struct NetworkTableTests {
    struct Tag: Equatable {
        var name: String
    }

    @Test func ipv4LookupPicksTheLongestPrefix() {
        var table = NetworkTable<Tag>()
        table.insert(TestPackets.network(TestPackets.v4(10, 0, 0, 0), 8), Tag(name: "eight"))
        table.insert(TestPackets.network(TestPackets.v4(10, 1, 0, 0), 16), Tag(name: "sixteen"))
        table.insert(TestPackets.network(TestPackets.v4(10, 1, 2, 3), 32), Tag(name: "host"))
        #expect(table.lookup(TestPackets.v4(10, 1, 2, 3))?.name == "host")
        #expect(table.lookup(TestPackets.v4(10, 1, 2, 4))?.name == "sixteen")
        #expect(table.lookup(TestPackets.v4(10, 9, 9, 9))?.name == "eight")
        #expect(table.lookup(TestPackets.v4(11, 0, 0, 1)) == nil)
        #expect(table.lookup(TestPackets.v6(0xa00, 1)) == nil, "families never mix")
        let entry = table.lookupEntry(TestPackets.v4(10, 1, 200, 1))
        #expect(entry?.network == TestPackets.network(TestPackets.v4(10, 1, 0, 0), 16))
        #expect(entry?.value.name == "sixteen")
    }

    @Test func ipv6LookupPicksTheLongestPrefixAcrossTheHalves() {
        var table = NetworkTable<Int>()
        table.insert(TestPackets.network(TestPackets.v6(0xfd00, 0), 8), 8)
        table.insert(TestPackets.network(TestPackets.v6(0xfd00, 0x2021, 0, 0, 0x1111, 0, 0, 0), 80), 80)
        table.insert(TestPackets.network(TestPackets.v6(0xfd00, 0x2021, 0, 0, 0x1111, 0, 0, 9), 128), 128)
        table.insert(TestPackets.network(TestPackets.v6(0), 0), 0)
        #expect(table.lookup(TestPackets.v6(0xfd00, 0x2021, 0, 0, 0x1111, 0, 0, 9)) == 128)
        #expect(table.lookup(TestPackets.v6(0xfd00, 0x2021, 0, 0, 0x1111, 0, 0, 8)) == 80)
        #expect(table.lookup(TestPackets.v6(0xfd00, 0x2021, 0, 0, 0x1112, 0, 0, 9)) == 8)
        #expect(table.lookup(TestPackets.v6(0x2001, 0xdb8, 1)) == 0)
        #expect(table.lookup(TestPackets.v4(1, 2, 3, 4)) == nil)
    }

    @Test func insertReplacesRemoveReturnsAndCountsTrack() {
        var table = NetworkTable<Int>()
        let network = TestPackets.network(TestPackets.v4(192, 168, 1, 77), 24)
        #expect(table.isEmpty)
        table.insert(network, 1)
        table.insert(TestPackets.network(TestPackets.v4(192, 168, 1, 0), 24), 2)
        #expect(table.count == 1)
        #expect(table[network] == 2)
        table.insert(TestPackets.network(TestPackets.v6(0xfd00, 0), 16), 3)
        #expect(table.count == 2)
        let removed = table.remove(network)
        let removedTwice = table.remove(network)
        #expect(removed == 2 && removedTwice == nil)
        #expect(table.lookup(TestPackets.v4(192, 168, 1, 1)) == nil)
        #expect(table.count == 1 && !table.isEmpty)
        table.removeAll()
        #expect(table.isEmpty && table.entries.isEmpty)
        #expect(table.lookup(TestPackets.v6(0xfd00, 1)) == nil)
    }

    @Test func entriesListIPv4FirstLongestFirst() {
        var table = NetworkTable<Int>()
        table.insert(TestPackets.network(TestPackets.v6(0xfd00, 0), 8), 4)
        table.insert(TestPackets.network(TestPackets.v4(10, 0, 0, 0), 8), 3)
        table.insert(TestPackets.network(TestPackets.v4(10, 2, 0, 0), 16), 2)
        table.insert(TestPackets.network(TestPackets.v4(10, 1, 0, 0), 16), 1)
        #expect(table.entries.map(\.1) == [1, 2, 3, 4])
        #expect(table.entries.map(\.0.description) == [
            "10.1.0.0/16", "10.2.0.0/16", "10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8",
        ])
    }
}
