import DataPlane

/// Hand-assembled IP packets for the policy and packet tests, so each header field is under test control.
enum TestPackets {
    static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress { .v4(IPv4Address(a, b, c, d)) }

    /// Groups as written; fewer than eight are padded with zeros before the last, like `fd00::3`.
    static func v6(_ groups: UInt16...) -> IPAddress {
        var all = groups
        while all.count < 8 { all.insert(0, at: all.count - 1) }
        return .v6(IPv6Address(groups: all))
    }

    static func network(_ address: IPAddress, _ length: Int) -> IPNetwork { IPNetwork(address, prefixLength: length)! }

    static func bytes(of address: IPAddress) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        let count = out.withUnsafeMutableBytes { address.store(to: $0.baseAddress!) }
        return Array(out[0..<count])
    }

    /// Ports (big-endian) followed by `extra` zero bytes: a TCP or UDP header start.
    static func ports(_ source: UInt16, _ destination: UInt16, extra: Int = 16) -> [UInt8] {
        [UInt8(source >> 8), UInt8(source & 0xFF), UInt8(destination >> 8), UInt8(destination & 0xFF)]
            + [UInt8](repeating: 0, count: extra)
    }

    /// An ICMP header with a zero checksum and four rest-of-header bytes, then `extra` bytes.
    static func icmp(type: UInt8, code: UInt8, extra: [UInt8] = []) -> [UInt8] {
        [type, code, 0, 0, 0, 0, 0, 0] + extra
    }

    /// An IPv4 packet with a correct header checksum.
    static func ipv4(
        from source: IPAddress, to destination: IPAddress, protocol proto: UInt8, payload: [UInt8],
        fragmentOffset: UInt16 = 0, moreFragments: Bool = false, options: [UInt8] = [], padding: Int = 0
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        let total = headerLength + payload.count
        let fragment = fragmentOffset | (moreFragments ? 0x2000 : 0)
        var header: [UInt8] = [
            UInt8(0x40 | headerLength / 4), 0, UInt8(total >> 8), UInt8(total & 0xFF), 0x12, 0x34,
            UInt8(fragment >> 8), UInt8(fragment & 0xFF), 64, proto, 0, 0,
        ]
        header += bytes(of: source) + bytes(of: destination) + options
        let sum = checksum(header)
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xFF)
        return header + payload + [UInt8](repeating: 0, count: padding)
    }

    /// An IPv6 packet; `extensions` are (header number, whole header bytes) with their next-header byte
    /// filled in here, ending in `protocol`.
    static func ipv6(
        from source: IPAddress, to destination: IPAddress, protocol proto: UInt8, payload: [UInt8],
        extensions: [(number: UInt8, bytes: [UInt8])] = []
    ) -> [UInt8] {
        var chain: [UInt8] = []
        for (index, ext) in extensions.enumerated() {
            var bytes = ext.bytes
            bytes[0] = index + 1 < extensions.count ? extensions[index + 1].number : proto
            chain += bytes
        }
        let payloadLength = chain.count + payload.count
        let first = extensions.first?.number ?? proto
        let header: [UInt8] = [0x60, 0, 0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xFF), first, 64]
        return header + bytes(of: source) + bytes(of: destination) + chain + payload
    }

    /// An 8-byte options-style extension header (hop-by-hop, routing, destination options).
    static func options8(_ number: UInt8) -> (number: UInt8, bytes: [UInt8]) { (number, [0, 0, 1, 4, 0, 0, 0, 0]) }

    /// An IPv6 fragment header with the offset in 8-byte units.
    static func fragment(offset: UInt16, more: Bool) -> (number: UInt8, bytes: [UInt8]) {
        let field = offset << 3 | (more ? 1 : 0)
        return (44, [0, 0, UInt8(field >> 8), UInt8(field & 0xFF), 0, 0, 0, 1])
    }

    /// RFC 1071 checksum, written independently of the module's so the tests check it.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index < bytes.count {
            let high = UInt32(bytes[index])
            let low = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            sum += high << 8 | low
            index += 2
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func flow(_ packet: [UInt8]) throws -> PacketFlow {
        try packet.withUnsafeBytes { bytes throws(IPHeaderError) in try PacketFlow(parsing: bytes) }
    }
}
