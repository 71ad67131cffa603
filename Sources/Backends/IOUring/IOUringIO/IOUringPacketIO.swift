import CFZURing
import DataPlane

/// The io_uring backend's packet I/O: one ring and one buffer pool shared by the UDP sockets and the TUN
/// device.
///
/// Everything is allocated, opened and registered here, once; afterwards moving packets allocates nothing.
/// Hand it to an ``IOUringEventLoop`` to drive a ``PacketIOHandler`` with one `io_uring_enter` per turn, or call
/// the channels directly (tests, tools), which then submit and reap themselves.
public final class IOUringPacketIO: PacketIO {
    /// How datagrams are received.
    public typealias ReceiveMode = IOUringReceiveMode

    /// How to size the pool and the ring and what to open; the fields shared with the epoll backend mean the
    /// same there.
    public struct Configuration: Sendable {
        /// Addresses to bind UDP sockets to, at most one IPv4 and one IPv6 (port 0 lets the kernel choose).
        public var udpAddresses: [Endpoint]
        /// TUN interface to open, or `nil` for none. An empty name lets the kernel choose.
        public var tunName: String?
        /// Buffers in the pool: enough for every batch the core holds at once plus what the ring holds.
        public var bufferCount: Int
        /// Bytes per buffer, including headroom and tailroom.
        public var bufferSize: Int
        /// Bytes kept free in front of each received packet (WireGuard's header needs 16).
        public var headroom: Int
        /// Bytes kept free after each received packet (WireGuard's padding and tag need up to 32).
        public var tailroom: Int
        /// The batch size `makeBatch()` uses by default.
        public var batchSize: Int
        /// Socket receive buffer bytes (`SO_RCVBUFFORCE`, or `SO_RCVBUF` without the privilege), or `nil`.
        public var socketReceiveBufferBytes: Int?
        /// Socket send buffer bytes (`SO_SNDBUFFORCE`, or `SO_SNDBUF` without the privilege), or `nil`.
        public var socketSendBufferBytes: Int?
        /// Offloads to turn on where the host has them (see ``IOUringPacketIO/offloads`` for what took).
        public var offloads: PacketOffloads
        /// Sets `SO_REUSEPORT` on the UDP sockets, so several workers' sockets can share one port.
        public var reusePort: Bool = false
        /// Opens the TUN interface as one queue of a multi-queue device (`IFF_MULTI_QUEUE`): one per worker.
        public var tunMultiQueue: Bool = false
        /// How to receive datagrams; `nil` picks the best this kernel has (multishot, else one-shot).
        public var receiveMode: IOUringReceiveMode?
        /// The most pool buffers kept posted for UDP receives; `nil`: a quarter of the pool, at most 256. The
        /// multishot buffer ring holds fewer when large datagrams arrive (see `DatagramReceiver`).
        public var receiveBufferCount: Int?
        /// Reads kept posted on the TUN device.
        public var tunReadDepth: Int
        /// Sends (UDP and TUN) that may be in flight at once; more are dropped.
        public var sendSlots: Int
        /// Submission queue entries of the ring.
        public var ringEntries: Int

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
            offloads: PacketOffloads = [],
            receiveMode: IOUringReceiveMode? = nil,
            receiveBufferCount: Int? = nil,
            tunReadDepth: Int = 16,
            sendSlots: Int = 1024,
            ringEntries: Int = 1024
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
            self.receiveMode = receiveMode
            self.receiveBufferCount = receiveBufferCount
            self.tunReadDepth = tunReadDepth
            self.sendSlots = sendSlots
            self.ringEntries = ringEntries
        }
    }

    /// The buffers of every batch on this backend, allocated once here.
    public let pool: PacketBufferPool
    /// The UDP sockets, one per configured address.
    public let datagrams: IOUringDatagramSockets
    /// The TUN device, if the configuration named one.
    public let tun: IOUringTunDevice?
    /// The offloads in effect: those asked for that the host and the opened sockets and device support.
    public let offloads: PacketOffloads
    /// The batch size `makeBatch()` uses by default.
    public let batchSize: Int
    let ring: IOUringRing

    /// Allocates the pool, sets up the ring, opens and binds the sockets and opens the TUN device.
    public init(configuration: Configuration) throws(IOUringIOError) {
        let pool = PacketBufferPool(
            bufferCount: configuration.bufferCount, bufferSize: configuration.bufferSize,
            headroom: configuration.headroom, tailroom: configuration.tailroom)
        let ring = try IOUringRing(
            entries: configuration.ringEntries, pool: pool, sendSlots: max(1, configuration.sendSlots))
        let wanted = configuration.offloads
        datagrams = try IOUringDatagramSockets(
            binding: configuration.udpAddresses, pool: pool, ring: ring,
            receiveBufferCount: configuration.receiveBufferCount ?? min(256, max(1, configuration.bufferCount / 4)),
            receiveMode: configuration.receiveMode, receiveBufferBytes: configuration.socketReceiveBufferBytes,
            sendBufferBytes: configuration.socketSendBufferBytes, gro: wanted.contains(.udpGRO),
            reusePort: configuration.reusePort)
        tun = try configuration.tunName.map { name throws(IOUringIOError) in
            try IOUringTunDevice(
                name: name, pool: pool, ring: ring, offload: wanted.contains(.tunOffload),
                multiQueue: configuration.tunMultiQueue,
                readDepth: min(configuration.tunReadDepth, max(1, configuration.bufferCount / 8)))
        }
        var inEffect: PacketOffloads = []
        if wanted.contains(.udpGSO) && cfz_udp_offload_support() & 1 != 0 { inEffect.insert(.udpGSO) }
        if datagrams.groEnabled { inEffect.insert(.udpGRO) }
        if tun?.offloadEnabled == true { inEffect.insert(.tunOffload) }
        if tun?.offloadEnabled == true && tun?.usoEnabled == true { inEffect.insert(.tunUDPSegments) }
        offloads = inEffect
        batchSize = configuration.batchSize
        self.pool = pool
        self.ring = ring
    }

    deinit {
        ring.shutdown()
    }

    /// A batch of up to `capacity` packets (default: the configured batch size) on this backend's pool.
    public func makeBatch(capacity: Int? = nil) -> PacketBatch {
        PacketBatch(pool: pool, capacity: capacity ?? batchSize)
    }

    /// Pool buffers the backend holds now rather than the core: in the provided-buffer ring, in posted receives
    /// and reads, in sends not yet completed, and received but not yet handed over. With
    /// `pool.availableCount`, it accounts for every buffer the core does not hold. Read it on the loop's thread:
    /// nothing guards it, and release builds of this module skip run-time exclusivity checks.
    public var heldBufferCount: Int {
        datagrams.receiver.heldBufferCount + (tun?.reader.heldBufferCount ?? 0) + ring.sends.inUse
    }

    /// Sends and TUN writes the kernel completed with an error (counted when their completions arrive; `send`
    /// already counted them as sent). Read it on the loop's thread, like ``heldBufferCount``.
    public var failedSendCount: Int { ring.sends.failedCount }

    /// Cancels every posted receive and read, waits for every submission to complete (at most two seconds) and
    /// gives all the buffers the backend held back to the pool. Receives are posted again when the channels or
    /// an event loop next run. Call it on the loop's thread with the loop stopped, e.g. before reusing or
    /// checking the pool.
    public func reclaimBuffers() {
        var descriptors = datagrams.fileDescriptors
        if let tun { descriptors.append(tun.fileDescriptor) }
        ring.cancelAndDrain(descriptors: descriptors)
        datagrams.receiver.reclaim(on: ring)
        tun?.reader.reclaim()
    }
}
