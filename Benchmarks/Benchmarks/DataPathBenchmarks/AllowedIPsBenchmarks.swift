import Benchmark
import DataPlane

/// Cryptokey routing on the packet path: the longest-prefix lookup of a destination among 10,000 peers' /32
/// and /128 routes under a covering /16 and /48 (a Gateway's shape), in the path-compressed trie. Each lookup
/// walks at most one node per address bit; mallocs must be 0.
func registerAllowedIPs() {
    final class Owner {}

    func table() -> (AllowedIPs<Owner>, [IPAddress]) {
        var table = AllowedIPs<Owner>()
        let wide = Owner()
        table.insert(IPNetwork(.v4(IPv4Address(100, 64, 0, 0)), prefixLength: 16)!, value: wide)
        table.insert(IPNetwork(.v6(IPv6Address(high: 0xFD00_0000_0000_0000, low: 0)), prefixLength: 48)!, value: wide)
        var addresses: [IPAddress] = []
        for index in 0..<10_000 {
            let owner = Owner()
            let v4 = IPAddress.v4(IPv4Address(100, 64, UInt8(index >> 8), UInt8(truncatingIfNeeded: index)))
            let v6 = IPAddress.v6(IPv6Address(high: 0xFD00_0000_0000_0000, low: UInt64(index) * 0x9E37_79B9))
            table.insert(IPNetwork(v4, prefixLength: 32)!, value: owner)
            table.insert(IPNetwork(v6, prefixLength: 128)!, value: owner)
            addresses += [v4, v6]
        }
        return (table, addresses)
    }

    Benchmark("AllowedIPs: lookup among 10,000 peers' /32 and /128 routes: mallocs must be 0",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo)) { benchmark in
        let (routes, addresses) = table()
        var index = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(routes.lookup(addresses[index]))
            index = index + 7 < addresses.count ? index + 7 : index + 7 - addresses.count
        }
        benchmark.stopMeasurement()
    }
}
