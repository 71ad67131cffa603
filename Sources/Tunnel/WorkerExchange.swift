import DataPlane
import Locks

/// Passes datagrams and packets between the workers of one interface (`fzctl up --threads N`).
///
/// A worker's device reports `handOff(worker:)` for what belongs to a peer living on another worker: an
/// initiation (any worker may receive it, only the home worker may answer it), a TUN packet the kernel put
/// on another queue, a datagram the kernel's hash delivered to the wrong socket. The driver copies it into
/// the home worker's inbox and wakes that worker, which handles it as if it had read it itself. With the
/// steering program and the TUN's flow table doing their work, this is the exception path: the steady
/// packet path takes no lock. The kernel's flow table learns a flow's queue from the packets written back on
/// it, so a one-way flow (UDP from a local sender) keeps the queue its hash picked: a super-packet read there is
/// handed off whole, not segment by segment. Inboxes are preallocated and bounded; what does not fit is dropped
/// and counted.
public final class WorkerExchange: Sendable {
    /// How many workers share the interface.
    public let workers: Int
    let inboxes: [WorkerInbox]
    private let wakes: Locked<[(@Sendable () -> Void)?]>

    /// An exchange for `workers` workers, each inbox holding up to `recordsPerInbox` items and
    /// `bytesPerInbox` bytes per side (each inbox has two sides: one filling, one being drained).
    public init(workers: Int, recordsPerInbox: Int = 4096, bytesPerInbox: Int = 4 << 20) {
        self.workers = workers
        inboxes = (0..<workers).map { _ in WorkerInbox(records: recordsPerInbox, bytes: bytesPerInbox) }
        wakes = Locked(Array(repeating: nil, count: workers))
    }

    /// Sets how to wake `worker`'s loop (its loop's wake handle), once the loop exists.
    public func setWake(worker: Int, _ wake: @escaping @Sendable () -> Void) {
        wakes.withLock { $0[worker] = wake }
    }

    /// Items dropped because an inbox was full, summed over the workers.
    public var droppedCount: UInt64 {
        inboxes.reduce(0) { $0 &+ $1.droppedCount }
    }

    /// Copies `bytes` into `worker`'s inbox; wakes it when the inbox was empty. False when it was full.
    @discardableResult
    func post(_ kind: HandoffKind, _ bytes: UnsafeRawBufferPointer, source: Endpoint?, local: LocalSource?,
              to worker: Int) -> Bool
    {
        let (accepted, wasEmpty) = inboxes[worker].push(kind, bytes, source: source, local: local)
        if accepted && wasEmpty, let wake = wakes.withLock({ $0[worker] }) { wake() }
        return accepted
    }
}

/// What a handed-off item is.
enum HandoffKind: UInt8 {
    /// A datagram from the network, with the address it came from and the local end it arrived at.
    case datagram
    /// An IP packet read from the TUN device.
    case tunPacket
    /// A TUN read with offloads on, whole: its virtio-net header and a super-packet of many segments, passed
    /// on before it is split, so that its home worker cuts and sends it as GSO trains.
    case tunSuperPacket
}

/// One handed-off item: where its bytes are in the inbox side it was written to.
struct HandoffRecord {
    var kind: HandoffKind
    var offset: Int
    var length: Int
    var source: Endpoint?
    var local: LocalSource?
}

/// One worker's inbox: two preallocated sides. Producers append to the filling side under the lock; the owner
/// swaps sides under the lock and reads the other side without it (nobody else touches a side once swapped
/// out, until the owner swaps it back in, emptied).
final class WorkerInbox: @unchecked Sendable {
    // Safe: the counts, the filling side's index and the drop counter are only touched under `state`'s lock;
    // a side's storage is written by producers only while it is the filling side (under the lock) and read
    // by the single consumer only after it swapped the side out (under the lock).
    private struct State {
        var filling = 0
        var counts = (0, 0)
        var used = (0, 0)
        var dropped: UInt64 = 0
    }

    private let state = Locked(State())
    private let recordCapacity: Int
    private let byteCapacity: Int
    private let records: (UnsafeMutablePointer<HandoffRecord>, UnsafeMutablePointer<HandoffRecord>)
    private let bytes: (UnsafeMutableRawPointer, UnsafeMutableRawPointer)

    init(records: Int, bytes: Int) {
        recordCapacity = records
        byteCapacity = bytes
        self.records = (.allocate(capacity: records), .allocate(capacity: records))
        self.bytes = (.allocate(byteCount: bytes, alignment: 64), .allocate(byteCount: bytes, alignment: 64))
    }

    deinit {
        records.0.deallocate()
        records.1.deallocate()
        bytes.0.deallocate()
        bytes.1.deallocate()
    }

    var droppedCount: UInt64 { state.withLock { $0.dropped } }

    /// Appends one item; returns whether it fit and whether the filling side was empty before.
    func push(_ kind: HandoffKind, _ item: UnsafeRawBufferPointer, source: Endpoint?, local: LocalSource?)
        -> (accepted: Bool, wasEmpty: Bool)
    {
        state.withLock { state in
            let side = state.filling
            let count = side == 0 ? state.counts.0 : state.counts.1
            let used = side == 0 ? state.used.0 : state.used.1
            // The first item of the filling side wakes the owner; while it drains the other side it may be
            // past the point of looking, so an item there must wake it again.
            let wasEmpty = count == 0
            guard count < recordCapacity, used + item.count <= byteCapacity else {
                state.dropped &+= 1
                return (false, wasEmpty)
            }
            let base = side == 0 ? bytes.0 : bytes.1
            if item.count > 0 { (base + used).copyMemory(from: item.baseAddress!, byteCount: item.count) }
            let slot = (side == 0 ? records.0 : records.1) + count
            slot.initialize(to: HandoffRecord(kind: kind, offset: used, length: item.count, source: source,
                                              local: local))
            if side == 0 {
                state.counts.0 += 1
                state.used.0 += item.count
            } else {
                state.counts.1 += 1
                state.used.1 += item.count
            }
            return (true, wasEmpty)
        }
    }

    /// Takes everything queued so far and hands each item to `body` in arrival order, on the owner's thread.
    /// The bytes are writable (a datagram is decrypted where it lies) and valid only during the call.
    func drain(_ body: (HandoffRecord, UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let (side, count) = state.withLock { state -> (Int, Int) in
            let side = state.filling
            state.filling = 1 - side
            return (side, side == 0 ? state.counts.0 : state.counts.1)
        }
        let base = side == 0 ? bytes.0 : bytes.1
        let list = side == 0 ? records.0 : records.1
        defer {
            state.withLock { state in
                if side == 0 {
                    state.counts.0 = 0
                    state.used.0 = 0
                } else {
                    state.counts.1 = 0
                    state.used.1 = 0
                }
            }
        }
        for index in 0..<count {
            let record = list[index]
            try body(record, UnsafeMutableRawBufferPointer(start: base + record.offset, count: record.length))
        }
    }
}
