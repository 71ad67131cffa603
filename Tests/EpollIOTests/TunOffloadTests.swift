import DataPlane
import EpollIO
import Foundation
import Glibc
import Testing

/// The TUN device in offload mode against packets the kernel makes: UDP (USO) and TCP (TSO) super-packets read
/// from the device are split with ``SegmentationPlan`` and every segment is checked; a coalesced super-packet
/// written to the device is accepted by the kernel's TCP. Runs in the test's namespace on its own interfaces
/// and subnets (10.213.8.0/24, 10.213.9.0/24), which it deletes again.
@Suite("Epoll TUN offloads against the kernel", .serialized)
struct TunOffloadTests {
    /// A pool whose buffers hold a virtio-net header and a 64 KiB super-packet.
    static func superPacketPool() -> PacketBufferPool {
        PacketBufferPool(bufferCount: 64, bufferSize: EpollTunDevice.minimumOffloadPayloadCapacity + 64 + 63,
                         headroom: 32, tailroom: 32)
    }

    /// Opens `name` with offloads, addresses it with `address`/24 and brings it up.
    static func openTun(_ name: String, address: String, offload: Bool = true) throws -> EpollTunDevice {
        try TunDeviceTests.ip("link", "del", name)
        let pool = offload ? superPacketPool() : PacketBufferPool(bufferCount: 64)
        let tun = try EpollTunDevice(name: name, pool: pool, offload: offload)
        try #require(try TunDeviceTests.ip("addr", "add", "\(address)/24", "dev", name) == 0)
        try #require(try TunDeviceTests.ip("link", "set", name, "up") == 0)
        return tun
    }

    /// Reads what is waiting on `tun` (entries copied out, buffers released).
    static func read(_ tun: EpollTunDevice) throws -> [[UInt8]] {
        var batch = PacketBatch(pool: tun.pool, capacity: 32)
        _ = try tun.receive(into: &batch)
        let packets = (0..<batch.count).map { Array(UnsafeRawBufferPointer(batch.bytes(at: $0))) }
        batch.removeAll()
        return packets
    }

    /// Writes `packets` (each already with its virtio-net header when the device has one) to `tun`.
    static func write(_ packets: [[UInt8]], to tun: EpollTunDevice) throws -> PacketSendResult {
        var batch = PacketBatch(pool: tun.pool, capacity: packets.count)
        for packet in packets {
            guard let index = batch.appendNewBuffer() else { fatalError("pool exhausted") }
            batch[index].length = packet.count
            packet.withUnsafeBytes { batch.bytes(at: index).copyMemory(from: $0) }
        }
        return try tun.send(&batch)
    }

    /// Splits a packet read with its virtio-net header into checked IP packets.
    static func split(_ packet: [UInt8]) throws -> (plan: SegmentationPlan, segments: [[UInt8]]) {
        try packet.withUnsafeBytes { bytes in
            let plan = try SegmentationPlan(parsing: bytes)
            var scratch = [UInt8](repeating: 0, count: 65536)
            let segments = (0..<plan.segmentCount).map { index in
                let length = scratch.withUnsafeMutableBytes {
                    plan.writeSegment(index, from: bytes, to: $0.baseAddress!)
                }
                return Array(scratch[0..<length])
            }
            return (plan, segments)
        }
    }

    static func socketAddress(_ text: String, port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        _ = inet_pton(AF_INET, text, &address.sin_addr)
        return address
    }

