import Glibc
import Synchronization

/// One thread's CPU clock, published by that thread and read from any other.
///
/// The thread calls ``publish()`` once when it starts; readers get nil until then. The figure counts the kernel
/// work done in the thread's context too (on loopback, the receiving side of a delivery it triggers).
final class ThreadCPUClock: Sendable {
    private let clock = Atomic<Int32>(-1)

    /// Called on the measured thread: makes its CPU clock readable.
    func publish() {
        var id = clockid_t()
        if pthread_getcpuclockid(pthread_self(), &id) == 0 { clock.store(id, ordering: .releasing) }
    }

    /// CPU seconds the thread has used so far; nil before it published its clock.
    func seconds() -> Double? {
        let id = clock.load(ordering: .acquiring)
        var time = timespec()
        guard id != -1, clock_gettime(id, &time) == 0 else { return nil }
        return Self.seconds(time)
    }

    /// A `timespec` as seconds.
    static func seconds(_ time: timespec) -> Double {
        Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
