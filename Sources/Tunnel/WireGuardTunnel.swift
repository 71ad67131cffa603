import DataPlane
import WireGuardConfig

/// The driver's core: moves batches between a packet I/O backend and a `WireGuardDevice`.
///
/// Datagrams from the network are decrypted in place and their buffers handed to the TUN device;
/// packets from the TUN device are encrypted in place (the pool's headroom and tailroom hold the
/// WireGuard header, padding and tag) and handed to the UDP sockets. Both directions reuse the buffers
/// the backend lent, so nothing is copied or allocated per packet. Generic over the crypto backend and the
/// I/O backend, so one concrete pairing is specialized at startup.
public final class WireGuardTunnel<Backend: CryptoBackend, IO: PacketIO>: PacketIOHandler {
    public let device: WireGuardDevice<Backend>
    public let mailbox: ControlMailbox<UAPIRequest>?
    /// Answers control requests on the loop thread (the UAPI protocol).
    let answer: ((WireGuardTunnel, UAPIRequest, WireGuardTime) -> String)?
    /// Read once per wake-up for handshake timestamps.
    let wallClock: any WallClock

    var received: PacketBatch
    var toTun: PacketBatch
    var toNetwork: PacketBatch
    /// Set when a channel broke; the loop stops and `fzctl up` reports it.
    public private(set) var failure: (any Error)?
    /// Datagrams and packets counted at the edges, for `wg show`-like diagnostics and tests.
    public private(set) var counters = Counters()

    public struct Counters: Sendable {
        public var datagramsReceived: UInt64 = 0
        public var tunPacketsReceived: UInt64 = 0
        public var datagramsSent: UInt64 = 0
        public var tunPacketsWritten: UInt64 = 0
        public var dropped: UInt64 = 0
    }

    /// Most packets handled per readiness event before yielding to the other direction.
    let roundsPerEvent = 16

    /// - Parameters:
    ///   - wallClock: read on each wake-up (tests pass one they can step).
    public init(
        device: WireGuardDevice<Backend>, pool: PacketBufferPool, batchSize: Int,
        wallClock: any WallClock = SystemWallClock(),
        mailbox: ControlMailbox<UAPIRequest>? = nil,
        answer: ((WireGuardTunnel, UAPIRequest, WireGuardTime) -> String)? = nil
    ) {
        self.device = device
        self.mailbox = mailbox
        self.answer = answer
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
            if events.contains(.wakeRequested), let mailbox, let answer {
                mailbox.drain { answer(self, $0, time) }
            }
            if events.contains(.datagramsReadable) {
                try pumpNetwork(io, time)
            }
            if events.contains(.tunReadable), let tun = io.tun {
                try pumpTun(io, tun, time)
            }
            device.updateTimers(now: time)
            try flushOutbox(io, time)
        } catch {
            failure = error
            return .stop
        }
        // Datagrams left in the outbox (the pool ran dry) go out on the next turn, not the next packet.
        return .wait(deadline: device.hasPendingDatagrams ? now : device.nextDeadline)
    }

    /// Decrypts what the sockets hold and writes the packets to the TUN device.
    func pumpNetwork(_ io: IO, _ time: WireGuardTime) throws {
        for _ in 0..<roundsPerEvent {
            let count = try io.datagrams.receive(into: &received)
            if count == 0 { break }
            counters.datagramsReceived &+= UInt64(count)
            for index in 0..<received.count {
                let descriptor = received[index]
                guard let source = descriptor.source else {
                    received.release(at: index)
                    counters.dropped &+= 1
                    continue
                }
                switch device.handleDatagram(received.bytes(at: index), from: source, now: time) {
                case .packet(let range, _):
                    var moved = descriptor
                    moved.offset += range.lowerBound
                    moved.length = range.count
                    moved.source = nil
                    moved.destination = nil
                    received[index] = moved
                    received.transfer(at: index, to: &toTun)
                case .keepalive, .handshakeProcessed:
                    received.release(at: index)
                case .dropped:
                    received.release(at: index)
                    counters.dropped &+= 1
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
            for index in 0..<received.count {
                var descriptor = received[index]
                let packet = descriptor.offset..<(descriptor.offset + descriptor.length)
                switch device.encapsulate(buffer: received.buffer(at: index), packet: packet, now: time) {
                case .send(let range, let endpoint):
                    descriptor.offset = range.lowerBound
                    descriptor.length = range.count
                    descriptor.destination = endpoint
                    descriptor.source = nil
                    received[index] = descriptor
                    received.transfer(at: index, to: &toNetwork)
                case .staged:
                    received.release(at: index)
                case .dropped:
                    received.release(at: index)
                    counters.dropped &+= 1
                }
            }
            received.removeAll()
            try flushNetwork(io)
            try flushOutbox(io, time)
        }
    }

    /// Sends what the device queued itself: handshakes, cookie replies, keepalives, packets that waited.
    func flushOutbox(_ io: IO, _ time: WireGuardTime) throws {
        while device.hasPendingDatagrams {
            if toNetwork.remainingCapacity == 0 { try flushNetwork(io) }
            guard let index = toNetwork.appendNewBuffer() else {
                // The pool is empty: everything is in flight; the rest waits for the next wake-up.
                break
            }
            guard let datagram = device.nextDatagram(into: toNetwork.buffer(at: index), now: time) else {
                toNetwork.release(at: index)
                break
            }
            var descriptor = toNetwork[index]
            descriptor.offset = 0
            descriptor.length = datagram.count
            descriptor.destination = datagram.endpoint
            toNetwork[index] = descriptor
        }
        try flushNetwork(io)
    }

    func flushNetwork(_ io: IO) throws {
        guard !toNetwork.isEmpty else { return }
        let pending = toNetwork.count
        _ = try io.datagrams.send(&toNetwork)
        counters.datagramsSent &+= UInt64(pending)
    }

    func flushTun(_ io: IO) throws {
        guard !toTun.isEmpty else { return }
        guard let tun = io.tun else {
            toTun.removeAll()
            return
        }
        let pending = toTun.count
        _ = try tun.send(&toTun)
        counters.tunPacketsWritten &+= UInt64(pending)
    }
}
