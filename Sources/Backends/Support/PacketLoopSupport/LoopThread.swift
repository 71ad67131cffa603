import Glibc

/// A POSIX thread that runs one body to its end and hands back the error the body threw.
///
/// The shape every loop thread shares (epoll's, io_uring's, an interface's extra workers): the body crosses
/// `pthread_create` retained, `join()` waits with `pthread_join`, and the failure is read only after that join,
/// which orders it after the thread's write.
public final class LoopThread<Failure: Error>: Sendable {
    private let state: LoopThreadState<Failure>

    /// Starts a thread that runs `body`, named `name` (see ``ThreadName``) when one is given. From then on
    /// whatever `body` captures (a loop, its backend, its handler) belongs to that thread: the caller must not
    /// touch it until `join()` has returned.
    public static func start(
        name: String? = nil, _ body: @escaping () throws(Failure) -> Void
    ) throws(SystemCallError) -> LoopThread {
        let state = LoopThreadState(name: name, body: body)
        let context = Unmanaged.passRetained(state).toOpaque()
        var thread = pthread_t()
        // A C entry point cannot name `Failure`: it runs the body through the non-generic base class.
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<LoopThreadState<Failure>>.fromOpaque(context).release()
            throw SystemCallError(call: "pthread_create", errno: result)
        }
        state.thread = thread
        return LoopThread(state: state)
    }

    private init(state: LoopThreadState<Failure>) {
        self.state = state
    }

    /// Waits for the thread to end and returns the error its body threw, if any. Call at most once.
    public func join() -> Failure? {
        pthread_join(state.thread, nil)
        return state.failure
    }
}

/// What the thread's C entry point sees: something to run.
private class ThreadBody: @unchecked Sendable {
    var thread = pthread_t()

    func run() {}
}

/// What the thread and its starter share.
///
/// `@unchecked Sendable`: `body` (and what it captures) is only touched by the new thread; `thread` is written by
/// the starter before it can call `join`; `failure` is written by the thread before it ends and read only after
/// `pthread_join`.
private final class LoopThreadState<Failure: Error>: ThreadBody, @unchecked Sendable {
    private var body: (() throws(Failure) -> Void)?
    private let name: String?
    var failure: Failure?

    init(name: String?, body: @escaping () throws(Failure) -> Void) {
        self.name = name
        self.body = body
    }

    override func run() {
        if let name { ThreadName.setCurrent(name) }
        do {
            try body?()
        } catch {
            failure = error
        }
        body = nil
    }
}
