import Foundation
import PacketLoopSupport
import Synchronization

/// A helper thread of `fzctl bench io` (the traffic generator, a sink's reorder counter) that runs until it is
/// asked to stop. Its body polls ``isRunning``; ``stop()`` asks once and waits for the body to return.
final class BenchThread: Sendable {
    private let running = Atomic<Bool>(true)
    private let started = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Whether the body should go on.
    var isRunning: Bool { running.load(ordering: .relaxed) }

    /// Runs `body` on a new thread (once), named `name` (see `ThreadName`).
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Thread.detachNewThread { [self] in
            ThreadName.setCurrent(name)
            body()
            finished.signal()
        }
    }

    /// Asks the body to stop and waits for it; later calls, or a call before `start`, return at once.
    func stop() {
        running.store(false, ordering: .relaxed)
        guard started.load(ordering: .acquiring), !stopped.exchange(true, ordering: .acquiringAndReleasing) else {
            return
        }
        finished.wait()
    }
}
