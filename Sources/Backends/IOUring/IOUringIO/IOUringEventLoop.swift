import CFZURing
import DataPlane
import PacketLoopSupport
import Glibc

/// Drives a ``PacketIOHandler`` from the backend's io_uring: each turn posts what is missing (buffer ring
/// refill, re-armed receives, TUN reads, the signal reads, the deadline timer), submits it and waits for
/// completions in one `io_uring_enter`, routes the completions and calls the handler on this thread.
/// ``MonotonicInstant``s here count nanoseconds of `CLOCK_MONOTONIC`, like the epoll loop's.
///
/// The handler's deadline is a timeout submission at the absolute `CLOCK_MONOTONIC` time, replaced when it
/// changes. The loop and everything it holds belong to the one thread that calls ``run()`` or
/// ``runOnce(timeout:)`` (see ``IOUringLoopThread`` to start one). Packets the handler leaves unread wake it
/// again at once, as a level-triggered loop would.
public final class IOUringEventLoop<Handler: PacketIOHandler>: PacketEventLoop
where Handler.IO == IOUringPacketIO {
    /// The backend whose ring the loop drives.
    public let io: IOUringPacketIO
    /// The core the loop calls.
    public let handler: Handler
    /// Stops the loop from any thread.
    public let stopHandle: IOUringLoopSignal
    /// Wakes the handler from any thread with ``PacketIOEvents/wakeRequested``.
    public let wakeHandle: IOUringLoopSignal

    private let ring: IOUringRing
    private var started = false
    private var finished = false
    private var armedDeadline: MonotonicInstant?

    /// Creates the signals and attaches the loop to `io`'s ring (one loop per backend).
    public init(io: IOUringPacketIO, handler: Handler) throws(IOUringIOError) {
        guard !io.ring.loopAttached else { throw .loopAlreadyAttached }
        stopHandle = try Self.signal()
        wakeHandle = try Self.signal()
        self.io = io
        self.handler = handler
        ring = io.ring
        ring.loopAttached = true
        ring.loopGeneration &+= 1
        ring.wakeReadArmed = false
        ring.stopReadArmed = false
        ring.wakeFired = false
        ring.stopFired = false
        ring.deadlineFired = false
        ring.signalDescriptors = [stopHandle.fileDescriptor, wakeHandle.fileDescriptor]
    }

    deinit {
        // Cancel this loop's signal reads and timer so nothing of it stays posted on the ring.
        ring.cancel(descriptors: ring.signalDescriptors)
        ring.drain { !ring.wakeReadArmed && !ring.stopReadArmed && !ring.timeoutArmed }
        ring.signalDescriptors = []
        ring.loopAttached = false
    }

    /// Runs until the handler returns ``PacketLoopDirective/stop`` or ``IOUringLoopSignal/stop()`` is called on
    /// ``stopHandle``.
    public func run() throws(IOUringIOError) {
        while try runOnce(timeout: nil) {}
    }

    /// Waits once for completions (at most `timeout`, or without limit for `nil`) and calls the handler if
    /// anything happened. The first call also calls the handler with ``PacketIOEvents/started``.
    ///
    /// - Returns: `false` once the loop has stopped; later calls return `false` at once.
    public func runOnce(timeout: Duration?) throws(IOUringIOError) -> Bool {
        guard !finished else { return false }
        if !started {
            started = true
            guard try dispatch(.started) else { return false }
        }
        postMissing()
        ring.processCompletions()
        if pendingEvents.isEmpty && !ring.stopFired {
            try ring.submitAndWait(nanoseconds: timeout.map(loopNanoseconds) ?? -1)
        } else {
            try ring.submit()
        }
        ring.processCompletions()
        if ring.stopFired {
            finished = true
            return false
        }
        let events = pendingEvents
        ring.deadlineFired = false
        ring.wakeFired = false
        guard !events.isEmpty else { return true }
        return try dispatch(events)
    }

    /// What the handler should be told now.
    private var pendingEvents: PacketIOEvents {
        var events: PacketIOEvents = []
        if !io.datagrams.receiver.ready.isEmpty { events.insert(.datagramsReadable) }
        if let tun = io.tun, !tun.reader.ready.isEmpty { events.insert(.tunReadable) }
        if ring.deadlineFired { events.insert(.deadlineReached) }
        if ring.wakeFired { events.insert(.wakeRequested) }
        return events
    }

    /// Posts the receives, reads and signal reads that are not posted (all queued, submitted by the caller).
    private func postMissing() {
        io.datagrams.receiver.arm(on: ring)
        io.tun?.reader.arm(on: ring)
        let generation = ring.loopGeneration
        let scratch = ring.scratch
        if !ring.wakeReadArmed {
            let fd = wakeHandle.fileDescriptor
            let tag = CompletionTag(.wake, generation).userData
            ring.wakeReadArmed = ring.queue { cfz_uring_prep_read($0, fd, scratch, 8, tag) }
        }
        if !ring.stopReadArmed {
            let fd = stopHandle.fileDescriptor
            let tag = CompletionTag(.stop, generation).userData
            ring.stopReadArmed = ring.queue { cfz_uring_prep_read($0, fd, scratch + 8, 8, tag) }
        }
    }

    /// Calls the handler and applies its directive; `false` when it said stop.
    private func dispatch(_ events: PacketIOEvents) throws(IOUringIOError) -> Bool {
        switch handler.handle(events, io: io, now: Self.now()) {
        case .stop:
            finished = true
            return false
        case .wait(let deadline):
            if deadline != armedDeadline || (deadline != nil && !ring.timeoutArmed) {
                arm(deadline)
            }
            return true
        }
    }

    /// The current `CLOCK_MONOTONIC` time.
    static func now() -> MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
    }

    /// Replaces the timer: removes the one posted, if any, and posts one for `deadline` (a past deadline fires at
    /// once). A completion of a replaced timer is ignored by its generation.
    private func arm(_ deadline: MonotonicInstant?) {
        if ring.timeoutArmed {
            let target = CompletionTag(.timeout, ring.timeoutGeneration).userData
            _ = ring.queue { cfz_uring_prep_timeout_remove($0, target, CompletionTag(.control, 0).userData) }
            ring.timeoutArmed = false
        }
        ring.timeoutGeneration &+= 1
        ring.deadlineFired = false
        armedDeadline = deadline
        guard let deadline else { return }
        let spec = ring.scratch + 16 + Int(ring.timeoutGeneration % 2) * max(cfz_kernel_timespec_size(), 16)
        cfz_set_timespec(spec, max(deadline.nanoseconds, 1))
        let tag = CompletionTag(.timeout, ring.timeoutGeneration).userData
        ring.timeoutArmed = ring.queue { cfz_uring_prep_timeout_abs($0, spec, tag) }
    }
}

/// `duration` in nanoseconds, at least 0.
private func loopNanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = max(duration, .zero).components
    return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
        ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}

extension IOUringEventLoop {
    /// A new eventfd signal, its failure in this backend's error type.
    static func signal() throws(IOUringIOError) -> EventSignal {
        do {
            return try EventSignal()
        } catch {
            throw .systemCall(error.call, errno: error.errno)
        }
    }
}