    static func withSockaddr<R>(_ address: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    @Test(.enabled(if: geteuid() == 0, "SKIPPED — NOT RUN: TUN offload tests need root (CAP_NET_ADMIN)"))
    func offloadModeReportsWhatTheKernelAccepted() throws {
        let probe = EpollTunDevice.probeOffloads()
        #expect(probe.failure == nil)
        #expect(probe.accepted.isSuperset(of: .withoutUSO), "\(probe.accepted)")
        let name = "fzoffp0"
        defer { _ = try? TunDeviceTests.ip("link", "del", name) }
        let tun = try Self.openTun(name, address: "10.213.10.1")
        #expect(tun.hasVirtioHeader && tun.offloadFlags == probe.accepted)
        #expect(TunOffloadFlags.preferred.description == "CSUM TSO4 TSO6 USO4 USO6")
    }

    @Test(.enabled(if: geteuid() == 0, "SKIPPED — NOT RUN: TUN offload tests need root (CAP_NET_ADMIN)"))
    func kernelUDPSuperPacketSplitsIntoTheDatagramsSent() throws {
        let name = "fzoffu0"
        defer { _ = try? TunDeviceTests.ip("link", "del", name) }
        let tun = try Self.openTun(name, address: "10.213.8.1")
        try #require(tun.offloadFlags.contains(.uso4), "the kernel refused USO4 (needs Linux 6.2): \(tun.offloadFlags)")
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var segmentSize: Int32 = 1400
        try #require(setsockopt(fd, 17, 103, &segmentSize, 4) == 0, "UDP_SEGMENT: errno \(errno)")
        let payload = (0..<30_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 9) }
        let sent = payload.withUnsafeBytes { bytes in
            Self.withSockaddr(Self.socketAddress("10.213.8.2", port: 9999)) {
                sendto(fd, bytes.baseAddress, bytes.count, 0, $0, $1)
            }
        }
        try #require(sent == payload.count, "sendto: errno \(errno)")

        var found: [UInt8]?
        for _ in 0..<1000 where found == nil {
            let packets = try Self.read(tun)
            if packets.isEmpty { usleep(1000) }
            // The IPv4 packet to 10.213.8.2 (the kernel may also send IPv6 chatter).
            found = packets.first {
                $0.count > 38 && $0[10] == 0x45 && $0[19] == 17 && Array($0[26..<30]) == [10, 213, 8, 2]
            }
        }
        let packet = try #require(found, "the datagrams were not read from \(name)")
        let (plan, segments) = try Self.split(packet)
        #expect(plan.header.gsoType == VirtioNetHeader.gsoUDPL4, "the kernel sent no USO super-packet")
        #expect(plan.segmentCount == 22)
        var joined: [UInt8] = []
        for (index, segment) in segments.enumerated() {
            let payloadOffset = try #require(KernelPacketCheck.check(segment))
            #expect(segment.count - payloadOffset == (index < 21 ? 1400 : 30_000 - 21 * 1400))
            joined += segment[payloadOffset...]
        }
        #expect(joined == payload)
    }

