import Dispatch
import Locks

/// Commands from other threads (the UAPI socket, the portal connection) for the loop thread that owns the node.
///
/// The node and its WireGuard device belong to the event loop's thread alone, so a `wg show`, a `wg set` or
/// a portal message is not executed where it arrives: it is queued here and the loop is woken. `submit`
/// blocks its caller until the loop has answered; `post` returns at once (a portal message needs no
/// answer). Commands are rare and small; nothing here is on the packet path.
public final class ControlMailbox<Request: Sendable, Response: Sendable>: Sendable {
    /// One queued command and, once the loop has run it, its answer.
    final class Pending: @unchecked Sendable {
        // Safe: `request` and `done` are immutable; `response` is written by the loop thread before `done`
        // is signalled and read by the submitting thread only after it has waited on `done`.
        let request: Request
        var response: Response?
        /// Nil for a posted command: nobody waits for it.
        let done: DispatchSemaphore?

        init(request: Request, waits: Bool) {
            self.request = request
            done = waits ? DispatchSemaphore(value: 0) : nil
        }
    }

    private let queue = Locked<(requests: [Pending], closed: Bool)>(([], false))
    /// What `submit` answers once the mailbox is closed (the loop has stopped).
    private let closedAnswer: Response
    private let wake: @Sendable () -> Void

    /// A mailbox that calls `wake` (from the submitting thread) to get the loop's attention and answers
    /// `closedAnswer` to submissions once closed (for UAPI, ENODEV: an interface that is gone).
    public init(closedAnswer: Response, wake: @escaping @Sendable () -> Void) {
        self.closedAnswer = closedAnswer
        self.wake = wake
    }

    /// Queues `request`, wakes the loop and waits for its answer.
    public func submit(_ request: Request) -> Response {
        let pending = Pending(request: request, waits: true)
        guard enqueue(pending) else { return closedAnswer }
        wake()
        pending.done!.wait()
        return pending.response ?? closedAnswer
    }

    /// Queues `request` and wakes the loop without waiting; dropped if the mailbox is closed.
    public func post(_ request: Request) {
        guard enqueue(Pending(request: request, waits: false)) else { return }
        wake()
    }

    private func enqueue(_ pending: Pending) -> Bool {
        queue.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.requests.append(pending)
            return true
        }
    }

    /// Runs every queued command through `handle` on the calling (loop) thread, in arrival order.
    public func drain(_ handle: (Request) -> Response) {
        let pending = queue.withLock { state -> [Pending] in
            let taken = state.requests
            state.requests.removeAll()
            return taken
        }
        for request in pending {
            let response = handle(request.request)
            if let done = request.done {
                request.response = response
                done.signal()
            }
        }
    }

    /// Refuses new commands and answers waiting ones, once the loop that drains the mailbox has stopped;
    /// otherwise a `wg` call arriving during shutdown would block its thread forever. Posted commands
    /// still queued are dropped.
    public func close() {
        let pending = queue.withLock { state -> [Pending] in
            state.closed = true
            let taken = state.requests
            state.requests.removeAll()
            return taken
        }
        for request in pending {
            guard let done = request.done else { continue }
            request.response = closedAnswer
            done.signal()
        }
    }
}
