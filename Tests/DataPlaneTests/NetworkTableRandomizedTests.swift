import DataPlane
import Testing

/// `NetworkTable` against a linear scan for the longest prefix holding an address.
@Suite struct NetworkTableRandomizedTests {
    /// Addresses near a few bases, so random prefixes overlap and nest often.
    static func address(_ random: inout SeededRandom, v6: Bool) -> IPAddress {
        let neighbourhood = random.next() % 3
        if v6 {
            let high = 0xFD00_0000_0000_0000 | (neighbourhood << 40) | (random.next() & 0xFF_00FF)
            return .v6(IPv6Address(high: high, low: random.next() & 0xFF00_0000_0000_00FF))
        }
        let low = UInt32(truncatingIfNeeded: random.next()) & 0xFF_0F0F
        return .v4(IPv4Address(value: UInt32(10 + neighbourhood) << 24 | low))
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func agreesWithALinearScan(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var table = NetworkTable<Int>()
        var reference: [(network: IPNetwork, value: Int)] = []
        for step in 0..<600 {
            let v6 = random.next() % 2 == 0
            let length = Int(random.next() % (v6 ? 129 : 33))
            let network = IPNetwork(Self.address(&random, v6: v6), prefixLength: length)!
            if random.next() % 4 == 0 {
                let expected = reference.first { $0.network == network }?.value
                let removed = table.remove(network)
                #expect(removed == expected)
                reference.removeAll { $0.network == network }
            } else {
                table.insert(network, step)
                reference.removeAll { $0.network == network }
                reference.append((network, step))
            }
            #expect(table.count == reference.count)
            for _ in 0..<4 {
                let probe = Self.address(&random, v6: random.next() % 2 == 0)
                let best = reference.filter { $0.network.contains(probe) }
                    .max { $0.network.prefixLength < $1.network.prefixLength }
                let found = table.lookupEntry(probe)
                #expect(found?.value == best?.value, "seed \(seed) step \(step) probe \(probe)")
                #expect(found?.network == best?.network)
            }
        }
    }
}
