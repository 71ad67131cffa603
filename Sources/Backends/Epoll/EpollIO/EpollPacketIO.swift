import DataPlane

/// The epoll backend's packet I/O: one buffer pool shared by the UDP sockets and the TUN device.
///
/// Everything is allocated and opened here, once; afterwards moving packets allocates nothing. Hand it to an
/// ``EpollEventLoop`` to drive a ``PacketIOHandler``, or call the channels directly (tests).
public final class EpollPacketIO: PacketIO {
    /// How to size the pool and what to open.
    public struct Configuration: Sendable {
        /// Addresses to bind UDP sockets to, at most one IPv4 and one IPv6 (port 0 lets the kernel choose).
        public var udpAddresses: [Endpoint]
        /// TUN interface to open, or `nil` for none. An empty name lets the kernel choose.
        public var tunName: String?
        /// Buffers in the pool: enough for every batch the core holds at once plus what sockets lend.
        public var bufferCount: Int
        /// Bytes per buffer, including headroom and tailroom.
        public var bufferSize: Int
        /// Bytes kept free in front of each received packet (WireGuard's header needs 16).
        public var headroom: Int
        /// Bytes kept free after each received packet (WireGuard's padding and tag need up to 32).
        public var tailroom: Int
        /// Most datagrams per `recvmmsg`/`sendmmsg`.
        public var batchSize: Int
        /// `SO_RCVBUF` for the UDP sockets, or `nil` for the system default.
        public var socketReceiveBufferBytes: Int?
        /// `SO_SNDBUF` for the UDP sockets, or `nil` for the system default.
        public var socketSendBufferBytes: Int?
        /// Offloads to use where the kernel has them (see ``EpollPacketIO/offloads`` for what is in effect).
        /// GRO and TUN offloads need buffers of ``PacketOffloads/superPacketBufferSize`` bytes.
        public var offloads: PacketOffloads
        /// Sets `SO_REUSEPORT` on the UDP sockets, so several workers' sockets can share one port.
        public var reusePort: Bool = false
        /// Opens the TUN interface as one queue of a multi-queue device (`IFF_MULTI_QUEUE`): one per worker.
        public var tunMultiQueue: Bool = false

        /// A configuration with 1024 buffers of 2048 bytes, 32 bytes of headroom and tailroom, and batches of 64.
        public init(
            udpAddresses: [Endpoint],
            tunName: String? = nil,
            bufferCount: Int = 1024,
            bufferSize: Int = 2048,
            headroom: Int = 32,
            tailroom: Int = 32,
            batchSize: Int = 64,
            socketReceiveBufferBytes: Int? = nil,
            socketSendBufferBytes: Int? = nil,
            offloads: PacketOffloads = []
        ) {
            self.udpAddresses = udpAddresses
            self.tunName = tunName
            self.bufferCount = bufferCount
            self.bufferSize = bufferSize
            self.headroom = headroom
            self.tailroom = tailroom
            self.batchSize = batchSize
            self.socketReceiveBufferBytes = socketReceiveBufferBytes
            self.socketSendBufferBytes = socketSendBufferBytes
            self.offloads = offloads
        }
    }

    /// The buffers of every batch on this backend, allocated once here.
    public let pool: PacketBufferPool
    /// The UDP sockets, one per configured address.
    public let datagrams: EpollDatagramSockets
    /// The TUN device, if the configuration named one.
    public let tun: EpollTunDevice?

    /// Allocates the pool, opens and binds the sockets and opens the TUN device.
    public init(configuration: Configuration) throws(EpollIOError) {
        let pool = PacketBufferPool(
            bufferCount: configuration.bufferCount, bufferSize: configuration.bufferSize,
            headroom: configuration.headroom, tailroom: configuration.tailroom)
        self.pool = pool
        datagrams = try EpollDatagramSockets(
            binding: configuration.udpAddresses, pool: pool, batchSize: configuration.batchSize,
            receiveBufferBytes: configuration.socketReceiveBufferBytes,
            sendBufferBytes: configuration.socketSendBufferBytes,
            gso: configuration.offloads.contains(.udpGSO), gro: configuration.offloads.contains(.udpGRO),
            reusePort: configuration.reusePort)
        let offloadTun = configuration.offloads.contains(.tunOffload)
        tun = try configuration.tunName.map { name throws(EpollIOError) in
            try EpollTunDevice(name: name, pool: pool, offload: offloadTun, multiQueue: configuration.tunMultiQueue)
        }
    }

    /// The offloads in effect: asked for in the configuration and accepted by the kernel. GSO can drop out
    /// while running (a device that refuses segmented sends).
    public var offloads: PacketOffloads {
        var result: PacketOffloads = []
        if datagrams.sendsTrains { result.insert(.udpGSO) }
        if datagrams.receivesTrains { result.insert(.udpGRO) }
        if tun?.hasVirtioHeader == true { result.insert(.tunOffload) }
        if tun?.offloadFlags.contains(.uso4) == true { result.insert(.tunUDPSegments) }
        return result
    }

    /// A batch of up to `capacity` packets (default: the datagram batch size) on this backend's pool.
    public func makeBatch(capacity: Int? = nil) -> PacketBatch {
        PacketBatch(pool: pool, capacity: capacity ?? datagrams.batchSize)
    }
}
