import CFZLoopSupport
import DataPlane
import Glibc

/// Signals an event loop from any thread through an `eventfd` the loop watches (epoll) or keeps a read posted
/// on (io_uring): as a loop's `stopHandle` it makes the loop leave `run()`, as its `wakeHandle` it wakes the
/// handler.
///
/// A class so the descriptor is closed only after the loop and every copy of the handle are gone, and can
/// never name a reused descriptor. Shared by the backends, which never import each other.
public final class EventSignal: LoopSignal {
    /// The eventfd; immutable, so sharing it across threads is safe.
    public let fileDescriptor: Int32

    /// A new non-blocking, close-on-exec eventfd.
    public init() throws(SystemCallError) {
        let fd = cfz_eventfd_open()
        guard fd >= 0 else {
            let code = errno
            throw SystemCallError(call: "eventfd", errno: code)
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

    /// Writes to the eventfd: the loop wakes up (the meaning depends on which handle this is).
    public func signal() {
        var one: UInt64 = 1
        _ = write(fileDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Reads and clears the count, so a level-triggered watch stops reporting it.
    public func drain() {
        var count: UInt64 = 0
        _ = read(fileDescriptor, &count, MemoryLayout<UInt64>.size)
    }
}

/// A system call that failed while setting up a loop or its thread: the call and its `errno`.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call, e.g. `eventfd`.
    public let call: String
    /// The error number it set.
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}
