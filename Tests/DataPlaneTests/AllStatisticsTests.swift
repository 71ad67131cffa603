import Crypto
import DataPlane
import Testing

/// `allStatistics` is what `wg show` reads for every peer at once; it must report exactly what the
/// per-peer `statistics(for:)` does, from one pass over the allowed-IPs table.
@Suite struct AllStatisticsTests {
    @Test("allStatistics reports every peer exactly as statistics(for:) does, allowed IPs included")
    func matchesPerPeerStatistics() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        _ = pair.establish()
        let device = pair.a
        for index in 0..<200 {
            let key = SodiumBackend.publicKey(for: privateKey(seed: UInt8(truncatingIfNeeded: index + 3)))
            var networks = [network("10.1.\(index).0/24"), network("172.16.\(index).1/32")]
            if index % 3 == 0 {
                networks.append(IPNetwork(.v6(IPv6Address(high: 0xfd00_0000_0000_0000 | UInt64(index), low: 1)),
                                          prefixLength: 128)!)
            }
            if index % 5 == 0 { networks = [] }
            _ = try? device.addPeer(WireGuardPeerConfiguration(publicKey: key, allowedIPs: networks))
        }
        let now = pair.now.monotonic
        let all = device.allStatistics(now: now)
        #expect(all.count == device.peerPublicKeys.count)
        #expect(Set(all.map(\.publicKey)) == Set(device.peerPublicKeys))
        for stats in all {
            let expected = try #require(device.statistics(for: stats.publicKey, now: now))
            #expect(stats == expected)
        }
        #expect(all.contains { $0.hasSession })
    }
}
