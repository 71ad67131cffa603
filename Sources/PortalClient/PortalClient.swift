import Locks
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A node's WebSocket to the portal that keeps itself connected until stopped or refused.
///
/// Thread-safe; events arrive on the client's own NIO thread, one at a time. Reconnects use capped
/// exponential backoff with jitter, so a portal restart is not met by every node at the same instant.
/// Call `stop()` when done, also after `refused`: it ends the client's thread.
public final class PortalClient: Sendable {
    let configuration: PortalClientConfiguration
    let events: PortalClientEvents
    private let group: MultiThreadedEventLoopGroup
    private let loop: any EventLoop
    private let state = Locked(State())

    private struct State {
        var started = false
        var stopped = false
        var failures = 0
        var open: (any Channel)?
        var attempt: (any Channel)?
        var retry: Scheduled<Void>?
    }

    public init(configuration: PortalClientConfiguration, events: PortalClientEvents) {
        self.configuration = configuration
        self.events = events
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.loop = group.next()
    }

    /// Convenience: parses `url` (`ws://HOST:PORT/PATH`; `wss://` and others are refused).
    public convenience init(url: String, token: String, events: PortalClientEvents) throws(PortalClientError) {
        let endpoint = try PortalEndpoint(parsing: url, scheme: .ws)
        self.init(configuration: PortalClientConfiguration(endpoint: endpoint, token: token), events: events)
    }

    /// True while the WebSocket is open.
    public var isConnected: Bool { state.withLock { $0.open != nil } }

    /// Starts connecting in the background; returns at once.
    public func start() {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started && !state.stopped
        }
        if first { loop.execute { self.connect() } }
    }

    /// Queues one text message; false when not connected (the caller decides whether it matters).
    @discardableResult
    public func send(_ text: String) -> Bool {
        guard let channel = state.withLock({ $0.open }), channel.isActive else { return false }
        let frame = WebSocketFrame(
            fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text)
        )
        channel.writeAndFlush(frame, promise: nil)
        return true
    }

    /// Stops retrying and closes the connection; returns at once (safe from inside an event).
    public func stop() {
        let channels = beginStop()
        for channel in channels { channel.close(promise: nil) }
        group.shutdownGracefully { _ in }
    }

    /// Stops retrying, closes the connection and waits until the client's thread has ended.
    public func stop() async {
        let channels = beginStop()
        for channel in channels { channel.close(promise: nil) }
        try? await group.shutdownGracefully()
    }

    private func beginStop() -> [any Channel] {
        state.withLock { state in
            state.stopped = true
            state.retry?.cancel()
            state.retry = nil
            let channels = [state.open, state.attempt].compactMap { $0 }
            return channels
        }
    }

    // MARK: - Attempts (all on `loop`)

    private func connect() {
        guard !state.withLock({ $0.stopped }) else { return }
        let endpoint = configuration.endpoint
        let attempt = AttemptRecord()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.address)
        headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.path, headers: headers)
        let maxSize = configuration.maxMessageSize
        ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                let requestHandler = UpgradeRequestHandler(head: head, attempt: attempt)
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: maxSize,
                    automaticErrorHandling: true,
                    upgradePipelineHandler: { [self] channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            attempt.upgraded = true
                            let sync = channel.pipeline.syncOperations
                            try sync.addHandler(
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 4096,
                                    maxAccumulatedFrameSize: maxSize
                                )
                            )
                            try sync.addHandler(ClientWebSocketHandler(client: self, attempt: attempt))
                        }
                    }
                )
                let boundHandler = NIOLoopBound(requestHandler, eventLoop: channel.eventLoop)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(boundHandler.value, promise: nil)
                        })
                    )
                    try channel.pipeline.syncOperations.addHandler(requestHandler)
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    let keep = state.withLock { state -> Bool in
                        if !state.stopped { state.attempt = channel }
                        return !state.stopped
                    }
                    guard keep else {
                        channel.close(promise: nil)
                        return
                    }
                    // An upgrade that never completes (a silent listener) must not hang the node.
                    let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) {
                        if !attempt.upgraded {
                            attempt.failure = attempt.failure ?? "no WebSocket upgrade within the connect timeout"
                            channel.close(promise: nil)
                        }
                    }
                    channel.closeFuture.whenComplete { [self] _ in
                        timeout.cancel()
                        attemptEnded(channel: channel, attempt: attempt)
                    }
                case .failure(let error):
                    let reason = describeConnectError(error)
                    scheduleRetry(reason: "cannot reach the portal at \(endpoint.address): \(reason)")
                }
            }
    }

    /// The WebSocket is up: remember the channel and tell the owner.
    func didOpen(channel: any Channel, attempt: AttemptRecord) {
        attempt.openedAt = .now()
        let keep = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.open = channel
            return true
        }
        guard keep else {
            channel.close(promise: nil)
            return
        }
        events.connected()
    }

    func didReceive(_ text: String) {
        events.received(text)
    }

    private func attemptEnded(channel: any Channel, attempt: AttemptRecord) {
        let stopped = state.withLock { state -> Bool in
            if state.attempt === channel { state.attempt = nil }
            if state.open === channel { state.open = nil }
            return state.stopped
        }
        if let status = attempt.refusedStatus {
            let wasStopped = state.withLock { state -> Bool in
                defer { state.stopped = true }
                return state.stopped
            }
            if !wasStopped { events.refused(status) }
            return
        }
        if let openedAt = attempt.openedAt {
            let upFor = NIODeadline.now() - openedAt
            if upFor >= TimeAmount(configuration.stableConnection) {
                state.withLock { $0.failures = 0 }
            }
            events.disconnected(attempt.failure ?? "the connection to the portal closed")
            guard !stopped else { return }
            scheduleRetry(reason: nil)
        } else {
            guard !stopped else { return }
            scheduleRetry(reason: attempt.failure ?? "the portal closed the connection during the upgrade")
        }
    }

    private func scheduleRetry(reason: String?) {
        let delay = state.withLock { state -> Duration? in
            guard !state.stopped else { return nil }
            let delay = backoff(failures: state.failures)
            state.failures += 1
            return delay
        }
        guard let delay else { return }
        if let reason { events.retrying(reason, delay) } else { events.retrying("reconnecting", delay) }
        let task = loop.scheduleTask(in: TimeAmount(delay)) { [self] in connect() }
        let keep = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.retry = task
            return true
        }
        if !keep { task.cancel() }
    }

    /// `initial * 2^failures` capped at the maximum, then scaled by a random factor in [0.8, 1.0].
    private func backoff(failures: Int) -> Duration {
        let initial = configuration.initialBackoff.seconds
        let maximum = configuration.maximumBackoff.seconds
        let raw = min(maximum, initial * Double(1 << min(failures, 30)))
        let jittered = raw * Double.random(in: 0.8...1.0)
        return .nanoseconds(Int64(jittered * 1e9))
    }
}

/// What one connection attempt learned; touched only on the client's loop.
final class AttemptRecord: @unchecked Sendable {
    var upgraded = false
    var openedAt: NIODeadline?
    var refusedStatus: Int?
    var failure: String?
}
