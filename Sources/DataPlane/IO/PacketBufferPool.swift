/// A fixed set of equal packet buffers in one region allocated once, handed out by index.
///
/// Backends own the pool and lend its buffers to the core through a ``PacketBatch``; nothing on the packet path
/// allocates. One contiguous, page-aligned region (buffer `i` at `baseAddress + i * bufferSize`) can be
/// registered with the kernel whole, e.g. as io_uring fixed buffers or a provided-buffer ring. Each buffer keeps
/// ``headroom`` bytes in front of and ``tailroom`` bytes after the packet a backend receives into it, so the core
/// can add the WireGuard header (16 bytes) in front and padding plus tag (up to 32 bytes) behind, in place.
///
/// Not thread-safe: a pool belongs to the one thread that runs its backend's event loop.
public final class PacketBufferPool {
    /// How many buffers the pool has.
    public let bufferCount: Int
    /// The size of each buffer in bytes, including headroom and tailroom.
    public let bufferSize: Int
    /// Bytes a backend leaves free in front of each packet it receives.
    public let headroom: Int
    /// Bytes a backend leaves free after each packet it receives.
    public let tailroom: Int
    /// Start of the region that holds every buffer, aligned to 4096 bytes.
    public let baseAddress: UnsafeMutableRawPointer

    // Not private: cross-module optimization inlines only code that uses no private declaration, and
    // `acquire`/`release` run per packet in other modules.
    /// Indices of the free buffers, used as a stack.
    let freeStack: UnsafeMutablePointer<UInt32>
    var freeCount: Int
    /// Whether each buffer is lent out, to catch a buffer released twice.
    let lent: UnsafeMutablePointer<Bool>

    /// The largest number of buffers a pool can have: io_uring buffer IDs are 16 bits.
    public static let maximumBufferCount = 1 << 16

    /// Allocates `bufferCount` buffers of `bufferSize` bytes each, all free.
    ///
    /// The defaults hold a 1500-byte IP packet or datagram with 32 bytes on each side. `bufferCount` must be
    /// 1 to ``maximumBufferCount``, and `headroom + tailroom` must leave room for at least one byte.
    public init(bufferCount: Int, bufferSize: Int = 2048, headroom: Int = 32, tailroom: Int = 32) {
        precondition(bufferCount > 0 && bufferCount <= Self.maximumBufferCount, "bufferCount out of range")
        precondition(headroom >= 0 && tailroom >= 0 && headroom + tailroom < bufferSize, "no room for a packet")
        self.bufferCount = bufferCount
        self.bufferSize = bufferSize
        self.headroom = headroom
        self.tailroom = tailroom
        baseAddress = UnsafeMutableRawPointer.allocate(byteCount: bufferCount * bufferSize, alignment: 4096)
        baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: bufferCount * bufferSize)
        freeStack = UnsafeMutablePointer<UInt32>.allocate(capacity: bufferCount)
        // Hand out low indices first so a lightly loaded pool touches few pages.
        for slot in 0..<bufferCount {
            freeStack[slot] = UInt32(bufferCount - 1 - slot)
        }
        freeCount = bufferCount
        lent = UnsafeMutablePointer<Bool>.allocate(capacity: bufferCount)
        lent.initialize(repeating: false, count: bufferCount)
    }

    deinit {
        baseAddress.deallocate()
        freeStack.deallocate()
        lent.deallocate()
    }

    /// Bytes in the whole region (`bufferCount * bufferSize`).
    public var regionByteCount: Int { bufferCount * bufferSize }

    /// Room for a received packet: `bufferSize - headroom - tailroom`.
    public var payloadCapacity: Int { bufferSize - headroom - tailroom }

    /// How many buffers are free now.
    public var availableCount: Int { freeCount }

    /// Takes a free buffer, or returns `nil` when every buffer is lent out.
    @inline(__always)
    public func acquire() -> PacketBufferID? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        let index = freeStack[freeCount]
        lent[Int(index)] = true
        return PacketBufferID(index)
    }

    /// Returns a buffer taken with ``acquire()``. Releasing a buffer that is not lent out is a programming error
    /// and traps, because two owners of one buffer would corrupt each other's packets.
    @inline(__always)
    public func release(_ buffer: PacketBufferID) {
        let index = Int(buffer.index)
        precondition(index < bufferCount && lent[index], "released a packet buffer that is not lent out")
        lent[index] = false
        freeStack[freeCount] = buffer.index
        freeCount += 1
    }

    /// Whether `buffer` is lent out now.
    public func isLent(_ buffer: PacketBufferID) -> Bool {
        Int(buffer.index) < bufferCount && lent[Int(buffer.index)]
    }

    /// The first byte of `buffer`.
    @inline(__always)
    public func address(of buffer: PacketBufferID) -> UnsafeMutableRawPointer {
        precondition(Int(buffer.index) < bufferCount, "packet buffer index out of range")
        return baseAddress + Int(buffer.index) * bufferSize
    }

    /// All `bufferSize` bytes of `buffer`.
    @inline(__always)
    public func bytes(of buffer: PacketBufferID) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: address(of: buffer), count: bufferSize)
    }
}
