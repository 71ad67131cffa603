import DataPlane
import WireGuardConfig

/// The driver's core: moves batches between a packet I/O backend and a `TunnelNode` (a plain
/// `WireGuardDevice`, or a zero-trust Gateway or Client wrapping one).
///
/// Datagrams from the network are decrypted in place and their buffers handed to the TUN device;
/// packets from the TUN device are encrypted in place (the pool's headroom and tailroom hold the
/// WireGuard header, padding and tag) and handed to the UDP sockets. Both directions reuse the buffers
/// the backend lent, so nothing is copied or allocated per packet. Packets the node makes itself go to
/// the TUN device in pool buffers; its control events go to the `events` sink after every turn. Generic
/// over the node and the I/O backend, so one concrete pairing is specialized at startup.
public final class WireGuardTunnel<Node: TunnelNode, IO: PacketIO>: PacketIOHandler {
    public typealias Backend = Node.Backend

    /// The role this driver runs.
    public let node: Node
    /// The WireGuard engine underneath the node.
    public var device: WireGuardDevice<Backend> { node.device }
    /// Runs the commands queued in the control mailbox, on the loop thread (nil without a mailbox).
    let drainControl: ((WireGuardTunnel, WireGuardTime) -> Void)?
    /// Where the node's control events go, after each turn.
    let events: (@Sendable (Node.ControlEvent) -> Void)?
    /// Read once per wake-up for handshake timestamps.
    let wallClock: any WallClock
    /// Where items for the other workers' peers go, when several workers run the interface.
    public let exchange: WorkerExchange?
    /// This driver's worker (0 alone): its device's shard.
    let worker: Int

    var received: PacketBatch
    var toTun: PacketBatch
    var toNetwork: PacketBatch
    /// Set when a channel broke; the loop stops and `fzctl up` reports it.
    public private(set) var failure: (any Error)?
    /// Datagrams and packets counted at the edges, for `wg show`-like diagnostics and tests.
    public internal(set) var counters = Counters()
    /// Coalescing groups whose super-packets are being built in `toTun` (TUN offloads only).
    var openGroups = [OpenGroup?](repeating: nil, count: 8)
    var openGroupCount = 0

    public typealias Counters = TunnelCounters

    /// Most packets handled per readiness event before yielding to the other direction.
    let roundsPerEvent = 16

    /// A driver without a control mailbox.
    ///
    /// - Parameters:
    ///   - wallClock: read on each wake-up (tests pass one they can step).
    ///   - events: receives every control event the node emits, on the loop thread; nil discards them.
    public init(
        node: Node, pool: PacketBufferPool, batchSize: Int, wallClock: any WallClock = SystemWallClock(),
        events: (@Sendable (Node.ControlEvent) -> Void)? = nil
    ) {
        self.node = node
        self.events = events
        drainControl = nil
        exchange = nil
        worker = 0
        received = PacketBatch(pool: pool, capacity: batchSize)
        toTun = PacketBatch(pool: pool, capacity: batchSize)
        toNetwork = PacketBatch(pool: pool, capacity: batchSize)
        self.wallClock = wallClock
    }

    /// A driver that runs the commands of `mailbox` on the loop thread when woken.
    ///
    /// - Parameters:
    ///   - handler: runs one command against the tunnel (its node, its device) and answers it; the loop
    ///     sends the node's outputs once every queued command has run.
    ///   - exchange: with several workers, where this worker passes what belongs to the others (and finds
    ///     what they passed to it when woken); the node's device must have the matching shard.
    public init<Request, Response>(
        node: Node, pool: PacketBufferPool, batchSize: Int, wallClock: any WallClock = SystemWallClock(),
        mailbox: ControlMailbox<Request, Response>,
        handler: @escaping (WireGuardTunnel, Request, WireGuardTime) -> Response,
        exchange: WorkerExchange? = nil,
        events: (@Sendable (Node.ControlEvent) -> Void)? = nil
    ) {
        precondition(exchange == nil || node.device.shard?.workers == exchange?.workers,
                     "a worker's device needs the shard of its exchange")
        self.node = node
        self.events = events
        self.exchange = exchange
        worker = node.device.shard?.worker ?? 0
        // The tunnel is passed in rather than captured, so the closure holds no cycle through `self`.
        drainControl = { tunnel, time in mailbox.drain { handler(tunnel, $0, time) } }
        received = PacketBatch(pool: pool, capacity: batchSize)
        toTun = PacketBatch(pool: pool, capacity: batchSize)
        toNetwork = PacketBatch(pool: pool, capacity: batchSize)
        self.wallClock = wallClock
    }

    func time(_ now: MonotonicInstant) -> WireGuardTime {
        WireGuardTime(monotonic: now, wallClock: wallClock.now())
    }

