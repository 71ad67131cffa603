import DataPlane
import Glibc

/// A thread running one ``IOUringEventLoop`` until it stops.
///
/// The loop is handed over with `sending`, so the starting thread keeps no reference to it: from then on the
/// loop, its backend and its handler belong to the new thread alone.
public final class IOUringLoopThread: Sendable {
    /// Stops the loop from any thread.
    public let stopHandle: IOUringLoopSignal
    private let state: ThreadState

    /// Starts a thread that calls `loop.run()`.
    public static func start<Handler>(_ loop: sending IOUringEventLoop<Handler>) throws(IOUringIOError)
        -> IOUringLoopThread
    {
        let stopHandle = loop.stopHandle
        let state = ThreadState(body: { () throws(IOUringIOError) in try loop.run() })
        let context = Unmanaged.passRetained(state).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let state = Unmanaged<ThreadState>.fromOpaque(context!).takeRetainedValue()
            state.runBody()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<ThreadState>.fromOpaque(context).release()
            throw .systemCall("pthread_create", errno: result)
        }
        state.thread = thread
        return IOUringLoopThread(stopHandle: stopHandle, state: state)
    }

    private init(stopHandle: IOUringLoopSignal, state: ThreadState) {
        self.stopHandle = stopHandle
        self.state = state
    }

    /// Asks the loop to stop, waits for the thread to end and returns the error `run()` threw, if any.
    public func stopAndJoin() -> IOUringIOError? {
        stopHandle.stop()
        return join()
    }

    /// Waits for the thread to end (the handler returned `.stop` or someone called `stop()`) and returns the
    /// error `run()` threw, if any. Call at most once.
    public func join() -> IOUringIOError? {
        pthread_join(state.thread, nil)
        return state.failure
    }
}

/// What the loop thread and its starter share.
///
/// `@unchecked Sendable`: `body` (and the loop it captures) is only touched by the new thread; `thread` is
/// written by the starter before `join` reads it on the same starter side; `failure` is written by the new
/// thread before it ends and read only after `pthread_join`, which orders the two.
private final class ThreadState: @unchecked Sendable {
    private var body: (() throws(IOUringIOError) -> Void)?
    var thread = pthread_t()
    var failure: IOUringIOError?

    init(body: @escaping () throws(IOUringIOError) -> Void) {
        self.body = body
    }

    func runBody() {
        do {
            try body?()
        } catch {
            failure = error
        }
        body = nil
    }
}
