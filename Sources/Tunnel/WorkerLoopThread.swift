import DataPlane
import PacketLoopSupport

/// A thread running one more worker's event loop, for an interface with several workers.
///
/// Generic over the loop, so the same code starts epoll and io_uring workers. When its loop ends, for a
/// failure or because it was stopped, `onExit` runs on the thread (the caller stops the other workers there:
/// one worker failing takes the interface down rather than leaving its peers unserved).
public final class WorkerLoopThread: Sendable {
    private let thread: LoopThread<any Error>
    private let stop: any LoopSignal

    /// Starts a thread that runs `loop` until it stops, named `fz-worker-N` for worker `index` (the first
    /// worker runs on the main thread, which keeps the process name). From then on the loop, its backend and its
    /// handler belong to that thread: the caller must not touch them until `stopAndJoin()` has returned.
    public static func start<Loop: PacketEventLoop>(
        _ loop: Loop, index: Int, onExit: @escaping @Sendable () -> Void
    ) throws(SystemCallError) -> WorkerLoopThread {
        let stop = loop.stopHandle
        let box = LoopBox(loop)
        let thread = try LoopThread<any Error>.start(name: "fz-worker-\(index)") {
            defer { onExit() }
            try box.loop.run()
        }
        return WorkerLoopThread(thread: thread, stop: stop)
    }

    private init(thread: LoopThread<any Error>, stop: any LoopSignal) {
        self.thread = thread
        self.stop = stop
    }

    /// Asks the loop to stop, waits for the thread and returns why `run()` failed, if it did.
    public func stopAndJoin() -> String? {
        stop.signal()
        return thread.join().map { "\($0)" }
    }
}

/// Moves a loop to its thread. `@unchecked Sendable`: the starter hands it over and never touches it again;
/// only the new thread uses it.
private final class LoopBox<Loop: PacketEventLoop>: @unchecked Sendable {
    let loop: Loop
    init(_ loop: Loop) { self.loop = loop }
}
