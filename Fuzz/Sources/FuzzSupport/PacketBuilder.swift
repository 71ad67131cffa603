import DataPlane

/// IPv4 and IPv6 packets with TCP, UDP or ICMP headers, for seeds and for fuzzer-chosen inner packets.
///
/// Headers are filled in the way a host stack would (version, lengths, hop limit, protocol, addresses)
/// without checksums: the WireGuard engine does not read them.
public enum PacketBuilder {
    /// Inner addresses of the fuzz scenarios: the two tunnel ends, neighbours inside and outside the
    /// allowed IPs, and an outside address.
    public static let ipv4Addresses: [IPv4Address] = [
        IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 2), IPv4Address(10, 1, 2, 3), IPv4Address(10, 0, 0, 3),
        IPv4Address(192, 168, 0, 1),
    ]
    public static let ipv6Addresses: [IPv6Address] = [
        IPv6Address(high: 0xfd00_0000_0000_0000, low: 1), IPv6Address(high: 0xfd00_0000_0000_0000, low: 2),
        IPv6Address(high: 0xfd00_0000_0000_0000, low: 3), IPv6Address(high: 0x2001_0db8_0000_0000, low: 5),
    ]
    /// TCP, UDP, ICMP, ICMPv6 and an unassigned number.
    public static let protocols: [UInt8] = [6, 17, 1, 58, 253]

    /// A packet described by the next bytes of `input`: well-formed IPv4 or IPv6, one with a fuzzed header
    /// byte, or raw bytes.
    public static func packet(_ input: inout FuzzInput) -> [UInt8] {
        let kind = input.choice(5)
        if kind == 2 { return input.shortBytes() }
        let payloadCount = Int(input.uint16() % 1500)
        let protocolNumber = protocols[input.choice(protocols.count)]
        var packet: [UInt8]
        if kind == 0 || kind == 3 {
            packet = ipv4(source: ipv4Addresses[input.choice(ipv4Addresses.count)],
                          destination: ipv4Addresses[input.choice(ipv4Addresses.count)],
                          protocolNumber: protocolNumber, payloadCount: payloadCount)
        } else {
            packet = ipv6(source: ipv6Addresses[input.choice(ipv6Addresses.count)],
                          destination: ipv6Addresses[input.choice(ipv6Addresses.count)],
                          protocolNumber: protocolNumber, payloadCount: payloadCount)
        }
        if kind >= 3 {
            let headerCount = kind == 3 ? 20 : 40
            packet[Int(input.byte()) % headerCount] = input.byte()
        }
        return packet
    }

    /// An IPv4 packet without options: a transport header for `protocolNumber` and `payloadCount` bytes.
    public static func ipv4(source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8,
                            payloadCount: Int) -> [UInt8] {
        let body = transport(protocolNumber, payloadCount: payloadCount)
        let total = 20 + body.count
        var header = [UInt8](repeating: 0, count: 20)
        header[0] = 0x45
        header[2] = UInt8(truncatingIfNeeded: total >> 8)
        header[3] = UInt8(truncatingIfNeeded: total)
        header[6] = 0x40  // don't fragment
        header[8] = 64
        header[9] = protocolNumber
        for lane in 0..<4 {
            header[12 + lane] = UInt8(truncatingIfNeeded: source.value >> UInt32(24 - 8 * lane))
            header[16 + lane] = UInt8(truncatingIfNeeded: destination.value >> UInt32(24 - 8 * lane))
        }
        return header + body
    }

    /// An IPv6 packet without extension headers.
    public static func ipv6(source: IPv6Address, destination: IPv6Address, protocolNumber: UInt8,
                            payloadCount: Int) -> [UInt8] {
        let body = transport(protocolNumber, payloadCount: payloadCount)
        var header = [UInt8](repeating: 0, count: 40)
        header[0] = 0x60
        header[4] = UInt8(truncatingIfNeeded: body.count >> 8)
        header[5] = UInt8(truncatingIfNeeded: body.count)
        header[6] = protocolNumber
        header[7] = 64
        for lane in 0..<8 {
            header[8 + lane] = UInt8(truncatingIfNeeded: source.high >> UInt64(56 - 8 * lane))
            header[16 + lane] = UInt8(truncatingIfNeeded: source.low >> UInt64(56 - 8 * lane))
            header[24 + lane] = UInt8(truncatingIfNeeded: destination.high >> UInt64(56 - 8 * lane))
            header[32 + lane] = UInt8(truncatingIfNeeded: destination.low >> UInt64(56 - 8 * lane))
        }
        return header + body
    }

    /// A TCP SYN, UDP header, ICMP/ICMPv6 echo request, or nothing, then `payloadCount` pattern bytes.
    static func transport(_ protocolNumber: UInt8, payloadCount: Int) -> [UInt8] {
        let payload = (0..<payloadCount).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        switch protocolNumber {
        case 6:
            // Ports 40000 -> 443, sequence 1, data offset 5 words, SYN, window 65535.
            return [0x9C, 0x40, 0x01, 0xBB, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0] + payload
        case 17:
            let length = 8 + payload.count
            return [0x9C, 0x40, 0x00, 0x35, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
                    0, 0] + payload
        case 1:
            return [8, 0, 0, 0, 0x12, 0x34, 0, 1] + payload
        case 58:
            return [128, 0, 0, 0, 0x12, 0x34, 0, 1] + payload
        default:
            return payload
        }
    }
}
