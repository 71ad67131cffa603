import DataPlane
import Foundation
import Testing

@Suite("TUN devices, every backend")
struct TunDeviceTests {
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

    /// A UDP packet is routed into the TUN device, read from it, and a reply written to it reaches the socket.
    /// Each backend gets its own interface and subnet, so the cases can run in parallel.
    @Test(.enabled(
        if: geteuid() == 0,
        "SKIPPED — NOT RUN: the TUN device test needs root (CAP_NET_ADMIN) to create an interface; CI runs as root"),
        arguments: Backend.allCases)
    func packetsCrossTheTunDevice(_ backend: Backend) throws {
        try packetsCrossTheTunDeviceBody(backend.ioType, backend)
    }

    func packetsCrossTheTunDeviceBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let subnet = UInt8(7 + Backend.allCases.firstIndex(of: backend)!)
        let interface = "fzpio\(subnet)"
        try Self.ip("link", "del", interface)
        defer { _ = try? Self.ip("link", "del", interface) }
        let io = try IO.open([.ipv4Any(port: 0)], backend: backend, options: .init(tunName: interface))
        let tun = try #require(io.tun)
        #expect(io.tunName == interface)
        try #require(try Self.ip("addr", "add", "10.213.\(subnet).1/24", "dev", interface) == 0)
        try #require(try Self.ip("link", "set", interface, "up") == 0)

        let local = Endpoint(address: .v4(IPv4Address(10, 213, subnet, 1)), port: io.localAddresses[0].port)
        let remote = Endpoint(address: .v4(IPv4Address(10, 213, subnet, 2)), port: 9999)
        let payload = Array("hello through \(interface)".utf8)
        var outgoing = io.makeBatch(capacity: nil)
        PacketIOSupport.appendDatagram(payload, to: remote, in: &outgoing)
        #expect(try io.datagrams.send(&outgoing).sent == 1)

        // Read until the datagram shows up as an IPv4 packet; the kernel may also send IPv6 chatter.
        var packets = io.makeBatch(capacity: nil)
        var found: [UInt8]?
        for _ in 0..<1000 where found == nil {
            if try tun.receive(into: &packets) == 0 { usleep(1000) }
            for index in 0..<packets.count {
                let packet = PacketIOSupport.bytes(packets, at: index)
                if packet.count >= 28, packet[0] == 0x45, packet[9] == 17,
                    Array(packet[16..<20]) == [10, 213, subnet, 2]
                {
                    found = packet
                }
            }
            packets.removeAll()
        }
        let packet = try #require(found, "the datagram was not read from \(interface)")
        #expect(Array(packet[12..<16]) == [10, 213, subnet, 1])
        #expect(UInt16(packet[20]) << 8 | UInt16(packet[21]) == local.port)
        #expect(UInt16(packet[22]) << 8 | UInt16(packet[23]) == 9999)
        #expect(Array(packet[28...]) == payload)

        // Write the reply as a packet from 10.213.x.2:9999 and receive it on the socket.
        let reply = Self.udpPacket(from: remote, to: local, payload: Array("reply".utf8))
        var toTun = io.makeBatch(capacity: nil)
        let appended = toTun.appendNewBuffer()
        let index = try #require(appended)
        toTun[index].length = reply.count
        reply.withUnsafeBytes { toTun.bytes(at: index).copyMemory(from: $0) }
        #expect(try tun.send(&toTun) == PacketSendResult(sent: 1, dropped: 0))

        var incoming = io.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: io.datagrams, into: &incoming)
        try #require(incoming.count == 1)
        #expect(incoming[0].source == remote)
        #expect(incoming[0].destination == local)
        #expect(PacketIOSupport.bytes(incoming, at: 0) == Array("reply".utf8))
        incoming.removeAll()
        #expect(PacketIOSupport.allBuffersAccountedFor(io))
        io.reclaim()
        #expect(io.pool.availableCount == io.pool.bufferCount, "every buffer is back after reclaiming")
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
