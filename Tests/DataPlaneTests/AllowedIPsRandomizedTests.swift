import DataPlane
import Testing

/// `AllowedIPs` against a reference that is too slow to ship but obviously right: a list of (network,
/// owner) pairs searched in full for the longest prefix holding an address.
@Suite struct AllowedIPsRandomizedTests {
    final class Owner {
        let id: Int
        init(_ id: Int) { self.id = id }
    }

    struct Reference {
        var routes: [(network: IPNetwork, owner: Owner)] = []

        mutating func insert(_ network: IPNetwork, _ owner: Owner) {
            routes.removeAll { $0.network == network }
            routes.append((network, owner))
        }

        mutating func remove(_ network: IPNetwork) { routes.removeAll { $0.network == network } }

        mutating func removeAll(routedTo owner: Owner) { routes.removeAll { $0.owner === owner } }

        func lookup(_ address: IPAddress) -> Owner? {
            routes.filter { $0.network.contains(address) }.max { $0.network.prefixLength < $1.network.prefixLength }?
                .owner
        }

        func networks(of owner: Owner) -> Set<IPNetwork> {
            Set(routes.filter { $0.owner === owner }.map(\.network))
        }
    }

    /// Addresses drawn from a few small neighbourhoods, so random prefixes overlap and nest often.
    static func address(_ random: inout some RandomNumberGenerator, v6: Bool) -> IPAddress {
        let neighbourhood = random.next() % 4
        if v6 {
            let high = 0xFD00_0000_0000_0000 | (neighbourhood << 40) | (random.next() & 0xFF_00FF)
            return .v6(IPv6Address(high: high, low: random.next() & 0xFFFF_0000_0000_00FF))
        }
        return .v4(IPv4Address(value: 0x0A00_0000 | UInt32(neighbourhood << 20) | UInt32(random.next() & 0x0F_0F0F)))
    }

    static func network(_ random: inout some RandomNumberGenerator, v6: Bool) -> IPNetwork {
        let width = v6 ? 128 : 32
        // Mostly long prefixes, some short ones, now and then the whole family.
        let lengths = v6 ? [0, 8, 40, 48, 56, 64, 100, 120, 127, 128] : [0, 8, 12, 16, 20, 24, 28, 31, 32]
        let length = min(width, lengths[Int(random.next() % UInt64(lengths.count))])
        return IPNetwork(address(&random, v6: v6), prefixLength: length)!
    }

    @Test("Ten thousand random inserts, removals and lookups agree with a brute-force reference", arguments: [1, 2, 3])
    func agreesWithReference(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var table = AllowedIPs<Owner>()
        var reference = Reference()
        let owners = (0..<12).map(Owner.init)
        for step in 0..<10_000 {
            let v6 = random.next() % 2 == 0
            switch random.next() % 10 {
            case 0..<4:
                let network = Self.network(&random, v6: v6)
                let owner = owners[Int(random.next() % UInt64(owners.count))]
                table.insert(network, value: owner)
                reference.insert(network, owner)
            case 4:
                // Remove a network that exists half the time, an arbitrary one otherwise.
                let network = reference.routes.isEmpty || random.next() % 2 == 0
                    ? Self.network(&random, v6: v6)
                    : reference.routes[Int(random.next() % UInt64(reference.routes.count))].network
                table.remove(network)
                reference.remove(network)
            case 5 where step % 7 == 0:
                let owner = owners[Int(random.next() % UInt64(owners.count))]
                table.removeAll(routedTo: owner)
                reference.removeAll(routedTo: owner)
            default:
                let address = Self.address(&random, v6: v6)
                let expected = reference.lookup(address)
                let actual = table.lookup(address)
                #expect(actual === expected,
                        "step \(step): \(address) -> \(actual?.id ?? -1), want \(expected?.id ?? -1)")
            }
        }
        for owner in owners {
            #expect(Set(table.networks(routedTo: owner)) == reference.networks(of: owner))
        }
        // A path-compressed trie branches at most once per network: fewer than two nodes per network.
        #expect(table.nodeCount <= 2 * reference.routes.count,
                "\(table.nodeCount) nodes for \(reference.routes.count) routes")
        for owner in owners { table.removeAll(routedTo: owner) }
        #expect(table.nodeCount == 0, "an empty table keeps \(table.nodeCount) nodes")
        #expect(table.lookup(Self.address(&random, v6: false)) == nil)
    }
}