    public func handle(_ events: PacketIOEvents, io: IO, now: MonotonicInstant) -> PacketLoopDirective {
        let time = time(now)
        do {
            if events.contains(.wakeRequested) {
                drainControl?(self, time)
                if exchange != nil { try drainHandoffs(io, time) }
            }
            if events.contains(.datagramsReadable) {
                try pumpNetwork(io, time)
            }
            if events.contains(.tunReadable), let tun = io.tun {
                if io.offloads.contains(.tunOffload) {
                    try pumpOffloadedTun(io, tun, time)
                } else {
                    try pumpTun(io, tun, time)
                }
            }
            node.updateTimers(now: time)
            try flushNodeTunPackets(io)
            try flushOutbox(io, time)
        } catch {
            failure = error
            return .stop
        }
        deliverControlEvents()
        // Outputs left over (the pool ran dry) go out on the next turn, not the next packet.
        let pending = node.hasPendingDatagrams || (node.hasPendingTunPackets && io.tun != nil)
        return .wait(deadline: pending ? now : node.nextDeadline)
    }

    /// Decrypts what the sockets hold and writes the packets to the TUN device.
    func pumpNetwork(_ io: IO, _ time: WireGuardTime) throws {
        for _ in 0..<roundsPerEvent {
            let count = try io.datagrams.receive(into: &received)
            if count == 0 { break }
            counters.datagramsReceived &+= UInt64(count)
            counters.datagramBatchesReceived &+= 1
            counters.datagramBytesReceived &+= received.byteCount
            let coalescing = io.offloads.contains(.tunOffload)
            let coalescingUDP = io.offloads.contains(.tunUDPSegments)
            for index in 0..<received.count {
                let descriptor = received[index]
                guard let source = descriptor.source else {
                    received.release(at: index)
                    counters.dropped &+= 1
                    continue
                }
                if coalescing {
                    try decryptSegments(at: index, source: source, io, time) {
                        try coalesceToTun($0, io, udp: coalescingUDP)
                    }
                    continue
                }
                if descriptor.segmentSize > 0 && descriptor.length > descriptor.segmentSize {
                    try decryptSegments(at: index, source: source, io, time) { try copyToTun($0, io) }
                    continue
                }
                switch node.handleDatagram(received.bytes(at: index), from: source, to: descriptor.arrivedAt,
                                           now: time) {
                case .packet(let range, _):
                    var moved = descriptor
                    moved.offset += range.lowerBound
                    moved.length = range.count
                    moved.clearAddresses()
                    received[index] = moved
                    try moveToTun(at: index, io)
                case .keepalive, .handshakeProcessed:
                    received.release(at: index)
                case .dropped:
                    received.release(at: index)
                    counters.dropped &+= 1
                case .handOff(let target):
                    handOff(.datagram, UnsafeRawBufferPointer(received.bytes(at: index)), source: source,
                            local: descriptor.arrivedAt, to: target)
                    received.release(at: index)
                }
            }
            received.removeAll()
            try flushTun(io)
            // Handshake responses and flushed packets go out as soon as they exist.
            try flushOutbox(io, time)
        }
    }

    /// Encrypts what the TUN device holds and sends it to the peers.
    func pumpTun(_ io: IO, _ tun: IO.Tun, _ time: WireGuardTime) throws {
        for _ in 0..<roundsPerEvent {
            let count = try tun.receive(into: &received)
            if count == 0 { break }
            counters.tunPacketsReceived &+= UInt64(count)
            counters.tunBatchesReceived &+= 1
            counters.tunBytesReceived &+= received.byteCount
            for index in 0..<received.count {
                var descriptor = received[index]
                let packet = descriptor.offset..<(descriptor.offset + descriptor.length)
                switch node.encapsulate(buffer: received.buffer(at: index), packet: packet, now: time) {
                case .send(let range, let endpoint, let local):
                    descriptor.offset = range.lowerBound
                    descriptor.length = range.count
                    descriptor.address(to: endpoint, from: local)
                    received[index] = descriptor
                    try moveToNetwork(at: index, io)
                case .staged:
                    received.release(at: index)
                case .dropped:
                    received.release(at: index)
                    counters.dropped &+= 1
                case .handOff(let target):
                    handOff(.tunPacket, UnsafeRawBufferPointer(rebasing: received.buffer(at: index)[packet]),
                            source: nil, local: nil, to: target)
                    received.release(at: index)
                }
            }
            received.removeAll()
            try flushNetwork(io)
            // A node's local answers (a Client's "prohibited") go back to the TUN device in the same round.
            try flushNodeTunPackets(io)
            try flushOutbox(io, time)
        }
    }

