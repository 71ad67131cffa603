import CFZEpoll
import CFZSocketControl
import DataPlane
import Glibc

/// The UDP role of the epoll backend: up to one non-blocking socket per IP family, moved in batches with
/// `recvmmsg` and `sendmmsg`.
///
/// Receiving drains the sockets in turn (starting with a different one each call, so a busy family cannot starve
/// the other) and reports each datagram's sender and local address. Sending routes each datagram to the socket
/// of its destination's family. Not thread-safe: use it on the event loop's thread.
public final class EpollDatagramSockets: DatagramIO {
    /// Failures name the system call and its error.
    public typealias Failure = EpollIOError

    /// The pool received datagrams are stored in.
    public let pool: PacketBufferPool
    private let sockets: [UDPSocket]
    private let vector: MessageVector
    private var nextSocket = 0
    /// Whether runs of equal datagrams may go out as one `UDP_SEGMENT` send. Asked for at startup and turned off
    /// for good when the kernel refuses a segmented send with `EIO` (a device without checksum offload), as
    /// wireguard-go does: the tunnel then sends every datagram on its own. Read it on the loop's thread: it can
    /// change there, nothing guards it, and release builds of this module skip run-time exclusivity checks.
    public private(set) var sendsTrains: Bool
    /// Whether every socket receives `UDP_GRO` trains.
    public let receivesTrains: Bool

    /// Opens and binds one socket per address in `addresses` (at most one IPv4 and one IPv6).
    ///
    /// - Parameters:
    ///   - batchSize: The most datagrams one `recvmmsg` or `sendmmsg` moves.
    ///   - receiveBufferBytes: `SO_RCVBUF` for each socket, or `nil` for the system default.
    ///   - sendBufferBytes: `SO_SNDBUF` for each socket, or `nil` for the system default.
    ///   - gso: whether to send runs of equal datagrams as one segmented send (when the kernel can).
    ///   - gro: whether to receive datagram trains (when the kernel can); the pool's buffers must then hold
    ///     64 KiB.
    ///   - reusePort: whether to set `SO_REUSEPORT` before binding (one socket per worker on one port).
    public init(
        binding addresses: [Endpoint],
        pool: PacketBufferPool,
        batchSize: Int = 64,
        receiveBufferBytes: Int? = nil,
        sendBufferBytes: Int? = nil,
        gso: Bool = false,
        gro: Bool = false,
        reusePort: Bool = false
    ) throws(EpollIOError) {
        guard !addresses.isEmpty else { throw .noUDPAddress }
        precondition(batchSize > 0 && batchSize <= 1024, "batchSize out of range (1...1024)")
        var opened: [UDPSocket] = []
        for address in addresses {
            if opened.contains(where: { $0.localAddress.hasSameFamily(as: address) }) {
                throw .duplicateFamily(address)
            }
            opened.append(
                try UDPSocket(
                    binding: address, receiveBufferBytes: receiveBufferBytes, sendBufferBytes: sendBufferBytes,
                    gro: gro, reusePort: reusePort))
        }
        self.pool = pool
        sockets = opened
        sendsTrains = gso && Self.kernelSendsTrains(opened[0].fileDescriptor)
        receivesTrains = gro && opened.allSatisfy(\.receivesTrains)
        vector = MessageVector(capacity: batchSize)
    }

    /// The bound addresses, in the order given, with the ports the kernel chose for port 0.
    public var localAddresses: [Endpoint] { sockets.map(\.localAddress) }

    /// The sockets' file descriptors, for the event loop to watch.
    public var fileDescriptors: [Int32] { sockets.map(\.fileDescriptor) }

    /// The most datagrams one system call moves.
    public var batchSize: Int { vector.capacity }

    /// Appends the datagrams waiting on the sockets, up to `batch.remainingCapacity`; see
    /// ``PacketChannel/receive(into:)``.
    ///
    /// Each socket gets one `recvmmsg` per call; call again until it returns 0. Datagrams larger than the pool's
    /// payload capacity are dropped.
    public func receive(into batch: inout PacketBatch) throws(EpollIOError) -> Int {
        precondition(batch.pool === pool, "batch uses another pool")
        var total = 0
        let first = nextSocket
        nextSocket = (nextSocket + 1) % sockets.count
        for step in 0..<sockets.count where batch.remainingCapacity > 0 {
            total += try receive(from: sockets[(first + step) % sockets.count], into: &batch)
        }
        return total
    }

