import DataPlane
import Glibc

/// A thread running one more worker's event loop, for an interface with several workers.
///
/// Generic over the loop, so the same code starts epoll and io_uring workers. When its loop ends, for a
/// failure or because it was stopped, `onExit` runs on the thread (the caller stops the other workers there:
/// one worker failing takes the interface down rather than leaving its peers unserved).
public final class WorkerLoopThread: Sendable {
    private let state: WorkerThreadState
    private let stop: any LoopSignal

    /// Starts a thread that runs `loop` until it stops. From then on the loop, its backend and its handler
    /// belong to that thread: the caller must not touch them until `stopAndJoin()` has returned.
    public static func start<Loop: PacketEventLoop>(
        _ loop: Loop, onExit: @escaping @Sendable () -> Void
    ) throws(SystemCallFailure) -> WorkerLoopThread {
        let stop = loop.stopHandle
        let box = LoopBox(loop)
        let state = WorkerThreadState { () -> String? in
            defer { onExit() }
            do {
                try box.loop.run()
                return nil
            } catch {
                return "\(error)"
            }
        }
        let context = Unmanaged.passRetained(state).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let state = Unmanaged<WorkerThreadState>.fromOpaque(context!).takeRetainedValue()
            state.runBody()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<WorkerThreadState>.fromOpaque(context).release()
            throw SystemCallFailure(call: "pthread_create", errno: result)
        }
        state.thread = thread
        return WorkerLoopThread(state: state, stop: stop)
    }

    private init(state: WorkerThreadState, stop: any LoopSignal) {
        self.state = state
        self.stop = stop
    }

    /// Asks the loop to stop, waits for the thread and returns why `run()` failed, if it did.
    public func stopAndJoin() -> String? {
        stop.signal()
        pthread_join(state.thread, nil)
        return state.failure
    }
}

/// A system call of the driver itself failed.
public struct SystemCallFailure: Error, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Moves a loop to its thread. `@unchecked Sendable`: the starter hands it over (`sending`) and never touches
/// it again; only the new thread uses it.
private final class LoopBox<Loop: PacketEventLoop>: @unchecked Sendable {
    let loop: Loop
    init(_ loop: Loop) { self.loop = loop }
}

/// What the worker thread and its starter share. `@unchecked Sendable`: `thread` is written by the starter
/// before it joins; `failure` is written by the thread before it ends and read after `pthread_join`.
private final class WorkerThreadState: @unchecked Sendable {
    private var body: (() -> String?)?
    var thread = pthread_t()
    var failure: String?

    init(body: @escaping () -> String?) {
        self.body = body
    }

    func runBody() {
        failure = body?()
        body = nil
    }
}
