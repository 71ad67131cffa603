/// Up to `capacity` packets whose buffers a backend has lent to the core, or the core hands to a backend.
///
/// The batch owns the buffers its entries name: dropping the batch, ``removeAll()`` and ``release(at:)`` give
/// them back to the pool, ``take(at:)`` and ``transfer(at:to:)`` hand one on. It is non-copyable so that no two
/// values can own one buffer. The descriptor storage is allocated once in `init`; the core keeps its batches and
/// reuses them, so moving packets through a batch never allocates.
///
/// An entry taken out of the batch stays in place with buffer ``PacketBufferID/none`` until the batch is
/// emptied, so indices stay stable while the core walks a batch and routes each packet elsewhere.
public struct PacketBatch: ~Copyable {
    /// The pool every buffer in this batch comes from.
    public let pool: PacketBufferPool
    /// The most entries the batch can hold.
    public let capacity: Int
    /// Number of entries, including ones already taken out.
    public private(set) var count: Int
    // Not private, like `releaseBuffers`: cross-module optimization inlines only code that uses no private
    // declaration, and the batch's accessors run per packet in other modules.
    let storage: UnsafeMutablePointer<PacketDescriptor>

    /// An empty batch of up to `capacity` packets from `pool`.
    public init(pool: PacketBufferPool, capacity: Int) {
        precondition(capacity > 0, "a batch needs room for at least one packet")
        self.pool = pool
        self.capacity = capacity
        count = 0
        storage = UnsafeMutablePointer<PacketDescriptor>.allocate(capacity: capacity)
    }

    deinit {
        Self.releaseBuffers(storage, count: count, to: pool)
        storage.deallocate()
    }

    /// Whether the batch has no entries.
    public var isEmpty: Bool { count == 0 }

    /// Bytes of the entries that still own their buffers: what a receive brought in or a send will carry.
    public var byteCount: UInt64 {
        var total: UInt64 = 0
        for index in 0..<count where storage[index].buffer != .none {
            total &+= UInt64(storage[index].length)
        }
        return total
    }

    /// How many more entries fit.
    public var remainingCapacity: Int { capacity - count }

    /// The entry at `index`. Setting may change anything but the buffer, which the batch owns.
    public subscript(index: Int) -> PacketDescriptor {
        @inline(__always) get {
            precondition(index >= 0 && index < count, "packet batch index out of range")
            return storage[index]
        }
        @inline(__always) set {
            precondition(index >= 0 && index < count, "packet batch index out of range")
            precondition(newValue.buffer == storage[index].buffer, "a batch entry's buffer cannot be replaced")
            precondition(
                newValue.offset >= 0 && newValue.length >= 0 && newValue.offset + newValue.length <= pool.bufferSize,
                "packet does not fit its buffer"
            )
            storage[index] = newValue
        }
    }

    /// Whether the entry at `index` still owns its buffer (it was not taken out or released).
    public func isPresent(at index: Int) -> Bool {
        self[index].buffer != .none
    }

    /// The packet bytes of the entry at `index`: `length` bytes from `offset`.
    @inline(__always)
    public func bytes(at index: Int) -> UnsafeMutableRawBufferPointer {
        let descriptor = self[index]
        precondition(descriptor.buffer != .none, "packet batch entry was taken out")
        return UnsafeMutableRawBufferPointer(
            start: pool.address(of: descriptor.buffer) + descriptor.offset, count: descriptor.length)
    }

    /// The whole buffer of the entry at `index`, for growing the packet into its headroom or tailroom.
    @inline(__always)
    public func buffer(at index: Int) -> UnsafeMutableRawBufferPointer {
        let descriptor = self[index]
        precondition(descriptor.buffer != .none, "packet batch entry was taken out")
        return pool.bytes(of: descriptor.buffer)
    }

    /// Free bytes in front of the packet at `index`.
    public func headroom(at index: Int) -> Int { self[index].offset }

    /// Free bytes after the packet at `index`.
    public func tailroom(at index: Int) -> Int {
        let descriptor = self[index]
        return pool.bufferSize - descriptor.offset - descriptor.length
    }

    /// Adds an entry; the batch takes over `descriptor.buffer`, which must be lent out from ``pool`` and owned by
    /// no other batch. Backends call this when they fill a batch; the batch must not be full.
    @inline(__always)
    public mutating func append(_ descriptor: PacketDescriptor) {
        precondition(count < capacity, "packet batch is full")
        precondition(pool.isLent(descriptor.buffer), "appended a packet buffer that is not lent out")
        precondition(
            descriptor.offset >= 0 && descriptor.length >= 0
                && descriptor.offset + descriptor.length <= pool.bufferSize,
            "packet does not fit its buffer"
        )
        (storage + count).initialize(to: descriptor)
        count += 1
    }

    /// Takes a free buffer from the pool and adds it as an empty packet at the pool's headroom, for a packet the
    /// core writes itself (a handshake message, a keepalive). Returns the new entry's index, or `nil` if the
    /// batch is full or the pool is empty.
    public mutating func appendNewBuffer() -> Int? {
        guard count < capacity, let buffer = pool.acquire() else { return nil }
        (storage + count).initialize(to: PacketDescriptor(buffer: buffer, offset: pool.headroom, length: 0))
        count += 1
        return count - 1
    }

    /// Hands the entry at `index` to the caller, who then owns its buffer; `nil` if it was already taken out.
    /// Backends use this to keep buffers until an asynchronous send completes.
    public mutating func take(at index: Int) -> PacketDescriptor? {
        let descriptor = self[index]
        guard descriptor.buffer != .none else { return nil }
        storage[index].buffer = .none
        return descriptor
    }

    /// Moves the entry at `index` to the end of `other` (same pool, not full), e.g. a decrypted datagram from the
    /// received batch to the batch bound for the TUN device.
    public mutating func transfer(at index: Int, to other: inout PacketBatch) {
        precondition(other.pool === pool, "packet batches use different pools")
        precondition(other.count < other.capacity, "packet batch is full")
        guard let descriptor = take(at: index) else { preconditionFailure("packet batch entry was taken out") }
        (other.storage + other.count).initialize(to: descriptor)
        other.count += 1
    }

    /// Gives the buffer of the entry at `index` back to the pool now (the packet is dropped).
    public mutating func release(at index: Int) {
        if let descriptor = take(at: index) {
            pool.release(descriptor.buffer)
        }
    }

    /// Gives every buffer still in the batch back to the pool and empties it.
    public mutating func removeAll() {
        Self.releaseBuffers(storage, count: count, to: pool)
        count = 0
    }

    static func releaseBuffers(
        _ storage: UnsafeMutablePointer<PacketDescriptor>, count: Int, to pool: PacketBufferPool
    ) {
        for index in 0..<count where storage[index].buffer != .none {
            pool.release(storage[index].buffer)
        }
    }
}
