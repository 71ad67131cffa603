import DataPlane
import PacketLoopSupport

/// A thread running one ``IOUringEventLoop`` until it stops.
///
/// The loop is handed over with `sending`, so the starting thread keeps no reference to it: from then on the
/// loop, its backend and its handler belong to the new thread alone.
public final class IOUringLoopThread: Sendable {
    /// Stops the loop from any thread.
    public let stopHandle: IOUringLoopSignal
    private let thread: LoopThread<IOUringIOError>

    /// Starts a thread that calls `loop.run()`, named `name` when one is given.
    public static func start<Handler>(
        _ loop: sending IOUringEventLoop<Handler>, name: String? = nil
    ) throws(IOUringIOError)
        -> IOUringLoopThread
    {
        let stopHandle = loop.stopHandle
        do {
            let thread = try LoopThread.start(name: name) { () throws(IOUringIOError) in try loop.run() }
            return IOUringLoopThread(stopHandle: stopHandle, thread: thread)
        } catch {
            throw .systemCall(error.call, errno: error.errno)
        }
    }

    private init(stopHandle: IOUringLoopSignal, thread: LoopThread<IOUringIOError>) {
        self.stopHandle = stopHandle
        self.thread = thread
    }

    /// Asks the loop to stop, waits for the thread to end and returns the error `run()` threw, if any.
    public func stopAndJoin() -> IOUringIOError? {
        stopHandle.stop()
        return join()
    }

    /// Waits for the thread to end (the handler returned `.stop` or someone called `stop()`) and returns the
    /// error `run()` threw, if any. Call at most once.
    public func join() -> IOUringIOError? {
        thread.join()
    }
}
