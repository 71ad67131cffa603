import CFZURing
import DataPlane
import Glibc

/// Signals an ``IOUringEventLoop`` from any thread through an `eventfd` the loop keeps a read posted on: as the
/// loop's `stopHandle` it makes the loop leave `run()`, as its `wakeHandle` it wakes the handler.
///
/// A class so the descriptor is closed only after the loop and every copy of the handle are gone, and can
/// never name a reused descriptor.
public final class IOUringLoopSignal: LoopSignal {
    /// The eventfd; immutable, so sharing it across threads is safe.
    let fileDescriptor: Int32

    init() throws(IOUringIOError) {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else {
            let code = errno
            throw .systemCall("eventfd", errno: code)
        }
        fileDescriptor = fd
    }

    deinit {
        close(fileDescriptor)
    }

    /// Makes the loop return from `run()` (or `runOnce` return `false`) at its next wake-up, which this causes.
    public func stop() {
        signal()
    }

    /// Writes to the eventfd: the loop's posted read completes and the loop wakes.
    public func signal() {
        var one: UInt64 = 1
        _ = write(fileDescriptor, &one, MemoryLayout<UInt64>.size)
    }
}
