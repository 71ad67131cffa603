import Dispatch
import Locks

/// Requests from other threads (the UAPI socket, later the portal) for the loop thread that owns the device.
///
/// The WireGuard device belongs to the event loop's thread alone, so a `wg show` or `wg set` is not
/// executed where it arrives: the request is queued here, the loop is woken, and the caller blocks until
/// the loop has answered. Requests are rare and small; nothing here is on the packet path.
public final class ControlMailbox<Request: Sendable>: Sendable {
    /// One queued request and, once the loop has run it, its answer.
    final class Pending: @unchecked Sendable {
        // Safe: `request` is immutable; `response` is written by the loop thread before `done` is
        // signalled and read by the submitting thread only after it has waited on `done`.
        let request: Request
        var response = ""
        let done = DispatchSemaphore(value: 0)

        init(request: Request) {
            self.request = request
        }
    }

    private let queue = Locked<(requests: [Pending], closed: Bool)>(([], false))
    /// The answer once the loop has stopped: ENODEV, as for an interface that is gone.
    static var closedAnswer: String { "errno=-19\n\n" }
    private let wake: @Sendable () -> Void

    /// A mailbox that calls `wake` (from the submitting thread) to get the loop's attention.
    public init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    /// Queues `request`, wakes the loop and waits for its answer.
    public func submit(_ request: Request) -> String {
        let request = Pending(request: request)
        let accepted = queue.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.requests.append(request)
            return true
        }
        guard accepted else { return Self.closedAnswer }
        wake()
        request.done.wait()
        return request.response
    }

    /// Runs every queued request through `answer` on the calling (loop) thread.
    public func drain(_ answer: (Request) -> String) {
        let pending = queue.withLock { state -> [Pending] in
            let taken = state.requests
            state.requests.removeAll()
            return taken
        }
        for request in pending {
            request.response = answer(request.request)
            request.done.signal()
        }
    }

    /// Refuses new requests and answers waiting ones, once the loop that drains the mailbox has stopped;
    /// otherwise a `wg` call arriving during shutdown would block its thread forever.
    public func close() {
        let pending = queue.withLock { state -> [Pending] in
            state.closed = true
            let taken = state.requests
            state.requests.removeAll()
            return taken
        }
        for request in pending {
            request.response = Self.closedAnswer
            request.done.signal()
        }
    }
}
