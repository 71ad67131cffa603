import CFZURing
import DataPlane
import Glibc

/// The one io_uring of a backend and everything its completions are routed to: the UDP receiver, the TUN
/// reader, the send slots and the event loop's timer and signals.
///
/// The channels queue submissions here; whoever drives the ring (the event loop once per turn, or a channel
/// call when no loop is attached) submits them. ``processCompletions()`` only reads the shared completion
/// ring, so channels may call it freely. Not thread-safe: one thread drives a backend.
final class IOUringRing {
    let handle: OpaquePointer
    let pool: PacketBufferPool
    let sends: SendSlots
    var receiver: DatagramReceiver?
    var tunReader: TunReader?

    /// Submissions whose last completion has not come yet (a multishot receive counts once).
    private(set) var inFlight = 0
    /// Whether an event loop drives this ring; without one, channel calls submit themselves.
    var loopAttached = false
    /// Bumped for every loop attached, so completions meant for an earlier loop are ignored.
    var loopGeneration: UInt64 = 0

    // The event loop's timer and signals: state the loop reads after each turn.
    var timeoutGeneration: UInt64 = 0
    var timeoutArmed = false
    var deadlineFired = false
    var wakeReadArmed = false
    var stopReadArmed = false
    var wakeFired = false
    var stopFired = false
    var signalDescriptors: [Int32] = []
    /// Where the loop's eventfd reads land, and the two timer specs (alternating, so one queued timer never
    /// sees its time overwritten before it is submitted).
    let scratch: UnsafeMutableRawPointer
    private let completions: UnsafeMutablePointer<cfz_completion>
    private static let completionBatch = 256

    init(entries: Int, pool: PacketBufferPool, sendSlots: Int) throws(IOUringIOError) {
        var error: Int32 = 0
        guard let handle = cfz_uring_create(UInt32(entries), UInt32(entries * 4), &error) else {
            throw .systemCall("io_uring_queue_init", errno: error)
        }
        self.handle = handle
        self.pool = pool
        sends = SendSlots(capacity: sendSlots)
        scratch = .allocate(byteCount: 16 + 2 * max(cfz_kernel_timespec_size(), 16), alignment: 16)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: 16 + 2 * max(cfz_kernel_timespec_size(), 16))
        completions = .allocate(capacity: Self.completionBatch)
    }

    deinit {
        shutdown()
        receiver?.destroyBufferRing(on: self)
        cfz_uring_destroy(handle)
        scratch.deallocate()
        completions.deallocate()
    }

    /// Queues one submission with `prepare` (a `cfz_uring_prep_*` call returning 0, or -1 when the queue is full).
    /// A full queue is submitted once to make room. Returns false when it still does not fit.
    @inline(__always)
    func queue(_ prepare: (OpaquePointer) -> Int32) -> Bool {
        if prepare(handle) != 0 {
            guard cfz_uring_submit(handle) >= 0, prepare(handle) == 0 else { return false }
        }
        inFlight += 1
        return true
    }

    /// Submits what is queued without waiting.
    func submit() throws(IOUringIOError) {
        let result = cfz_uring_submit(handle)
        if result < 0 && result != -EINTR && result != -EBUSY && result != -EAGAIN {
            throw .systemCall("io_uring_submit", errno: -result)
        }
    }

    /// Submits what is queued and waits for a completion, at most `nanoseconds` (negative: no limit).
    func submitAndWait(nanoseconds: Int64) throws(IOUringIOError) {
        let result = cfz_uring_submit_and_wait(handle, nanoseconds)
        if result < 0 && result != -ETIME && result != -EINTR && result != -EBUSY && result != -EAGAIN {
            throw .systemCall("io_uring_submit_and_wait", errno: -result)
        }
    }

    /// Routes every completion waiting in the completion ring; reads shared memory, no system call unless the
    /// kernel has completions to flush.
    func processCompletions() {
        // Read once: loading a class reference from a stored property for every completion costs a retain and a
        // release each (about 2% of the loop thread receiving single 64-byte datagrams).
        let receiver = self.receiver
        let tunReader = self.tunReader
        while true {
            let count = Int(cfz_uring_reap(handle, completions, UInt32(Self.completionBatch)))
            guard count > 0 else { return }
            for index in 0..<count {
                route(completions[index], receiver: receiver, tunReader: tunReader)
            }
        }
    }

    @inline(__always)
    private func route(_ completion: cfz_completion, receiver: DatagramReceiver?, tunReader: TunReader?) {
        guard let tag = CompletionTag(userData: completion.user_data) else { return }
        let more = completion.flags & cfz_cqe_flag_more() != 0
        if !more { inFlight -= 1 }
        switch tag.kind {
        case .multishotReceive, .oneShotReceive:
            receiver?.complete(tag, result: completion.res, flags: completion.flags, pool: pool)
        case .send:
            sends.complete(Int(tag.value), result: completion.res, pool: pool)
        case .tunRead:
            tunReader?.complete(buffer: UInt32(tag.value), result: completion.res, pool: pool)
        case .timeout:
            if tag.value == timeoutGeneration {
                timeoutArmed = false
                if completion.res == -ETIME { deadlineFired = true }
            }
        case .wake:
            if tag.value == loopGeneration {
                wakeReadArmed = false
                if completion.res > 0 { wakeFired = true }
            }
        case .stop:
            if tag.value == loopGeneration {
                stopReadArmed = false
                if completion.res > 0 { stopFired = true }
            }
        case .control:
            break
        }
    }

    /// Queues a cancellation of every request on `descriptors`, and a removal of the timer.
    func cancel(descriptors: [Int32]) {
        for descriptor in descriptors {
            _ = queue { cfz_uring_prep_cancel_fd($0, descriptor, CompletionTag(.control, 0).userData) }
        }
        if timeoutArmed {
            let target = CompletionTag(.timeout, timeoutGeneration).userData
            _ = queue { cfz_uring_prep_timeout_remove($0, target, CompletionTag(.control, 0).userData) }
        }
    }

    /// Submits and routes completions until `done` holds, at most two seconds.
    func drain(until done: () -> Bool) {
        var rounds = 0
        processCompletions()
        while !done() && rounds < 200 {
            try? submitAndWait(nanoseconds: 10_000_000)
            processCompletions()
            rounds += 1
        }
    }

    /// Cancels the requests on `descriptors` (and the timer) and waits until the receives, reads, sends and
    /// timer they stand for have all completed, so none still points into memory about to be reused or freed.
    func cancelAndDrain(descriptors: [Int32]) {
        cancel(descriptors: descriptors)
        drain {
            (receiver?.postedCount ?? 0) == 0 && (tunReader?.outstanding ?? 0) == 0 && sends.inUse == 0
                && !timeoutArmed
        }
    }

    /// Cancels everything outstanding and waits for it; afterwards no request points into any buffer.
    func shutdown() {
        var descriptors = receiver?.descriptors ?? []
        if let tunReader { descriptors.append(tunReader.descriptor) }
        cancel(descriptors: descriptors + signalDescriptors)
        drain { inFlight == 0 }
    }
}
