/// The core as an event loop sees it: called on the loop's thread whenever something happens.
///
/// The loop owns the file descriptors and the timer; the handler owns the protocol state and does the packet
/// work through `io` (``PacketChannel/receive(into:)`` until it returns 0, then ``PacketChannel/send(_:)``),
/// then says when it next needs to be woken. Keeping the handler free of any loop type lets every backend drive
/// the same core.
public protocol PacketIOHandler: AnyObject {
    /// The backend this handler runs on.
    associatedtype IO: PacketIO

    /// Handles `events` at `now` and returns what the loop should do next.
    ///
    /// `now` and the deadline returned share the loop's monotonic clock (its origin is the backend's choice;
    /// the epoll loop uses `CLOCK_MONOTONIC`'s), the same ``MonotonicInstant`` the WireGuard engine takes.
    func handle(_ events: PacketIOEvents, io: IO, now: MonotonicInstant) -> PacketLoopDirective
}

/// What an event loop does after its handler returns.
public enum PacketLoopDirective: Equatable, Sendable {
    /// Wait for packets, and for `deadline` if it is not `nil` (a past deadline wakes the handler at once).
    case wait(deadline: MonotonicInstant?)
    /// Leave the loop.
    case stop
}
