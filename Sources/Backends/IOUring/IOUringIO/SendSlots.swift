import CFZURing
import CFZSocketControl
import DataPlane
import Glibc

/// Stable memory for sends in flight: per slot a `msghdr`, an `iovec`, a socket address and control messages,
/// allocated once, plus the pool buffer the send holds until its completion.
///
/// A sendmsg or write submission points into its slot until the kernel completes it, so the slot (and the
/// buffer) stay taken until then; with no slot free, a send is dropped rather than waited for.
final class SendSlots {
    let capacity: Int
    let messages: UnsafeMutablePointer<msghdr>
    let vectors: UnsafeMutablePointer<iovec>
    let names: UnsafeMutableRawPointer
    let controls: UnsafeMutableRawPointer
    let controlSpace: Int
    private let buffers: UnsafeMutablePointer<PacketBufferID>
    private let freeStack: UnsafeMutablePointer<Int32>
    private var freeCount: Int
    /// Sends the kernel completed with an error (unreachable peer, too large, ...), counted as they end.
    private(set) var failedCount = 0
    private static let nameSpace = 32

    init(capacity: Int) {
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: msghdr(), count: capacity)
        vectors = .allocate(capacity: capacity)
        vectors.initialize(repeating: iovec(), count: capacity)
        names = .allocate(byteCount: capacity * Self.nameSpace, alignment: 16)
        names.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Self.nameSpace)
        controlSpace = cfz_send_control_space()
        controls = .allocate(byteCount: capacity * controlSpace, alignment: 16)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * controlSpace)
        buffers = .allocate(capacity: capacity)
        buffers.initialize(repeating: .none, count: capacity)
        freeStack = .allocate(capacity: capacity)
        for slot in 0..<capacity { freeStack[slot] = Int32(capacity - 1 - slot) }
        freeCount = capacity
    }

    deinit {
        messages.deallocate()
        vectors.deallocate()
        names.deallocate()
        controls.deallocate()
        buffers.deallocate()
        freeStack.deallocate()
    }

    /// Sends in flight now (each holds one pool buffer).
    var inUse: Int { capacity - freeCount }

    /// Takes a free slot for a send from `buffer`, or nil when every slot is in flight.
    @inline(__always)
    func acquire(holding buffer: PacketBufferID) -> Int? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        let slot = Int(freeStack[freeCount])
        buffers[slot] = buffer
        return slot
    }

    /// The address of slot `slot`'s socket-address room.
    @inline(__always)
    func name(_ slot: Int) -> UnsafeMutableRawPointer { names + slot * Self.nameSpace }

    /// The address of slot `slot`'s control room.
    @inline(__always)
    func control(_ slot: Int) -> UnsafeMutableRawPointer { controls + slot * controlSpace }

    /// Ends the send in `slot`: its buffer goes back to `pool` and the slot is free again. A negative
    /// `result` (the kernel refused the packet) is counted.
    @inline(__always)
    func complete(_ slot: Int, result: Int32, pool: PacketBufferPool) {
        precondition(slot >= 0 && slot < capacity && buffers[slot] != .none, "completion for a free send slot")
        pool.release(buffers[slot])
        buffers[slot] = .none
        freeStack[freeCount] = Int32(slot)
        freeCount += 1
        if result < 0 { failedCount += 1 }
    }

    /// Gives a slot back whose submission could not be queued; its buffer goes back to `pool`.
    func abandon(_ slot: Int, pool: PacketBufferPool) {
        complete(slot, result: 0, pool: pool)
    }
}
