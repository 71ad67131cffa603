import DataPlane
import FuzzSupport

/// Seeds for the IP target: real IPv4/IPv6 TCP, UDP and ICMP packets, broken headers, address texts and an
/// allowed-IPs program. The first byte of each is the mode (`fuzzTestOneInput`).
enum IPPacketSeeds {
    static func make() -> [(name: String, bytes: [UInt8])] {
        let a4 = IPv4Address(10, 0, 0, 1)
        let b4 = IPv4Address(192, 168, 1, 20)
        let a6 = IPv6Address(high: 0xfd00_0000_0000_0000, low: 1)
        let b6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x20)
        var packets: [(String, [UInt8])] = [
            ("ipv4-tcp", PacketBuilder.ipv4(source: a4, destination: b4, protocolNumber: 6, payloadCount: 12)),
            ("ipv4-udp", PacketBuilder.ipv4(source: a4, destination: b4, protocolNumber: 17, payloadCount: 20)),
            ("ipv4-icmp", PacketBuilder.ipv4(source: b4, destination: a4, protocolNumber: 1, payloadCount: 56)),
            ("ipv6-tcp", PacketBuilder.ipv6(source: a6, destination: b6, protocolNumber: 6, payloadCount: 12)),
            ("ipv6-udp", PacketBuilder.ipv6(source: a6, destination: b6, protocolNumber: 17, payloadCount: 20)),
            ("ipv6-icmpv6", PacketBuilder.ipv6(source: b6, destination: a6, protocolNumber: 58, payloadCount: 56)),
        ]
        var withOptions = PacketBuilder.ipv4(source: a4, destination: b4, protocolNumber: 17, payloadCount: 4)
        withOptions[0] = 0x46  // one word of options: the total length now ends inside the UDP header
        packets.append(("ipv4-options", withOptions + [0, 0, 0, 0]))
        var padded = PacketBuilder.ipv4(source: a4, destination: b4, protocolNumber: 1, payloadCount: 8)
        padded += [UInt8](repeating: 0, count: 12)  // WireGuard's zero padding after the packet
        packets.append(("ipv4-padded", padded))
        packets.append(("ipv4-truncated", Array(PacketBuilder.ipv4(source: a4, destination: b4, protocolNumber: 6,
                                                                   payloadCount: 40).prefix(30))))
        packets.append(("ipv6-truncated", Array(PacketBuilder.ipv6(source: a6, destination: b6, protocolNumber: 17,
                                                                   payloadCount: 8).prefix(39))))
        var seeds: [(name: String, bytes: [UInt8])] = packets.map { ("packet-\($0.0)", [0] + $0.1) }
        seeds.append(("packet-misaligned-ipv6", [1] + packets[3].1))
        let texts = ["10.0.0.1", "255.255.255.255", "fd00::1", "::ffff:10.1.2.3", "2001:db8::1:0:0:1", "::",
                     "1:2:3:4:5:6:7:8", "10.0.0.0/8", "fd00::/64", "192.0.2.7:51820", "[2001:db8::1]:51820",
                     "vpn.example.com:51820", "010.0.0.1", "1::2::3"]
        for (index, text) in texts.enumerated() { seeds.append(("text-\(index)", [2] + Array(text.utf8))) }
        // Allowed IPs: insert v4 /24 and /32 and a v6 /64 for two owners, remove one owner, look up.
        seeds.append(("allowed-ips", [3, 0, 1, 0, 0, 0, 24, 0, 1, 1, 0, 0, 1, 32, 1, 0, 0, 0, 0, 0, 0, 64, 2,
                                      4, 1, 1, 0, 0, 3, 1, 1, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0]))
        return seeds
    }
}
