/// Wakes or stops an event loop from any thread.
///
/// Each backend's loop hands out two: one that stops it and one that wakes its handler with
/// ``PacketIOEvents/wakeRequested``. Code that starts a loop (fzctl, the node daemons) holds them through this
/// role, so it works the same whichever backend runs the loop.
public protocol LoopSignal: AnyObject, Sendable {
    /// Signals the loop; safe from any thread, never blocks.
    func signal()
}
