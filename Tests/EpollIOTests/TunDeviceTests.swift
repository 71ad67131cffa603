import DataPlane
import EpollIO
import Foundation
import Testing

/// Helpers for epoll-only TUN tests; the TUN read/write test every backend passes is in PacketIOTests.
@Suite("Epoll TUN device")
struct TunDeviceTests {
    static let interface = "fzepoll0"

    /// Runs `ip` with `arguments`; returns its exit status.
    @discardableResult
    static func ip(_ arguments: String...) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// An IPv4 packet with a UDP datagram (UDP checksum 0, which IPv4 allows).
    static func udpPacket(from source: Endpoint, to destination: Endpoint, payload: [UInt8]) -> [UInt8] {
        let total = 28 + payload.count
        var packet: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0]
        for endpoint in [source, destination] {
            var bytes = [UInt8](repeating: 0, count: 4)
            _ = bytes.withUnsafeMutableBytes { endpoint.address.store(to: $0.baseAddress!) }
            packet += bytes
        }
        var sum: UInt32 = 0
        for offset in stride(from: 0, to: 20, by: 2) { sum += UInt32(packet[offset]) << 8 | UInt32(packet[offset + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let checksum = ~UInt16(sum)
        packet[10] = UInt8(checksum >> 8)
        packet[11] = UInt8(checksum & 0xFF)
        let udpLength = 8 + payload.count
        packet += [UInt8(source.port >> 8), UInt8(source.port & 0xFF), UInt8(destination.port >> 8),
                   UInt8(destination.port & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
        return packet + payload
    }
}
