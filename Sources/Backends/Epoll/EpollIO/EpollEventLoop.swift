import CFZEpoll
import DataPlane
import PacketLoopSupport
import Glibc

/// Drives a ``PacketIOHandler`` from `epoll`: waits for the UDP sockets and the TUN device to become readable
/// and for the handler's deadline (a `timerfd` on `CLOCK_MONOTONIC`, set to the absolute deadline), then calls
/// the handler on this thread. ``MonotonicInstant``s here count nanoseconds of `CLOCK_MONOTONIC`.
///
/// The loop owns the epoll, timer and stop descriptors and watches the backend's; it and everything it holds
/// belong to the one thread that calls ``run()`` or ``runOnce(timeout:)`` (see ``EpollLoopThread`` to start
/// one). Watching is level-triggered, so a handler that leaves packets unread is woken again.
public final class EpollEventLoop<Handler: PacketIOHandler>: PacketEventLoop where Handler.IO == EpollPacketIO {
    /// The backend whose descriptors the loop watches.
    public let io: EpollPacketIO
    /// The core the loop calls.
    public let handler: Handler
    /// Stops the loop from any thread.
    public let stopHandle: EpollLoopStopHandle
    /// Wakes the handler from any thread with ``PacketIOEvents/wakeRequested``.
    public let wakeHandle: EpollLoopStopHandle

    // Internal rather than private, here and below: cross-module optimization serializes only code that uses no
    // private declaration, and `runOnce` must be specialized in the binary for the handler it calls.
    let epollDescriptor: Int32
    let timerDescriptor: Int32
    let ready: UnsafeMutablePointer<epoll_event>
    let readyCapacity = 8
    var started = false
    var finished = false
    var armedDeadline: MonotonicInstant?

    static var timerTag: UInt64 { 1 }
    static var stopTag: UInt64 { 2 }
    static var tunTag: UInt64 { 3 }
    static var socketTag: UInt64 { 4 }
    static var wakeTag: UInt64 { 5 }

    /// Creates the epoll and timer descriptors and registers the backend's descriptors.
    public init(io: EpollPacketIO, handler: Handler) throws(EpollIOError) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            let code = errno
            throw .systemCall("epoll_create1", errno: code)
        }
        let timer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        guard timer >= 0 else {
            let code = errno
            close(epoll)
            throw .systemCall("timerfd_create", errno: code)
        }
        let stopHandle: EpollLoopStopHandle
        let wakeHandle: EpollLoopStopHandle
        do throws(EpollIOError) {
            stopHandle = try Self.signal()
            wakeHandle = try Self.signal()
            try Self.watch(epoll, wakeHandle.fileDescriptor, tag: Self.wakeTag)
            try Self.watch(epoll, timer, tag: Self.timerTag)
            try Self.watch(epoll, stopHandle.fileDescriptor, tag: Self.stopTag)
            if let tun = io.tun {
                try Self.watch(epoll, tun.fileDescriptor, tag: Self.tunTag)
            }
            for descriptor in io.datagrams.fileDescriptors {
                try Self.watch(epoll, descriptor, tag: Self.socketTag)
            }
        } catch {
            close(timer)
            close(epoll)
            throw error
        }
        self.io = io
        self.handler = handler
        self.stopHandle = stopHandle
        self.wakeHandle = wakeHandle
        epollDescriptor = epoll
        timerDescriptor = timer
        ready = .allocate(capacity: readyCapacity)
        ready.initialize(repeating: epoll_event(), count: readyCapacity)
    }

    deinit {
        close(timerDescriptor)
        close(epollDescriptor)
        ready.deallocate()
    }

    /// Runs until the handler returns ``PacketLoopDirective/stop`` or ``EpollLoopStopHandle/stop()`` is called.
    public func run() throws(EpollIOError) {
        while try runOnce(timeout: nil) {}
    }

    /// Waits once for events (at most `timeout`, or without limit for `nil`) and calls the handler if any came.
    /// The first call also calls the handler with ``PacketIOEvents/started``.
    ///
    /// - Returns: `false` once the loop has stopped; later calls return `false` at once.
    public func runOnce(timeout: Duration?) throws(EpollIOError) -> Bool {
        guard !finished else { return false }
        if !started {
            started = true
            guard try dispatch(.started) else { return false }
        }
        let count = epoll_wait(epollDescriptor, ready, Int32(readyCapacity), Self.milliseconds(timeout))
        if count < 0 {
            let code = errno
            if code == EINTR { return true }
            throw .systemCall("epoll_wait", errno: code)
        }
        var events: PacketIOEvents = []
        for index in 0..<Int(count) {
            switch ready[index].data.u64 {
            case Self.timerTag:
                var expirations: UInt64 = 0
                _ = read(timerDescriptor, &expirations, MemoryLayout<UInt64>.size)
                armedDeadline = nil
                events.insert(.deadlineReached)
            case Self.stopTag:
                finished = true
                return false
            case Self.tunTag:
                events.insert(.tunReadable)
            case Self.wakeTag:
                var count: UInt64 = 0
                _ = read(wakeHandle.fileDescriptor, &count, MemoryLayout<UInt64>.size)
                events.insert(.wakeRequested)
            default:
                events.insert(.datagramsReadable)
            }
        }
        guard !events.isEmpty else { return true }
        return try dispatch(events)
    }

    /// Calls the handler and applies its directive; `false` when it said stop.
    func dispatch(_ events: PacketIOEvents) throws(EpollIOError) -> Bool {
        let now = Self.now()
        switch handler.handle(events, io: io, now: now) {
        case .stop:
            finished = true
            return false
        case .wait(let deadline):
            if deadline != armedDeadline {
                try arm(deadline)
            }
            return true
        }
    }

    /// The current `CLOCK_MONOTONIC` time.
    static func now() -> MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
    }

    /// Sets the timer to fire at `deadline` (at once if it has passed), or disarms it for `nil`.
    func arm(_ deadline: MonotonicInstant?) throws(EpollIOError) {
        var spec = itimerspec()
        if let deadline {
            // An all-zero time would disarm the timer; 1 ns after boot is just as past.
            let nanoseconds = max(deadline.nanoseconds, 1)
            spec.it_value = timespec(
                tv_sec: Int(clamping: nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        }
        guard timerfd_settime(timerDescriptor, Int32(TFD_TIMER_ABSTIME), &spec, nil) == 0 else {
            let code = errno
            throw .systemCall("timerfd_settime", errno: code)
        }
        armedDeadline = deadline
    }

    static func watch(_ epoll: Int32, _ descriptor: Int32, tag: UInt64) throws(EpollIOError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = tag
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) == 0 else {
            let code = errno
            throw .systemCall("epoll_ctl(EPOLL_CTL_ADD, fd \(descriptor))", errno: code)
        }
    }

    /// `timeout` in whole milliseconds rounded up, or -1 (wait forever) for `nil`.
    static func milliseconds(_ timeout: Duration?) -> Int32 {
        guard let timeout else { return -1 }
        let (seconds, attoseconds) = max(timeout, .zero).components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}

extension EpollEventLoop {
    /// A new eventfd signal, its failure in this backend's error type.
    static func signal() throws(EpollIOError) -> EventSignal {
        do {
            return try EventSignal()
        } catch {
            throw .systemCall(error.call, errno: error.errno)
        }
    }
}
