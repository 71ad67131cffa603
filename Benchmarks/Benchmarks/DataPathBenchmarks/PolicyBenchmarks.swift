import Benchmark
import DataPlane

/// The Gateway's per-packet work besides crypto: parse the transport header, match the Client's
/// authorizations (longest prefix, union of filters) and, for a denied packet, build the "prohibited" error.
/// The malloc count must stay 0 (`scripts/check-hostile-mallocs` checks it).
func registerPolicy() {
    Benchmark("Policy checks (6 packets, 1 error built per iteration): mallocs must be 0",
              configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal])) { benchmark in
        var table = AuthorizationTable()
        func network(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ length: Int) -> IPNetwork {
            IPNetwork(.v4(IPv4Address(a, b, c, 0)), prefixLength: length)!
        }
        table.authorize(ResourceDescription(id: ResourceID("web"), name: "Web", address: network(10, 201, 1, 24),
                                            filters: FilterSet([.tcp(80...443), .icmp])), expiresAt: nil)
        table.authorize(ResourceDescription(id: ResourceID("net"), name: "Net", address: network(10, 201, 0, 16),
                                            filters: FilterSet([.udp(53...53)])), expiresAt: UnixTime(seconds: 1 << 40))
        let v6 = IPNetwork(.v6(IPv6Address(groups: [0xfd00, 0x201, 1, 0, 0, 0, 0, 0])), prefixLength: 64)!
        table.authorize(ResourceDescription(id: ResourceID("v6"), name: "V6", address: v6), expiresAt: nil)
        let client = IPv4Address(100, 64, 0, 2)
        let packets = [
            policyPacket(client, IPv4Address(10, 201, 1, 10), proto: 6, port: 443),   // allowed
            policyPacket(client, IPv4Address(10, 201, 1, 10), proto: 17, port: 53),   // allowed by the union
            policyPacket(client, IPv4Address(10, 201, 1, 10), proto: 6, port: 22),    // denied
            policyPacket(client, IPv4Address(10, 201, 9, 10), proto: 6, port: 80),    // denied: udp 53 only
            policyPacket(client, IPv4Address(10, 202, 0, 1), proto: 1, port: 0),      // no Resource
            policyPacket(client, IPv4Address(10, 201, 1, 10), proto: 1, port: 0),     // allowed icmp
        ]
        let expected = [true, true, false, false, false, true]
        let error = UnsafeMutableRawBufferPointer.allocate(byteCount: ICMPProhibited.maximumLength, alignment: 16)
        defer { error.deallocate() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for index in packets.indices {
                let allowed = packets[index].withUnsafeBytes { bytes -> Bool in
                    guard let flow = try? PacketFlow(parsing: bytes) else { return false }
                    return table.allowsOutbound(flow)
                }
                guard allowed == expected[index] else { fatalError("packet \(index): allowed \(allowed)") }
            }
            let length = packets[2].withUnsafeBytes { ICMPProhibited.build(replyingTo: $0, into: error) }
            blackHole(length)
        }
        benchmark.stopMeasurement()
    }
}

/// An IPv4 packet with a TCP (20-byte), UDP or ICMP (8-byte) header to `port`.
func policyPacket(_ source: IPv4Address, _ destination: IPv4Address, proto: UInt8, port: UInt16) -> [UInt8] {
    let transport = proto == 6 ? 20 : 8
    var packet = [UInt8](repeating: 0, count: 20 + transport + 16)
    packet[0] = 0x45
    packet[2] = UInt8(packet.count >> 8)
    packet[3] = UInt8(packet.count & 0xFF)
    packet[8] = 64
    packet[9] = proto
    packet.withUnsafeMutableBytes {
        source.store(to: $0.baseAddress! + 12)
        destination.store(to: $0.baseAddress! + 16)
    }
    if proto == 1 {
        packet[20] = 8
    } else {
        packet[22] = UInt8(port >> 8)
        packet[23] = UInt8(port & 0xFF)
        if proto == 6 { packet[32] = 0x50 }
    }
    return packet
}
