#if canImport(Glibc)
import Glibc

/// Counts Swift heap-object allocations (arrays, dictionaries, boxes, closure contexts) made by one thread.
///
/// The Swift runtime routes `swift_allocObject` through the exported hook `_swift_allocObject` when it is
/// replaced; the replacement counts calls from the watched thread and forwards every call, so tests
/// running on other threads are unaffected. Raw `malloc` is not seen; the per-packet code has none.
enum AllocationCounter {
    typealias AllocObject = @convention(c) (UnsafeRawPointer?, Int, Int) -> UnsafeMutableRawPointer?

    /// Allocations `body` made on the calling thread, or nil if the runtime hook is missing.
    static func allocations(in body: () -> Void) -> Int? {
        guard installed else { return nil }
        allocationCount = 0
        watchedThread = pthread_self()
        watching = true
        body()
        watching = false
        return allocationCount
    }

    static let installed: Bool = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "_swift_allocObject") else { return false }
        let hook = symbol.assumingMemoryBound(to: AllocObject.self)
        // Touch every global the hook reads first, so their lazy initialization never runs inside it.
        watching = false
        watchedThread = pthread_self()
        allocationCount = 0
        originalAllocObject = hook.pointee
        hook.pointee = { metadata, size, alignmentMask in
            if watching, pthread_equal(pthread_self(), watchedThread) != 0 { allocationCount += 1 }
            return originalAllocObject!(metadata, size, alignmentMask)
        }
        return true
    }()
}

nonisolated(unsafe) private var originalAllocObject: AllocationCounter.AllocObject?
nonisolated(unsafe) private var watchedThread: pthread_t = 0
nonisolated(unsafe) private var watching = false
nonisolated(unsafe) private var allocationCount = 0
#endif
