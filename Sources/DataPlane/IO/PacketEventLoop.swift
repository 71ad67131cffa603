/// An event loop that drives a ``PacketIOHandler`` on the thread that calls ``run()``.
///
/// Readiness backends (epoll) and completion backends (io_uring) both fit: the loop waits however it waits,
/// turns what happened into ``PacketIOEvents`` and calls the handler, which moves packets through the backend's
/// channels. Code above the backends is generic over this role, and picks the concrete loop with a `switch` at
/// startup so the packet path is specialized for it.
public protocol PacketEventLoop<Handler>: AnyObject {
    /// The core the loop calls.
    associatedtype Handler: PacketIOHandler
    /// Stops or wakes this loop.
    associatedtype Signal: LoopSignal
    /// What ``run()`` fails with.
    associatedtype Failure: Error

    /// The core the loop calls.
    var handler: Handler { get }
    /// Makes ``run()`` return at the loop's next wake-up, which signalling causes.
    var stopHandle: Signal { get }
    /// Wakes the handler with ``PacketIOEvents/wakeRequested``.
    var wakeHandle: Signal { get }

    /// Runs until the handler returns ``PacketLoopDirective/stop`` or ``stopHandle`` is signalled.
    func run() throws(Failure)
}