    /// Sends every datagram in `batch` and empties it; see ``PacketChannel/send(_:)``.
    ///
    /// Datagrams with no destination, or to a family with no socket, are dropped. A datagram the kernel refuses
    /// (unreachable, too large) is dropped and the rest are still sent; when a socket's queue is full the rest
    /// of that socket's datagrams are dropped.
    public func send(_ batch: inout PacketBatch) throws(EpollIOError) -> PacketSendResult {
        precondition(batch.pool === pool, "batch uses another pool")
        defer { batch.removeAll() }
        var result = PacketSendResult()
        for index in 0..<batch.count where batch.isPresent(at: index) {
            let destination = batch[index].destination
            if destination == nil || !sockets.contains(where: { $0.localAddress.hasSameFamily(as: destination!) }) {
                result.dropped += 1
            }
        }
        for socket in sockets {
            var slots = 0
            for index in 0..<batch.count {
                let entry = batch[index]
                guard entry.buffer != .none, let destination = entry.destination,
                    destination.hasSameFamily(as: socket.localAddress)
                else { continue }
                vector.prepareSend(
                    slots, base: pool.address(of: entry.buffer) + entry.offset, length: entry.length,
                    destination: destination,
                    source: entry.source.flatMap { $0.address.isUnspecified ? nil : $0.address },
                    interfaceIndex: entry.interfaceIndex,
                    segmentSize: entry.segmentSize)
                slots += 1
                if slots == vector.capacity {
                    try flush(socket, count: slots, into: &result)
                    slots = 0
                }
            }
            if slots > 0 {
                try flush(socket, count: slots, into: &result)
            }
        }
        return result
    }

    private func receive(from socket: UDPSocket, into batch: inout PacketBatch) throws(EpollIOError) -> Int {
        let wanted = min(batch.remainingCapacity, vector.capacity)
        // Read one byte more than fits so an oversized datagram shows up as too long, not as a short one.
        let readLength = min(pool.payloadCapacity + 1, pool.bufferSize - pool.headroom)
        var prepared = 0
        while prepared < wanted, let buffer = pool.acquire() {
            vector.buffers[prepared] = buffer
            vector.prepareReceive(prepared, base: pool.address(of: buffer) + pool.headroom, length: readLength)
            prepared += 1
        }
        guard prepared > 0 else { return 0 }
        var received = cfz_recvmmsg(socket.fileDescriptor, vector.headers, UInt32(prepared), Int32(MSG_DONTWAIT))
        if received < 0 {
            let code = errno
            for slot in 0..<prepared { pool.release(vector.buffers[slot]) }
            if Errno.isWouldBlock(code) || code == EINTR { return 0 }
            throw .systemCall("recvmmsg", errno: code)
        }
        var appended = 0
        let port = socket.localAddress.port
        for slot in 0..<Int(received) {
            let header = vector.headers[slot]
            let length = Int(header.msg_len)
            guard header.msg_hdr.msg_flags & Int32(MSG_TRUNC) == 0, length <= pool.payloadCapacity,
                let source = vector.source(of: slot)
            else {
                pool.release(vector.buffers[slot])
                continue
            }
            let control = vector.receiveControl(of: slot)
            batch.append(
                PacketDescriptor(
                    buffer: vector.buffers[slot], offset: pool.headroom, length: length,
                    segmentSize: Int(control.segment_size), source: source,
                    destination: Self.localAddress(control, port: port, fallback: socket.localAddress),
                    interfaceIndex: control.interface_index))
            appended += 1
        }
        while Int(received) < prepared {
            pool.release(vector.buffers[Int(received)])
            received += 1
        }
        return appended
    }

    /// Sends headers `0..<count` of the vector on `socket`, skipping over datagrams the kernel refuses.
    private func flush(_ socket: UDPSocket, count: Int, into result: inout PacketSendResult) throws(EpollIOError) {
        var start = 0
        while start < count {
            let sent = cfz_sendmmsg(socket.fileDescriptor, vector.headers + start, UInt32(count - start),
                                    Int32(MSG_DONTWAIT))
            if sent > 0 {
                result.sent += Int(sent)
                start += Int(sent)
                continue
            }
            let code = errno
            if code == EINTR { continue }
            if Errno.isFatal(code) {
                throw .systemCall("sendmmsg(\(socket.localAddress))", errno: code)
            }
            if Errno.isWouldBlock(code) || code == ENOBUFS {
                result.dropped += count - start
                return
            }
            // A segmented send the device cannot do: no more of them (the tunnel reads `sendsTrains`).
            if code == EIO && vector.headers[start].msg_hdr.msg_controllen > 0 && sendsTrains {
                sendsTrains = false
            }
            // This one datagram was refused (unreachable, too large, ...): drop it and go on with the next.
            result.dropped += 1
            start += 1
        }
    }

    /// Whether the kernel accepts `UDP_SEGMENT` (setting it as a socket option tests that without sending).
    static func kernelSendsTrains(_ fd: Int32) -> Bool {
        let accepted = UDPSocket.trySetOption(fd, UDPSocket.udpLevel, UDPSocket.segmentOption, 1200)
        // 0 again: a socket-wide segment size would split every datagram; the tunnel asks per send instead.
        _ = UDPSocket.trySetOption(fd, UDPSocket.udpLevel, UDPSocket.segmentOption, 0)
        return accepted
    }

    /// The local address from a packet-info message, or `fallback` when there was none.
    @inline(__always)
    private static func localAddress(_ control: cfz_receive_control, port: UInt16, fallback: Endpoint) -> Endpoint {
        var bytes = control.destination
        return withUnsafeBytes(of: &bytes) { raw in
            switch control.destination_family {
            case AF_INET:
                return Endpoint(address: .v4(IPv4Address(loadingFrom: raw.baseAddress!)), port: port)
            case AF_INET6:
                return Endpoint(address: .v6(IPv6Address(loadingFrom: raw.baseAddress!)), port: port)
            default:
                return fallback
            }
        }
    }
}
