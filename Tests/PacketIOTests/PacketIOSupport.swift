import DataPlane
import Glibc

/// Helpers shared by the backend tests.
enum PacketIOSupport {
    /// Whether this host can bind a UDP socket on `::1` (IPv6 may be disabled, as in some containers).
    static let ipv6Available: Bool = {
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr.__in6_u.__u6_addr8.15 = 1
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
    }()
    static let noIPv6 = "NOT RUN: this host cannot bind UDP on ::1 (IPv6 disabled)"

    /// Appends a datagram with `payload` to `destination` to `batch`.
    static func appendDatagram(_ payload: [UInt8], to destination: Endpoint, in batch: inout PacketBatch) {
        guard let index = batch.appendNewBuffer() else { fatalError("pool or batch is full") }
        batch[index].length = payload.count
        batch[index].destination = destination
        payload.withUnsafeBytes { batch.bytes(at: index).copyMemory(from: $0) }
    }

    /// A payload whose bytes identify datagram `number`.
    static func payload(_ number: Int, length: Int = 100) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: number &* 31 &+ $0) }
    }

    /// Receives on `channel` until `expected` entries are in `batch` or about one second has passed.
    static func receive<Channel: PacketChannel>(
        _ expected: Int, from channel: Channel, into batch: inout PacketBatch
    ) throws(Channel.Failure) {
        var attempts = 0
        while batch.count < expected && attempts < 1000 {
            if try channel.receive(into: &batch) == 0 {
                attempts += 1
                usleep(1000)
            }
        }
    }

    /// The bytes of entry `index` as an array.
    static func bytes(_ batch: borrowing PacketBatch, at index: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(batch.bytes(at: index)))
    }

    /// Whether every pool buffer is either free or held by the backend itself, i.e. the core holds none and
    /// none leaked.
    static func allBuffersAccountedFor<IO: BackendIO>(_ io: IO) -> Bool {
        io.pool.availableCount + io.heldBufferCount == io.pool.bufferCount
    }
}

extension Endpoint {
    /// `127.0.0.1` with `port`.
    static func ipv4Loopback(port: UInt16) -> Endpoint { Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: port) }
    /// `::1` with `port`.
    static func ipv6Loopback(port: UInt16) -> Endpoint {
        Endpoint(address: .v6(IPv6Address(high: 0, low: 1)), port: port)
    }
    /// `0.0.0.0` with `port`.
    static func ipv4Any(port: UInt16) -> Endpoint { Endpoint(address: .v4(IPv4Address(value: 0)), port: port) }
    /// `4` or `6`.
    var ipVersion: Int {
        if case .v4 = address { return 4 }
        return 6
    }
}
