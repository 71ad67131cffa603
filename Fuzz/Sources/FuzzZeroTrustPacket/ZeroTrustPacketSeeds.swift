import DataPlane
import FuzzSupport

/// Seeds for the zero-trust packet target: packets for the parsers (mode 0) and pair programs (mode 1)
/// that reach each packet path once.
enum ZeroTrustPacketSeeds {
    static func make() -> [(name: String, bytes: [UInt8])] {
        let client4 = IPv4Address(100, 64, 0, 2)
        let web = IPv4Address(10, 0, 0, 7)
        let client6 = IPv6Address(high: 0xfd00_2021_1111_0000, low: 2)
        let db6 = IPv6Address(high: 0xfd00_0010_0000_0000, low: 5)
        let tcp4 = PacketBuilder.ipv4(source: client4, destination: web, protocolNumber: 6, payloadCount: 8)
        let udp6 = PacketBuilder.ipv6(source: client6, destination: db6, protocolNumber: 17, payloadCount: 8)
        var fragment = PacketBuilder.ipv4(source: client4, destination: web, protocolNumber: 17, payloadCount: 8)
        fragment[6] = 0x00
        fragment[7] = 0x10  // offset 16 bytes: a later fragment
        var hopByHop = PacketBuilder.ipv6(source: client6, destination: db6, protocolNumber: 0, payloadCount: 0)
        hopByHop += [6, 0, 1, 4, 0, 0, 0, 0] + [0x9C, 0x40, 0, 80] + [UInt8](repeating: 0, count: 16)
        hopByHop[5] = UInt8(hopByHop.count - 40)
        var seeds: [(name: String, bytes: [UInt8])] = [
            ("parse-ipv4-tcp", [0] + tcp4),
            ("parse-ipv6-udp", [0] + udp6),
            ("parse-ipv4-fragment", [0] + fragment),
            ("parse-ipv6-hop-by-hop", [0] + hopByHop),
        ]
        for (name, packet) in [("ipv4", tcp4), ("ipv6", udp6)] {
            var error = [UInt8](repeating: 0, count: ICMPProhibited.maximumLength)
            let length = packet.withUnsafeBytes { source in
                error.withUnsafeMutableBytes { ICMPProhibited.build(replyingTo: source, into: $0) }
            }!
            seeds.append(("parse-prohibited-\(name)", [0] + error[..<length]))
        }
        // Programs (mode byte 1, added below): a header byte (bit 0 the feature flag, the rest how many flows exist), then operations:
        // 0 client sends, 1 client seals, 2 resource sends, 3 gateway seals, 4 grant, 5 revoke, 6 time, 7 pump.
        // Address indices are `ZeroTrustPair.interestingAddresses`: 0 Client, 2 web, 3 dns, 4 outsider (IPv4),
        // 5 Client, 7 db6, 8 ping6 (IPv6); protocol indices `PacketBuilder.protocols`: 0 TCP, 1 UDP, 2 ICMP.
        let allFlowsReauthorizing: UInt8 = 1 | 4 << 1
        seeds.append(("pair-client-pending", [0] + [0] + aimed(0, 2, 0, port: 443) + [0] + aimed(0, 2, 0, port: 443)
                                             + [4, 0, 0, 7]))
        seeds.append(("pair-client-flows", [allFlowsReauthorizing] + [0] + aimed(0, 2, 0, port: 80)
                                           + [0] + aimed(5, 7, 1, port: 5432) + [0] + aimed(0, 3, 1, port: 53)
                                           + [0] + aimed(0, 2, 0, port: 22) + [0] + aimed(5, 8, 3, port: 0)))
        seeds.append(("pair-gateway-checks", [allFlowsReauthorizing] + [1] + aimed(0, 2, 0, port: 22)
                                             + [1] + aimed(4, 2, 0, port: 80) + [1] + aimed(0, 1, 2, port: 0)
                                             + [1, 0, 4, 0x45, 0, 0, 0]))
        seeds.append(("pair-replies", [allFlowsReauthorizing] + [2] + aimed(2, 0, 0, port: 40000)
                                      + [2] + aimed(3, 0, 1, port: 40000) + [3] + aimed(4, 0, 0, port: 80)
                                      + [3] + aimed(2, 0, 2, port: 0, type: 3)))
        seeds.append(("pair-expiry", [8, 4, 2, 1, 2, 6, 100, 0] + [0] + aimed(0, 3, 1, port: 53) + [5, 0]
                                     + [0] + aimed(0, 2, 0, port: 80)))
        seeds.append(("pair-raw", [allFlowsReauthorizing, 0, 0, 28] + Array(tcp4.prefix(28))
                                  + [3, 0, 40] + Array(udp6.prefix(40))))
        return seeds.map { $0.name.hasPrefix("pair-") ? ($0.name, [1] + $0.bytes) : $0 }
    }

    /// The bytes `ZeroTrustProgram.packet(_:)` reads for a well-formed packet: addresses and protocol by
    /// index, 6 payload bytes, the destination port (or ICMP type and code bytes) and optionally the first
    /// transport byte (the ICMP type).
    static func aimed(_ source: UInt8, _ destination: UInt8, _ protocolIndex: UInt8, port: UInt16,
                      type: UInt8? = nil) -> [UInt8] {
        [1, source, destination, protocolIndex, 1, UInt8(port & 0xFF), UInt8(port >> 8)]
            + (type.map { [1, $0] } ?? [0])
    }
}
