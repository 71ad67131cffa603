#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex, for state shared between the loop thread and control threads.
///
/// Used instead of `Synchronization.Mutex` because ThreadSanitizer understands pthread mutexes: Swift's
/// `Mutex` on Linux is built on raw futex calls whose ordering TSan cannot see, so it reports every access
/// made under such a lock as a data race, and the suite must run clean under `--sanitize=thread`.
public final class Locked<Value>: @unchecked Sendable {
    // Safe: `value` is only touched between lock and unlock of `mutex`, which is never moved.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// Guards `value`.
    public init(_ value: Value) {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
