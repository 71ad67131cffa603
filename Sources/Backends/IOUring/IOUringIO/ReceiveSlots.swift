import CFZURing
import CFZSocketControl
import DataPlane
import Glibc

/// Stable memory for one-shot recvmsg submissions: per slot a `msghdr`, an `iovec`, room for the sender's
/// address and the control messages, and the pool buffer the datagram lands in (at the pool's headroom).
final class ReceiveSlots {
    let capacity: Int
    let messages: UnsafeMutablePointer<msghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let names: UnsafeMutablePointer<sockaddr_storage>
    private let controls: UnsafeMutableRawPointer
    private let controlSpace: Int
    private let buffers: UnsafeMutablePointer<PacketBufferID>
    private let sockets: UnsafeMutablePointer<Int>
    private let freeStack: UnsafeMutablePointer<Int>
    private var freeCount: Int
    private let pool: PacketBufferPool

    init(capacity: Int, pool: PacketBufferPool) {
        self.capacity = capacity
        self.pool = pool
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: msghdr(), count: capacity)
        vectors = .allocate(capacity: capacity)
        vectors.initialize(repeating: iovec(), count: capacity)
        names = .allocate(capacity: capacity)
        names.initialize(repeating: sockaddr_storage(), count: capacity)
        controlSpace = cfz_receive_control_space()
        controls = .allocate(byteCount: capacity * controlSpace, alignment: 16)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * controlSpace)
        buffers = .allocate(capacity: capacity)
        buffers.initialize(repeating: .none, count: capacity)
        sockets = .allocate(capacity: capacity)
        sockets.initialize(repeating: 0, count: capacity)
        freeStack = .allocate(capacity: capacity)
        for slot in 0..<capacity { freeStack[slot] = capacity - 1 - slot }
        freeCount = capacity
    }

    deinit {
        messages.deallocate()
        vectors.deallocate()
        names.deallocate()
        controls.deallocate()
        buffers.deallocate()
        sockets.deallocate()
        freeStack.deallocate()
    }

    /// Slots posted or holding a received datagram.
    var inUse: Int { capacity - freeCount }

    /// Takes a slot and a pool buffer for a receive on `socket` and prepares its message header; nil when no
    /// slot or no buffer is free.
    @inline(__always)
    func acquire(socket: Int) -> Int? {
        guard freeCount > 0, let buffer = pool.acquire() else { return nil }
        freeCount -= 1
        let slot = freeStack[freeCount]
        buffers[slot] = buffer
        sockets[slot] = socket
        // Read one byte more than fits so an oversized datagram shows up as too long, not as a short one.
        let length = min(pool.payloadCapacity + 1, pool.bufferSize - pool.headroom)
        cfz_prepare_receive(messages + slot, vectors + slot, pool.address(of: buffer) + pool.headroom, length,
                            names + slot, controls + slot * controlSpace, controlSpace)
        return slot
    }

    @inline(__always)
    func buffer(of slot: Int) -> PacketBufferID { buffers[slot] }

    @inline(__always)
    func socket(of slot: Int) -> Int { sockets[slot] }

    /// Frees `slot`; its buffer goes back to the pool unless the caller keeps it.
    @inline(__always)
    func release(_ slot: Int, keepingBuffer: Bool = false) {
        if !keepingBuffer { pool.release(buffers[slot]) }
        buffers[slot] = .none
        freeStack[freeCount] = slot
        freeCount += 1
    }
}
