import CFZEpoll
import CFZTunDevice
import DataPlane
import Glibc

/// The TUN role of the epoll backend: a non-blocking `/dev/net/tun` descriptor attached to a named
/// `IFF_TUN | IFF_NO_PI` interface, so each read or write is exactly one IP packet.
///
/// The interface exists while the descriptor is open (it is not made persistent); addresses, MTU and link state
/// are set from outside, e.g. with `ip`. A TUN device has no batch system call, so a batch is one `read` or
/// `write` per packet. Not thread-safe: use it on the event loop's thread.
///
/// Opened with `offload`, the device has `IFF_VNET_HDR` and `TUNSETOFFLOAD` checksum, TSO and (where the kernel
/// has it) USO offloads: every packet read starts with a ``VirtioNetHeader`` and may be a super-packet of up to
/// 64 KiB (split it with ``SegmentationPlan``), and every packet written must start with one (a zeroed header
/// for a plain packet, or one made by ``TCPCoalescing``). Its pool's buffers must then hold
/// ``minimumOffloadPayloadCapacity`` bytes.
public final class EpollTunDevice: TunIO {
    /// Failures name the system call and its error.
    public typealias Failure = EpollIOError

    /// The interface name the kernel gave the device.
    public let name: String
    /// The device's file descriptor, for the event loop to watch.
    public let fileDescriptor: Int32
    /// The pool received packets are stored in.
    public let pool: PacketBufferPool

    /// The offloads the kernel accepted; empty without offload mode.
    public let offloadFlags: TunOffloadFlags
    /// Whether packets read and written start with a ``VirtioNetHeader`` (offload mode).
    public var hasVirtioHeader: Bool { !offloadFlags.isEmpty }

    /// The pool payload capacity offload mode needs: a virtio-net header and a 64 KiB IP super-packet.
    public static let minimumOffloadPayloadCapacity = VirtioNetHeader.size + 65535

    /// Opens `/dev/net/tun` and attaches it to interface `name`, creating it if it does not exist.
    /// An empty `name` lets the kernel choose (`tun0`, `tun1`, ...). Needs `CAP_NET_ADMIN`.
    /// With `offload`, turns on the virtio-net header and checksum, TSO and USO offloads (checksum and TSO only
    /// where the kernel refuses USO); `pool` must then hold ``minimumOffloadPayloadCapacity`` bytes per buffer.
    /// With `multiQueue`, the interface is multi-queue (`IFF_MULTI_QUEUE`) and this opens one more of its queues.
    public init(name: String, pool: PacketBufferPool, offload: Bool = false, multiQueue: Bool = false)
        throws(EpollIOError)
    {
        precondition(
            !offload || pool.payloadCapacity >= Self.minimumOffloadPayloadCapacity,
            "a TUN with offloads reads super-packets of up to \(Self.minimumOffloadPayloadCapacity) bytes "
                + "(virtio-net header + 64 KiB): the pool's payload capacity is only \(pool.payloadCapacity)")
        let opened = try Self.openDevice(name: name, offload: offload, multiQueue: multiQueue)
        self.name = opened.name
        fileDescriptor = opened.fileDescriptor
        offloadFlags = opened.offloads
        self.pool = pool
    }

    /// Opens the device; with `offload`, sets the virtio-net header size and the offloads. Closes the
    /// descriptor again if a step fails.
    static func openDevice(name: String, offload: Bool, multiQueue: Bool = false) throws(EpollIOError)
        -> (name: String, fileDescriptor: Int32, offloads: TunOffloadFlags)
    {
        guard name.utf8.count < Int(CFZ_INTERFACE_NAME_SIZE) else { throw .interfaceNameTooLong(name) }
        var actual = [CChar](repeating: 0, count: Int(CFZ_INTERFACE_NAME_SIZE))
        var failedCall: UnsafePointer<CChar>? = nil
        let fd = cfz_tun_open_queue(name, offload ? 1 : 0, multiQueue ? 1 : 0, &actual, &failedCall)
        guard fd >= 0 else {
            let code = errno
            let call = failedCall.map { String(cString: $0) } ?? "open(/dev/net/tun)"
            throw .systemCall("\(call) for \(String(reflecting: name))", errno: code)
        }
        let actualName = String(decoding: actual.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard offload else { return (actualName, fd, []) }
        guard cfz_tun_set_virtio_header_size(fd, Int32(VirtioNetHeader.size)) == 0 else {
            let code = errno
            close(fd)
            throw .systemCall("ioctl(TUNSETVNETHDRSZ) on \(actualName)", errno: code)
        }
        for offloads in [TunOffloadFlags.preferred, .withoutUSO] {
            if cfz_tun_set_offload(fd, offloads.rawValue) == 0 { return (actualName, fd, offloads) }
            if errno != EINVAL { break }
        }
        let code = errno
        close(fd)
        throw .systemCall("ioctl(TUNSETOFFLOAD, \(TunOffloadFlags.withoutUSO)) on \(actualName)", errno: code)
    }

    /// Opens a throwaway TUN device with offloads to see which the kernel accepts; `failure` says why none
    /// could be had (opening a TUN device needs root or `CAP_NET_ADMIN`). For `fzctl backends`.
    public static func probeOffloads() -> (accepted: TunOffloadFlags, failure: String?) {
        do {
            let opened = try openDevice(name: "", offload: true)
            close(opened.fileDescriptor)
            return (opened.offloads, nil)
        } catch {
            var reason = error.description
            if case .systemCall(_, let code) = error, code == EPERM || code == EACCES {
                reason += " (opening a TUN device needs root or CAP_NET_ADMIN)"
            }
            return ([], reason)
        }
    }

    deinit {
        close(fileDescriptor)
    }

    /// Appends the IP packets waiting on the device, up to `batch.remainingCapacity`; see
    /// ``PacketChannel/receive(into:)``. Packets larger than the pool's payload capacity are dropped.
    /// In offload mode each entry is a virtio-net header and an IP packet or super-packet, as read.
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
    /// In offload mode each entry must start with a virtio-net header; it is written as it is.
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
