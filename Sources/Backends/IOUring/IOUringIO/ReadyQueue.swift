/// One completion that handed a buffer to the backend, waiting for the core to take it.
struct ReadyEntry {
    /// The pool buffer index (multishot receives, TUN reads) or receive slot (one-shot receives).
    var index: UInt32
    /// The completion's result: bytes received, or a negative errno.
    var result: Int32
    /// The socket a datagram arrived on (receives only).
    var socket: UInt32
    /// Whether `index` is a one-shot receive slot rather than a buffer index.
    var fromSlot: Bool = false
}

/// A first-in first-out queue of ``ReadyEntry`` with a capacity fixed at creation, so queuing never allocates.
final class ReadyQueue {
    private let storage: UnsafeMutablePointer<ReadyEntry>
    let capacity: Int
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// Adds `entry` at the end; the queue is sized so that it never overflows (one entry per lent buffer).
    @inline(__always)
    func push(_ entry: ReadyEntry) {
        precondition(count < capacity, "ready queue overflow")
        storage[(head + count) % capacity] = entry
        count += 1
    }

    /// Removes and returns the first entry, or nil.
    @inline(__always)
    func pop() -> ReadyEntry? {
        guard count > 0 else { return nil }
        let entry = storage[head]
        head = (head + 1) % capacity
        count -= 1
        return entry
    }
}