    /// Sends what the node queued itself: handshakes, cookie replies, keepalives, packets that waited.
    func flushOutbox(_ io: IO, _ time: WireGuardTime) throws {
        while node.hasPendingDatagrams {
            if toNetwork.remainingCapacity == 0 { try flushNetwork(io) }
            guard let index = toNetwork.appendNewBuffer() else {
                // The pool is empty: everything is in flight; the rest waits for the next wake-up.
                break
            }
            guard let datagram = node.nextDatagram(into: toNetwork.buffer(at: index), now: time) else {
                toNetwork.release(at: index)
                break
            }
            var descriptor = toNetwork[index]
            descriptor.offset = 0
            descriptor.length = datagram.count
            descriptor.address(to: datagram.endpoint, from: datagram.source)
            toNetwork[index] = descriptor
        }
        try flushNetwork(io)
    }

    /// Writes the packets the node made for the TUN device (none for a plain interface) in pool buffers.
    func flushNodeTunPackets(_ io: IO) throws {
        // Without a TUN device (a test or benchmark backend) they stay with the node, as nothing could take them.
        guard node.hasPendingTunPackets, io.tun != nil else { return }
        // With TUN offloads every packet written starts with a virtio-net header; all zero says "as is".
        let header = io.offloads.contains(.tunOffload) ? VirtioNetHeader.size : 0
        while node.hasPendingTunPackets {
            if toTun.remainingCapacity == 0 { try flushTun(io) }
            guard let index = toTun.appendNewBuffer() else { break }
            let buffer = toTun.buffer(at: index)
            guard let count = node.nextTunPacket(into: UnsafeMutableRawBufferPointer(rebasing: buffer[header...]))
            else {
                toTun.release(at: index)
                break
            }
            buffer.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: header)
            var descriptor = toTun[index]
            descriptor.offset = 0
            descriptor.length = header + count
            descriptor.clearAddresses()
            toTun[index] = descriptor
        }
        try flushTun(io)
    }

    /// Hands every event the node queued to the sink (or drops them when there is none).
    func deliverControlEvents() {
        while let event = node.nextControlEvent() {
            events?(event)
        }
    }

    /// Moves the received entry at `index` to the batch bound for the network, sending that batch first if it is
    /// full. A round's own entries alone fit, but with offloads the same round may already have added a
    /// super-packet's segments (one datagram each without GSO), so this is not a given.
    @inline(__always)
    func moveToNetwork(at index: Int, _ io: IO) throws {
        if toNetwork.remainingCapacity == 0 { try flushNetwork(io) }
        received.transfer(at: index, to: &toNetwork)
    }

    /// Moves the received entry at `index` to the batch bound for the TUN device, writing that batch first if it
    /// is full: a GRO train decrypted earlier in the round may have filled it, one packet per segment.
    @inline(__always)
    func moveToTun(at index: Int, _ io: IO) throws {
        if toTun.remainingCapacity == 0 { try flushTun(io) }
        received.transfer(at: index, to: &toTun)
    }

    func flushNetwork(_ io: IO) throws {
        guard !toNetwork.isEmpty else { return }
        let pending = toNetwork.count
        counters.datagramBytesSent &+= toNetwork.byteCount
        counters.datagramBatchesSent &+= 1
        _ = try io.datagrams.send(&toNetwork)
        counters.datagramsSent &+= UInt64(pending)
    }

    func flushTun(_ io: IO) throws {
        guard !toTun.isEmpty else { return }
        if openGroupCount > 0 { finishOpenGroups() }
        guard let tun = io.tun else {
            toTun.removeAll()
            return
        }
        let pending = toTun.count
        counters.tunBytesWritten &+= toTun.byteCount
        counters.tunBatchesWritten &+= 1
        _ = try tun.send(&toTun)
        counters.tunPacketsWritten &+= UInt64(pending)
    }
}

/// What crossed the driver's edges, per direction: descriptors (a GRO or offload super-packet counts once),
/// their bytes (with TUN offloads, a packet's virtio-net header included) and the batches they came in.
public struct TunnelCounters: Sendable {
    public var datagramsReceived: UInt64 = 0
    public var tunPacketsReceived: UInt64 = 0
    public var datagramsSent: UInt64 = 0
    public var tunPacketsWritten: UInt64 = 0
    /// Inputs the driver or the node dropped (the engine also counts its own by reason).
    public var dropped: UInt64 = 0
    public var datagramBytesReceived: UInt64 = 0
    public var tunBytesReceived: UInt64 = 0
    public var datagramBytesSent: UInt64 = 0
    public var tunBytesWritten: UInt64 = 0
    public var datagramBatchesReceived: UInt64 = 0
    public var tunBatchesReceived: UInt64 = 0
    public var datagramBatchesSent: UInt64 = 0
    public var tunBatchesWritten: UInt64 = 0
    /// Datagrams and packets passed to another worker (their peer lives there).
    public var handedOff: UInt64 = 0
    /// Datagrams and packets other workers passed to this one.
    public var handoffsReceived: UInt64 = 0

    /// All zero.
    public init() {}
}
