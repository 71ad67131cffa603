import CFZEpoll
import DataPlane
import Glibc

/// The TUN role of the epoll backend: a non-blocking `/dev/net/tun` descriptor attached to a named
/// `IFF_TUN | IFF_NO_PI` interface, so each read or write is exactly one IP packet.
///
/// The interface exists while the descriptor is open (it is not made persistent); addresses, MTU and link state
/// are set from outside, e.g. with `ip`. A TUN device without offloads has no batch system call, so a batch is
/// one `read` or `write` per packet. Not thread-safe: use it on the event loop's thread.
public final class EpollTunDevice: TunIO {
    /// Failures name the system call and its error.
    public typealias Failure = EpollIOError

    /// The interface name the kernel gave the device.
    public let name: String
    /// The device's file descriptor, for the event loop to watch.
    public let fileDescriptor: Int32
    /// The pool received packets are stored in.
    public let pool: PacketBufferPool

    /// Opens `/dev/net/tun` and attaches it to interface `name`, creating it if it does not exist.
    /// An empty `name` lets the kernel choose (`tun0`, `tun1`, ...). Needs `CAP_NET_ADMIN`.
    public init(name: String, pool: PacketBufferPool) throws(EpollIOError) {
        guard name.utf8.count < Int(CFZ_INTERFACE_NAME_SIZE) else { throw .interfaceNameTooLong(name) }
        var actual = [CChar](repeating: 0, count: Int(CFZ_INTERFACE_NAME_SIZE))
        var failedCall: UnsafePointer<CChar>? = nil
        let fd = cfz_tun_open(name, &actual, &failedCall)
        guard fd >= 0 else {
            let code = errno
            let call = failedCall.map { String(cString: $0) } ?? "open(/dev/net/tun)"
            throw .systemCall("\(call) for \(String(reflecting: name))", errno: code)
        }
        self.name = String(decoding: actual.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fileDescriptor = fd
        self.pool = pool
    }

    deinit {
        close(fileDescriptor)
    }

    /// Appends the IP packets waiting on the device, up to `batch.remainingCapacity`; see
    /// ``PacketChannel/receive(into:)``. Packets larger than the pool's payload capacity are dropped.
    public func receive(into batch: inout PacketBatch) throws(EpollIOError) -> Int {
        precondition(batch.pool === pool, "batch uses another pool")
        // Read one byte more than fits so an oversized packet shows up as too long, not as a short one.
        let readLength = min(pool.payloadCapacity + 1, pool.bufferSize - pool.headroom)
        var appended = 0
        while batch.remainingCapacity > 0, let buffer = pool.acquire() {
            let count = read(fileDescriptor, pool.address(of: buffer) + pool.headroom, readLength)
            if count < 0 {
                let code = errno
                pool.release(buffer)
                if code == EINTR { continue }
                if Errno.isWouldBlock(code) { break }
                throw .systemCall("read(\(name))", errno: code)
            }
            guard count > 0, count <= pool.payloadCapacity else {
                pool.release(buffer)
                if count == 0 { break }
                continue
            }
            batch.append(PacketDescriptor(buffer: buffer, offset: pool.headroom, length: count))
            appended += 1
        }
        return appended
    }

    /// Writes every packet in `batch` to the device and empties it; see ``PacketChannel/send(_:)``.
    /// A packet the kernel refuses (malformed, queue full, interface down) is dropped.
    public func send(_ batch: inout PacketBatch) throws(EpollIOError) -> PacketSendResult {
        precondition(batch.pool === pool, "batch uses another pool")
        defer { batch.removeAll() }
        var result = PacketSendResult()
        var index = 0
        while index < batch.count {
            let entry = batch[index]
            guard entry.buffer != .none else {
                index += 1
                continue
            }
            let written = write(fileDescriptor, pool.address(of: entry.buffer) + entry.offset, entry.length)
            if written >= 0 {
                result.sent += 1
            } else {
                let code = errno
                if code == EINTR { continue }
                if Errno.isFatal(code) { throw .systemCall("write(\(name))", errno: code) }
                result.dropped += 1
            }
            index += 1
        }
        return result
    }
}
