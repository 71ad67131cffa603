import CFZURing
import CFZTunDevice
import DataPlane
import Glibc

/// The TUN role of the io_uring backend: a `/dev/net/tun` descriptor attached to a named `IFF_TUN | IFF_NO_PI`
/// interface, read through several reads kept posted on the ring and written with one write submission per
/// packet, each keeping its buffer until it completes.
///
/// With offloads (`IFF_VNET_HDR`), every packet both ways starts with a 10-byte virtio-net header and reads may
/// return super-packets of up to 64 KiB; the core gives the header its meaning. Not thread-safe: use it on the
/// event loop's thread.
public final class IOUringTunDevice: TunIO {
    /// Failures name the system call and its error.
    public typealias Failure = IOUringIOError

    /// The interface name the kernel gave the device.
    public let name: String
    /// The device's file descriptor.
    public let fileDescriptor: Int32
    /// The pool packets are stored in.
    public let pool: PacketBufferPool
    /// Whether the device has `IFF_VNET_HDR` with checksum and segmentation offloads on.
    public let offloadEnabled: Bool
    /// Whether UDP segmentation offload (USO) is among them.
    public let usoEnabled: Bool
    let ring: IOUringRing
    let reader: TunReader

    /// Opens `/dev/net/tun` and attaches it to interface `name`, creating it if it does not exist; with
    /// `offload`, turns on the virtio-net header and offloads (without USO where the kernel lacks it).
    /// An empty `name` lets the kernel choose. Needs `CAP_NET_ADMIN`.
    init(name: String, pool: PacketBufferPool, ring: IOUringRing, offload: Bool, multiQueue: Bool = false,
         readDepth: Int)
        throws(IOUringIOError)
    {
        guard name.utf8.count < Int(CFZ_INTERFACE_NAME_SIZE) else { throw .interfaceNameTooLong(name) }
        var actual = [CChar](repeating: 0, count: Int(CFZ_INTERFACE_NAME_SIZE))
        var failedCall: UnsafePointer<CChar>? = nil
        var offloadOn: Int32 = 0
        var uso: Int32 = 0
        let fd = cfz_uring_tun_open(
            name, offload ? 1 : 0, multiQueue ? 1 : 0, &actual, &offloadOn, &uso, &failedCall)
        guard fd >= 0 else {
            let code = errno
            let call = failedCall.map { String(cString: $0) } ?? "open(/dev/net/tun)"
            throw .systemCall("\(call) for \(String(reflecting: name))", errno: code)
        }
        self.name = String(decoding: actual.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fileDescriptor = fd
        self.pool = pool
        self.ring = ring
        offloadEnabled = offloadOn != 0
        usoEnabled = uso != 0
        reader = TunReader(descriptor: fd, pool: pool, depth: readDepth)
        ring.tunReader = reader
    }

    deinit {
        ring.cancelAndDrain(descriptors: [fileDescriptor])
        reader.reclaim()
        ring.tunReader = nil
        close(fileDescriptor)
    }

    /// Appends packets read from the device, up to `batch.remainingCapacity`; see
    /// ``PacketChannel/receive(into:)``. Packets larger than the pool's payload capacity are dropped.
    public func receive(into batch: inout PacketBatch) throws(IOUringIOError) -> Int {
        precondition(batch.pool === pool, "batch uses another pool")
        ring.processCompletions()
        var total = reader.take(into: &batch)
        if !ring.loopAttached {
            reader.arm(on: ring)
            try ring.submit()
            if total == 0 {
                ring.processCompletions()
                total = reader.take(into: &batch)
            }
        }
        return total
    }

    /// Queues one write per packet in `batch` and empties it; see ``PacketChannel/send(_:)``. Each buffer is
    /// kept until its write completes; with no free send slot or submission entry a packet is dropped.
    public func send(_ batch: inout PacketBatch) throws(IOUringIOError) -> PacketSendResult {
        precondition(batch.pool === pool, "batch uses another pool")
        defer { batch.removeAll() }
        var result = PacketSendResult()
        let fd = fileDescriptor
        for index in 0..<batch.count where batch.isPresent(at: index) {
            let entry = batch[index]
            guard let slot = ring.sends.acquire(holding: entry.buffer) else {
                result.dropped += 1
                continue
            }
            _ = batch.take(at: index)
            let address = UnsafeRawPointer(pool.address(of: entry.buffer) + entry.offset)
            let length = UInt32(entry.length)
            let tag = CompletionTag(.send, UInt64(slot)).userData
            if ring.queue({ cfz_uring_prep_write($0, fd, address, length, tag) }) {
                result.sent += 1
            } else {
                ring.sends.abandon(slot, pool: pool)
                result.dropped += 1
            }
        }
        if !ring.loopAttached {
            try ring.submit()
            ring.processCompletions()
        }
        return result
    }
}
