import CFZURing
import DataPlane
import Glibc

/// The reading half of the TUN role: keeps reads posted, each into its own pool buffer at the pool's headroom, and
/// queues what completes.
///
/// How many reads stay posted follows the packet rate, between 2 and `depth`: twice the reads that completed since
/// the last posting. Every read waiting on the device is woken by each packet that arrives (only one of them gets
/// it; the others go back to waiting), so at a few thousand 64 KiB super-packets per second a full `depth` of
/// waiting reads costs `depth` wake-ups per packet, while a flood of single datagrams needs many reads posted to
/// be taken in batches.
final class TunReader {
    let descriptor: Int32
    let pool: PacketBufferPool
    let depth: Int
    let ready: ReadyQueue
    private(set) var outstanding = 0
    /// Reads that completed with a packet since reads were last posted.
    private var completedSinceArm = 0
    /// Reads the kernel failed (other than by cancellation), counted as they end.
    private(set) var failedCount = 0

    init(descriptor: Int32, pool: PacketBufferPool, depth: Int) {
        self.descriptor = descriptor
        self.pool = pool
        self.depth = max(1, depth)
        ready = ReadyQueue(capacity: pool.bufferCount)
    }

    /// Bytes one read may fill: one more than fits, so an oversized packet shows up as too long.
    var readLength: Int { min(pool.payloadCapacity + 1, pool.bufferSize - pool.headroom) }

    /// Pool buffers held here: in posted reads, or read and not taken yet.
    var heldBufferCount: Int { outstanding + ready.count }

    /// The reads to keep posted now: twice the recent completions, at least 2 and at most `depth`.
    var target: Int { min(depth, max(2, 2 * completedSinceArm)) }

    /// Posts reads up to the target, as far as the pool has buffers.
    func arm(on ring: IOUringRing) {
        let wanted = target
        completedSinceArm = 0
        while outstanding < wanted, let buffer = pool.acquire() {
            let tag = CompletionTag(.tunRead, UInt64(buffer.index)).userData
            let address = pool.address(of: buffer) + pool.headroom
            let length = UInt32(readLength)
            let fd = descriptor
            guard ring.queue({ cfz_uring_prep_read($0, fd, address, length, tag) }) else {
                pool.release(buffer)
                return
            }
            outstanding += 1
        }
    }

    /// Routes one read completion.
    @inline(__always)
    func complete(buffer: UInt32, result: Int32, pool: PacketBufferPool) {
        outstanding -= 1
        if result > 0 {
            completedSinceArm += 1
            ready.push(ReadyEntry(index: buffer, result: result, socket: 0))
        } else {
            if result < 0 && result != -ECANCELED && result != -EAGAIN && result != -EINTR { failedCount += 1 }
            pool.release(PacketBufferID(buffer))
        }
    }

    /// Moves read packets into `batch`; oversized ones are dropped. Returns how many were appended.
    @inline(__always)
    func take(into batch: inout PacketBatch) -> Int {
        var appended = 0
        while batch.remainingCapacity > 0, let entry = ready.pop() {
            let buffer = PacketBufferID(entry.index)
            guard Int(entry.result) <= pool.payloadCapacity else {
                pool.release(buffer)
                continue
            }
            batch.append(PacketDescriptor(buffer: buffer, offset: pool.headroom, length: Int(entry.result)))
            appended += 1
        }
        return appended
    }

    /// Gives back the buffers of read packets not taken; call only when no read is in flight (after a drain).
    func reclaim() {
        while let entry = ready.pop() {
            pool.release(PacketBufferID(entry.index))
        }
    }
}