    /// `packet` (IPv4/UDP from ``TunDeviceTests/udpPacket(from:to:payload:)``) with its UDP checksum filled in.
    static func withUDPChecksum(_ packet: [UInt8]) -> [UInt8] {
        var packet = packet
        var sum: UInt32 = 17 + UInt32(packet.count - 20)
        var offset = 12
        while offset + 1 < packet.count {
            sum += UInt32(packet[offset]) << 8 | UInt32(packet[offset + 1])
            offset += 2
        }
        if offset < packet.count { sum += UInt32(packet[offset]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        var checksum = ~UInt16(sum)
        if checksum == 0 { checksum = 0xFFFF }
        packet[26] = UInt8(checksum >> 8)
        packet[27] = UInt8(checksum & 0xFF)
        return packet
    }

    @Test(.enabled(if: geteuid() == 0, "SKIPPED — NOT RUN: TUN offload tests need root (CAP_NET_ADMIN)"))
    func coalescedUDPSuperPacketReachesSocketsAsTheDatagramsWritten() throws {
        let name = "fzoffc0"
        defer { _ = try? TunDeviceTests.ip("link", "del", name) }
        let tun = try Self.openTun(name, address: "10.213.13.1")
        try #require(tun.offloadFlags.contains(.uso4), "the kernel refused USO4 (needs Linux 6.2): \(tun.offloadFlags)")
        // One receiver reads datagram by datagram, the other asks for GRO and takes the run whole.
        var sockets: [(fd: Int32, port: UInt16)] = []
        defer { for socket in sockets { close(socket.fd) } }
        for gro in [false, true] {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            try #require(fd >= 0)
            var on: Int32 = 1
            if gro { try #require(setsockopt(fd, 17, 104, &on, 4) == 0, "UDP_GRO: errno \(errno)") }
            try #require(Self.withSockaddr(Self.socketAddress("10.213.13.1", port: 0)) { bind(fd, $0, $1) } == 0)
            var local = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            sockets.append((fd, UInt16(bigEndian: local.sin_port)))
        }
        for (fd, port) in sockets {
            let payloads = (0..<8).map { index in (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 5 &+ index) } }
                + [Array("the short last one".utf8)]
            let datagrams = payloads.map { payload in
                Self.withUDPChecksum(TunDeviceTests.udpPacket(
                    from: Endpoint(address: .v4(IPv4Address(10, 213, 13, 2)), port: 7777),
                    to: Endpoint(address: .v4(IPv4Address(10, 213, 13, 1)), port: port), payload: payload))
            }
            var destination = [UInt8](repeating: 0, count: 65545)
            let superPacket = try destination.withUnsafeMutableBytes { buffer -> [UInt8] in
                var group = try #require(datagrams[0].withUnsafeBytes { UDPCoalescing.start($0, into: buffer).group })
                for datagram in datagrams.dropFirst() {
                    let appended = datagram.withUnsafeBytes { UDPCoalescing.append($0, to: &group, in: buffer) }
                    #expect(appended)
                }
                return Array(buffer[0..<UDPCoalescing.finish(group, in: buffer)])
            }
            #expect(superPacket[1] == VirtioNetHeader.gsoUDPL4)
            #expect(try Self.write([superPacket], to: tun).sent == 1, "the kernel took the USO super-packet")
            var got: [[UInt8]] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            for _ in 0..<2000 where got.reduce(0, { $0 + $1.count }) < payloads.reduce(0, { $0 + $1.count }) {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count > 0 { got.append(Array(chunk[0..<count])) } else { usleep(1000) }
            }
            if port == sockets[0].port {
                #expect(got == payloads, "a socket without GRO reads the datagrams one by one")
            } else {
                #expect(got == [payloads.flatMap { $0 }], "a socket with GRO reads the run in one call")
            }
        }
    }

    @Test(.enabled(if: geteuid() == 0, "SKIPPED — NOT RUN: TUN offload tests need root (CAP_NET_ADMIN)"))
    func kernelTCPSuperPacketsSplitIntoInOrderSegmentsAndACoalescedReplyIsAccepted() throws {
        let name = "fzofft0"
        defer { _ = try? TunDeviceTests.ip("link", "del", name) }
        let tun = try Self.openTun(name, address: "10.213.9.1")
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        try #require(client >= 0)
        defer { close(client) }
        var bufferSize: Int32 = 4 << 20
        _ = setsockopt(client, SOL_SOCKET, SO_SNDBUF, &bufferSize, 4)
        let connected = Self.withSockaddr(Self.socketAddress("10.213.9.2", port: 8080)) { connect(client, $0, $1) }
        try #require(connected == 0 || errno == EINPROGRESS, "connect: errno \(errno)")

        var peer = KernelPacketCheck.TCPPeer(local: [10, 213, 9, 2], remote: [10, 213, 9, 1], localPort: 8080)
        // The SYN: answer with a SYN-ACK (MSS 1460, window scale 7) so the kernel starts sending.
        var synFound = false
        for _ in 0..<2000 where !synFound {
            for packet in try Self.read(tun) {
                let (_, segments) = try Self.split(packet)
                guard let syn = segments.first, peer.accepts(syn), syn[33] & 0x02 != 0 else { continue }
                peer.remotePort = UInt16(syn[20]) << 8 | UInt16(syn[21])
                peer.expected = KernelPacketCheck.be32(syn, 24) &+ 1
                #expect(try Self.write([[UInt8](repeating: 0, count: 10) + peer.synAck()], to: tun).sent == 1)
                synFound = true
            }
            if !synFound { usleep(1000) }
        }
        try #require(synFound, "no SYN from the kernel on \(name)")

        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        var offset = 0
        var received: [UInt8] = []
        var superPackets = 0
        var largest = 0
        for _ in 0..<5000 where received.count < payload.count {
            if offset < payload.count {
                let count = payload[offset...].withUnsafeBytes {
                    send(client, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
                }
                if count > 0 { offset += count }
            }
            let packets = try Self.read(tun)
            if packets.isEmpty { usleep(500) }
            for packet in packets {
                let (plan, segments) = try Self.split(packet)
                guard let first = segments.first, peer.accepts(first) else { continue }
                if plan.segmentCount > 1 { superPackets += 1 }
                largest = max(largest, plan.segmentCount)
                for segment in segments {
                    let payloadOffset = try #require(KernelPacketCheck.check(segment))
                    guard segment.count > payloadOffset else { continue }
                    let sequence = KernelPacketCheck.be32(segment, 24)
                    guard sequence == peer.expected else {
                        // A retransmission of what we have is harmless; anything else is a hole.
                        #expect(Int32(bitPattern: sequence &- peer.expected) < 0, "a sequence gap")
                        continue
                    }
                    received += segment[payloadOffset...]
                    peer.expected &+= UInt32(segment.count - payloadOffset)
                }
                _ = try Self.write([[UInt8](repeating: 0, count: 10) + peer.ack()], to: tun)
            }
        }
        #expect(received.count == payload.count)
        #expect(received == payload, "the bytes the kernel sent came out of the split in order")
        #expect(superPackets > 0, "the kernel sent no TSO super-packet")
        print("TSO: \(superPackets) super-packets, the largest \(largest) segments")

        // The other way: eight segments coalesced into one write with a virtio-net header.
        let reply = (0..<8000).map { UInt8(truncatingIfNeeded: $0 &* 3) }
        var destination = [UInt8](repeating: 0, count: 65545)
        let superPacket = destination.withUnsafeMutableBytes { buffer -> [UInt8] in
            var group: CoalesceGroup?
            for index in 0..<8 {
                let segment = peer.data(Array(reply[index * 1000..<(index + 1) * 1000]))
                segment.withUnsafeBytes { bytes in
                    if group == nil {
                        group = TCPCoalescing.start(bytes, into: buffer).group
                    } else {
                        let appended = TCPCoalescing.append(bytes, to: &group!, in: buffer)
                        #expect(appended)
                    }
                }
            }
            let length = group.map { TCPCoalescing.finish($0, in: buffer) } ?? 0
            return Array(buffer[0..<length])
        }
        #expect(superPacket.count == 10 + 40 + 8000)
        #expect(try Self.write([superPacket], to: tun).sent == 1)
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<2000 where got.count < reply.count {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { got += chunk[0..<count] } else { usleep(1000) }
        }
        #expect(got == reply, "the kernel's TCP took the coalesced super-packet as 8000 bytes in order")
    }

    @Test(.enabled(if: geteuid() == 0, "SKIPPED — NOT RUN: TUN offload tests need root (CAP_NET_ADMIN)"))
    func withoutOffloadPacketsCarryNoVirtioHeaderBothWays() throws {
        let name = "fzoffn0"
        defer { _ = try? TunDeviceTests.ip("link", "del", name) }
        let tun = try Self.openTun(name, address: "10.213.11.1", offload: false)
        #expect(!tun.hasVirtioHeader && tun.offloadFlags.isEmpty)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        let bound = Self.withSockaddr(Self.socketAddress("10.213.11.1", port: 0)) { bind(fd, $0, $1) }
        try #require(bound == 0)
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = UInt16(bigEndian: local.sin_port)

        // Written: an exact IPv4/UDP packet arrives at the socket as its payload.
        let payload = Array("no virtio header here".utf8)
        let packet = TunDeviceTests.udpPacket(
            from: Endpoint(address: .v4(IPv4Address(10, 213, 11, 2)), port: 7777),
            to: Endpoint(address: .v4(IPv4Address(10, 213, 11, 1)), port: port), payload: payload)
        #expect(try Self.write([packet], to: tun).sent == 1)
        var buffer = [UInt8](repeating: 0, count: 2048)
        var count = -1
        for _ in 0..<1000 where count < 0 {
            count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { usleep(1000) }
        }
        #expect(count >= 0 && Array(buffer[0..<max(count, 0)]) == payload)

        // Read: the reply is exactly one IP packet, starting at the first byte, as long as its total length.
        let reply = Array("and none on the way out".utf8)
        _ = reply.withUnsafeBytes { bytes in
            Self.withSockaddr(Self.socketAddress("10.213.11.2", port: 7777)) {
                sendto(fd, bytes.baseAddress, bytes.count, 0, $0, $1)
            }
        }
        var found: [UInt8]?
        for _ in 0..<1000 where found == nil {
            let packets = try Self.read(tun)
            if packets.isEmpty { usleep(1000) }
            found = packets.first { $0.count >= 28 && $0[0] == 0x45 && $0[9] == 17 }
        }
        let read = try #require(found, "the reply was not read from \(name)")
        #expect(read.count == Int(KernelPacketCheck.be16(read, 2)))
        #expect(Array(read[12..<20]) == [10, 213, 11, 1, 10, 213, 11, 2])
        #expect(Array(read[20..<22]) == [UInt8(port >> 8), UInt8(port & 0xFF)] && Array(read[22..<24]) == [0x1e, 0x61])
        #expect(Array(read[28...]) == reply)
        #expect(KernelPacketCheck.check(read) == 28)
    }
}

/// An independent checker for kernel-made packets and the few TCP packets the test's peer sends.
enum KernelPacketCheck {
    static func be16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
    static func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(be16(bytes, at)) << 16 | UInt32(be16(bytes, at + 2))
    }

    /// The folded ones'-complement sum of `bytes` plus `initial`.
    static func sum(_ bytes: ArraySlice<UInt8>, _ initial: UInt32 = 0) -> UInt16 {
        var total = UInt64(initial)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            total += UInt64(bytes[index]) << 8 | (index + 1 < bytes.endIndex ? UInt64(bytes[index + 1]) : 0)
            index += 2
        }
        while total >> 16 != 0 { total = (total & 0xFFFF) + (total >> 16) }
        return UInt16(total)
    }

    /// Checks an IPv4 TCP or UDP packet's lengths and checksums; returns where its payload starts.
    static func check(_ ip: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Int? {
        guard ip.count >= 28, ip[0] == 0x45, ip[9] == 6 || ip[9] == 17 else {
            Issue.record("not an IPv4 TCP/UDP packet without options", sourceLocation: sourceLocation)
            return nil
        }
        #expect(Int(be16(ip, 2)) == ip.count, "IPv4 total length", sourceLocation: sourceLocation)
        #expect(sum(ip[0..<20]) == 0xFFFF, "IPv4 header checksum", sourceLocation: sourceLocation)
        let pseudo = UInt32(sum(ip[12..<20])) + UInt32(ip[9]) + UInt32(ip.count - 20)
        #expect(sum(ip[20...], pseudo) == 0xFFFF, "L4 checksum", sourceLocation: sourceLocation)
        if ip[9] == 17 {
            #expect(Int(be16(ip, 24)) == ip.count - 20, "UDP length", sourceLocation: sourceLocation)
            return 28
        }
        return 20 + Int(ip[32] >> 4) * 4
    }

    /// The test's side of one TCP connection through the TUN: the addresses, and the next byte expected.
    struct TCPPeer {
        var local: [UInt8]
        var remote: [UInt8]
        var localPort: UInt16
        var remotePort: UInt16 = 0
        var sequence: UInt32 = 0x7000_0000
        var expected: UInt32 = 0

        /// Whether `ip` is a TCP packet of this connection from the kernel.
        func accepts(_ ip: [UInt8]) -> Bool {
            ip.count >= 40 && ip[0] == 0x45 && ip[9] == 6 && Array(ip[16..<20]) == local
                && be16(ip, 22) == localPort && (remotePort == 0 || be16(ip, 20) == remotePort)
        }

        func synAck() -> [UInt8] {
            packet(flags: 0x12, sequence: sequence, options: [2, 4, 0x05, 0xb4, 1, 3, 3, 7], payload: [])
        }

        func ack() -> [UInt8] { packet(flags: 0x10, sequence: sequence &+ 1, options: [], payload: []) }

        /// A data segment; advances nothing (the test sends each piece once, in order).
        mutating func data(_ payload: [UInt8]) -> [UInt8] {
            defer { sequence &+= UInt32(payload.count) }
            return packet(flags: 0x10, sequence: sequence &+ 1, options: [], payload: payload)
        }

        func packet(flags: UInt8, sequence: UInt32, options: [UInt8], payload: [UInt8]) -> [UInt8] {
            func bytes16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
            func bytes32(_ value: UInt32) -> [UInt8] { bytes16(UInt16(value >> 16)) + bytes16(UInt16(value & 0xFFFF)) }
            var tcp = bytes16(localPort) + bytes16(remotePort) + bytes32(sequence) + bytes32(expected)
            tcp += [UInt8((20 + options.count) / 4) << 4, flags, 0xFF, 0xFF, 0, 0, 0, 0] + options + payload
            let pseudo = UInt32(sum(ArraySlice(local + remote))) + 6 + UInt32(tcp.count)
            let tcpChecksum = ~sum(tcp[...], pseudo)
            tcp[16] = UInt8(tcpChecksum >> 8)
            tcp[17] = UInt8(tcpChecksum & 0xFF)
            var ip: [UInt8] = [0x45, 0] + bytes16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0]
            ip += local + remote
            let ipChecksum = ~sum(ip[...])
            ip[10] = UInt8(ipChecksum >> 8)
            ip[11] = UInt8(ipChecksum & 0xFF)
            return ip + tcp
        }
    }
}
