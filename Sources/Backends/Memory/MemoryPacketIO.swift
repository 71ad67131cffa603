import DataPlane

/// A packet I/O backend whose "network" and "TUN device" are queues in memory.
///
/// It drives the real ``PacketIOHandler`` code (the Tunnel's pumps, outbox and buffer handling) without
/// sockets, devices or root, so driver behaviour is testable on any machine and in a simulated network.
/// Tests push packets into ``MemoryChannel/inject(_:source:destination:)`` and read what the handler sent
/// from ``MemoryChannel/sent``. Single-threaded, like every backend's loop.
public final class MemoryPacketIO: PacketIO {
    public let pool: PacketBufferPool
    public let datagrams: MemoryChannel
    public let tun: MemoryChannel?
    /// The offloads the driver should assume: with ``PacketOffloads/tunOffload`` TUN packets carry a virtio-net
    /// header both ways; datagram entries carry `segmentSize` as tests inject them and as the driver sends them.
    public var offloads: PacketOffloads

    /// A backend over a new pool of `bufferCount` buffers of `bufferSize` bytes (64 bytes of headroom and
    /// tailroom, as the epoll backend leaves for the WireGuard header, padding and tag).
    public init(bufferCount: Int = 256, bufferSize: Int = 2048, withTun: Bool = true, offloads: PacketOffloads = []) {
        self.offloads = offloads
        pool = PacketBufferPool(bufferCount: bufferCount, bufferSize: bufferSize, headroom: 64, tailroom: 64)
        datagrams = MemoryChannel(pool: pool)
        tun = withTun ? MemoryChannel(pool: pool) : nil
    }
}
