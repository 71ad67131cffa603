import DataPlane

/// The transport a test packet carries.
enum ModelTransport: Hashable, CustomStringConvertible {
    case tcp(UInt16)
    case udp(UInt16)
    case icmpEcho

    var description: String {
        switch self {
        case .tcp(let port): return "tcp/\(port)"
        case .udp(let port): return "udp/\(port)"
        case .icmpEcho: return "icmp"
        }
    }
}

/// A packet a Client's application sends: what the model reasons about, and the bytes the real nodes see.
///
/// The tag travels in the IPv4 identification or the IPv6 flow label, the part of the header an ICMP error
/// quotes, so a "prohibited" error can be traced to the packet it answers.
struct ModelPacket: Hashable, CustomStringConvertible {
    var tag: UInt32
    var destination: IPAddress
    var transport: ModelTransport

    var description: String { "#\(tag) \(destination) \(transport)" }

    /// The IP packet from the Client's tunnel address of the destination's family.
    func bytes(from source: TunnelAddresses) -> [UInt8] {
        var body: [UInt8]
        let payload: [UInt8] = [UInt8(truncatingIfNeeded: tag >> 8), UInt8(truncatingIfNeeded: tag), 0x5A, 0xA5]
        let protocolNumber: UInt8
        switch transport {
        case .tcp(let port):
            protocolNumber = 6
            body = [UInt8](repeating: 0, count: 20)
            body[12] = 0x50
            Self.putPorts(&body, port)
        case .udp(let port):
            protocolNumber = 17
            body = [UInt8](repeating: 0, count: 8)
            Self.putPorts(&body, port)
            body[4] = 0
            body[5] = UInt8(8 + payload.count)
        case .icmpEcho:
            body = [UInt8](repeating: 0, count: 8)
            if case .v6 = destination {
                protocolNumber = 58
                body[0] = 128
            } else {
                protocolNumber = 1
                body[0] = 8
            }
        }
        body += payload
        switch destination {
        case .v4(let destination):
            var header = [UInt8](repeating: 0, count: 20)
            header[0] = 0x45
            header[2] = UInt8((20 + body.count) >> 8)
            header[3] = UInt8((20 + body.count) & 0xFF)
            header[4] = UInt8(truncatingIfNeeded: tag >> 8)
            header[5] = UInt8(truncatingIfNeeded: tag)
            header[8] = 64
            header[9] = protocolNumber
            header.withUnsafeMutableBytes {
                _ = IPAddress.v4(source.ipv4).store(to: $0.baseAddress! + 12)
                _ = IPAddress.v4(destination).store(to: $0.baseAddress! + 16)
            }
            var sum: UInt32 = 0
            for index in stride(from: 0, to: 20, by: 2) {
                sum += UInt32(header[index]) << 8 | UInt32(header[index + 1])
            }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
            let checksum = ~UInt16(sum)
            header[10] = UInt8(checksum >> 8)
            header[11] = UInt8(checksum & 0xFF)
            return header + body
        case .v6(let destination):
            var header = [UInt8](repeating: 0, count: 40)
            header[0] = 0x60
            header[1] = UInt8(truncatingIfNeeded: (tag >> 16) & 0x0F)
            header[2] = UInt8(truncatingIfNeeded: tag >> 8)
            header[3] = UInt8(truncatingIfNeeded: tag)
            header[4] = UInt8(body.count >> 8)
            header[5] = UInt8(body.count & 0xFF)
            header[6] = protocolNumber
            header[7] = 64
            header.withUnsafeMutableBytes {
                _ = IPAddress.v6(source.ipv6).store(to: $0.baseAddress! + 8)
                _ = IPAddress.v6(destination).store(to: $0.baseAddress! + 24)
            }
            return header + body
        }
    }

    static func putPorts(_ body: inout [UInt8], _ destinationPort: UInt16) {
        let sourcePort: UInt16 = 40000
        body[0] = UInt8(sourcePort >> 8)
        body[1] = UInt8(sourcePort & 0xFF)
        body[2] = UInt8(destinationPort >> 8)
        body[3] = UInt8(destinationPort & 0xFF)
    }

    /// The tag of an IP packet built by `bytes(from:)`.
    static func tag(of packet: [UInt8]) -> UInt32? {
        guard let first = packet.first else { return nil }
        switch first >> 4 {
        case 4 where packet.count >= 20: return UInt32(packet[4]) << 8 | UInt32(packet[5])
        case 6 where packet.count >= 40:
            return UInt32(packet[1] & 0x0F) << 16 | UInt32(packet[2]) << 8 | UInt32(packet[3])
        default: return nil
        }
    }

    /// The tag of the packet quoted in an ICMP "administratively prohibited" error; nil for anything else.
    static func prohibitedTag(of packet: [UInt8]) -> UInt32? {
        guard let first = packet.first else { return nil }
        switch first >> 4 {
        case 4:
            let headerLength = Int(first & 0x0F) * 4
            guard packet.count >= headerLength + 8 + 20, packet[9] == 1,
                  packet[headerLength] == 3, packet[headerLength + 1] == 13 else { return nil }
            return tag(of: Array(packet[(headerLength + 8)...]))
        case 6:
            guard packet.count >= 48 + 40, packet[6] == 58, packet[40] == 1, packet[41] == 1 else { return nil }
            return tag(of: Array(packet[48...]))
        default:
            return nil
        }
    }
}
