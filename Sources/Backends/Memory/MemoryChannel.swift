import DataPlane

/// One side of ``MemoryPacketIO``: a queue of packets waiting to be received and a record of what was sent.
///
/// It models what a kernel can do to a driver: a receive queue that may hold more than a batch, a send
/// queue that takes only so many packets per call (``sendLimit``), a completion backend that keeps sent
/// buffers until the send completes (``holdsSentBuffers``), and a channel that breaks (``failure``).
public final class MemoryChannel: DatagramIO, TunIO {
    /// One packet as it crossed the channel.
    public struct Packet: Equatable, Sendable {
        public var bytes: [UInt8]
        public var source: Endpoint?
        public var destination: Endpoint?
        /// Size of each datagram of a GSO/GRO train, or 0 for one packet.
        public var segmentSize: Int
        /// The interface a datagram arrived on, or the one it was sent by (0: unknown, or any).
        public var interfaceIndex: UInt32

        public init(
            bytes: [UInt8], source: Endpoint? = nil, destination: Endpoint? = nil, segmentSize: Int = 0,
            interfaceIndex: UInt32 = 0
        ) {
            self.bytes = bytes
            self.source = source
            self.destination = destination
            self.segmentSize = segmentSize
            self.interfaceIndex = interfaceIndex
        }
    }

    /// What a broken channel throws.
    public struct Failure: Error, Equatable, Sendable {
        public var reason: String

        public init(_ reason: String) { self.reason = reason }
    }

    let pool: PacketBufferPool
    var pending: [Packet] = []
    var pendingHead = 0
    var inFlight: [PacketBufferID] = []

    /// Packets handed to ``send(_:)`` and accepted, oldest first, when ``recordsSent`` is set.
    public private(set) var sent: [Packet] = []
    /// Whether ``sent`` keeps the packets (turn off for long runs; the counters still count).
    public var recordsSent = true
    /// Packets accepted by ``send(_:)`` so far.
    public private(set) var sentCount = 0
    /// Packets ``send(_:)`` dropped because of ``sendLimit``.
    public private(set) var droppedCount = 0
    /// Packets ``receive(into:)`` delivered so far.
    public private(set) var receivedCount = 0
    /// The most packets one ``send(_:)`` accepts; the rest are dropped, as a full kernel queue drops them.
    public var sendLimit = Int.max
    /// Keep the buffers of accepted packets until ``completeSends()``, as a completion backend (io_uring)
    /// does until the kernel reports the send done.
    public var holdsSentBuffers = false
    /// When set, the next ``receive(into:)`` or ``send(_:)`` throws it.
    public var failure: Failure?

    init(pool: PacketBufferPool) {
        self.pool = pool
    }

    /// Queues a packet for the handler to receive.
    public func inject(
        _ bytes: [UInt8], source: Endpoint? = nil, destination: Endpoint? = nil, segmentSize: Int = 0,
        interfaceIndex: UInt32 = 0
    ) {
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        pending.append(Packet(bytes: bytes, source: source, destination: destination, segmentSize: segmentSize,
                              interfaceIndex: interfaceIndex))
    }

    /// Packets injected and not yet received.
    public var pendingCount: Int { pending.count - pendingHead }

    /// Buffers held for sends not yet completed.
    public var inFlightCount: Int { inFlight.count }

    /// Forgets the recorded packets.
    public func clearSent() { sent.removeAll(keepingCapacity: true) }

    /// Completes every held send: its buffers go back to the pool.
    public func completeSends() {
        for buffer in inFlight { pool.release(buffer) }
        inFlight.removeAll(keepingCapacity: true)
    }

    public func receive(into batch: inout PacketBatch) throws(Failure) -> Int {
        if let failure { throw failure }
        var appended = 0
        while pendingHead < pending.count, batch.remainingCapacity > 0 {
            let packet = pending[pendingHead]
            guard packet.bytes.count <= pool.payloadCapacity else {
                // Too large for a buffer: dropped whole, as a truncated datagram would be.
                pendingHead += 1
                continue
            }
            guard let buffer = pool.acquire() else { break }
            pendingHead += 1
            let start = pool.address(of: buffer) + pool.headroom
            packet.bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            batch.append(PacketDescriptor(buffer: buffer, offset: pool.headroom, length: packet.bytes.count,
                                          segmentSize: packet.segmentSize, source: packet.source,
                                          destination: packet.destination, interfaceIndex: packet.interfaceIndex))
            appended += 1
        }
        receivedCount += appended
        return appended
    }

    public func send(_ batch: inout PacketBatch) throws(Failure) -> PacketSendResult {
        if let failure { throw failure }
        var result = PacketSendResult()
        for index in 0..<batch.count where batch.isPresent(at: index) {
            guard result.sent < sendLimit else {
                result.dropped += 1
                continue
            }
            if recordsSent {
                let descriptor = batch[index]
                sent.append(Packet(bytes: Array(batch.bytes(at: index)), source: descriptor.source,
                                   destination: descriptor.destination, segmentSize: descriptor.segmentSize,
                                   interfaceIndex: descriptor.interfaceIndex))
            }
            result.sent += 1
            if holdsSentBuffers, let taken = batch.take(at: index) {
                inFlight.append(taken.buffer)
            }
        }
        batch.removeAll()
        sentCount += result.sent
        droppedCount += result.dropped
        return result
    }
}
