import Locks
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The portal's listener: node WebSockets at `/gateway` and `/client` and the admin API, on one port.
///
/// It runs on one event-loop thread of its own, so every delegate call is serial without a lock; it moves
/// text and knows nothing of the messages. Tokens are decided by the delegate.
public final class PortalServer: Sendable {
    let configuration: PortalServerConfiguration
    let delegate: any PortalServerDelegate
    private let group: MultiThreadedEventLoopGroup
    private let state = Locked(State())

    private struct State {
        var started = false
        var stopped = false
        var listener: (any Channel)?
        var children: [ObjectIdentifier: any Channel] = [:]
        var nextConnectionID: UInt64 = 1
    }

    /// Prepares a server; nothing is bound until `start()`.
    public init(configuration: PortalServerConfiguration, delegate: any PortalServerDelegate) {
        self.configuration = configuration
        self.delegate = delegate
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// The bound port once started (the real one when the configuration asked for 0), else nil.
    public var port: Int? {
        state.withLock { $0.listener?.localAddress?.port }
    }

    /// Binds and starts accepting; returns once the port is bound.
    @available(*, noasync, message: "use the async start() from async code")
    public func start() throws {
        try makeBindFuture().wait()
    }

    /// Binds and starts accepting; returns once the port is bound.
    public func start() async throws {
        try await makeBindFuture().get()
    }

    private func makeBindFuture() -> EventLoopFuture<Void> {
        let alreadyStarted = state.withLock { state -> Bool in
            defer { state.started = true }
            return state.started
        }
        let loop = group.next()
        guard !alreadyStarted else { return loop.makeFailedFuture(PortalServerError.alreadyStarted) }
        let host = configuration.host
        let port = configuration.port
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                self.initialize(channel)
            }
            .bind(host: host, port: port)
            .flatMapErrorThrowing { error in
                throw PortalServerError.bindFailed(host: host, port: port, reason: "\(error)")
            }
            .map { [self] listener in
                let stopped = state.withLock { state -> Bool in
                    if !state.stopped { state.listener = listener }
                    return state.stopped
                }
                if stopped { listener.close(promise: nil) }
            }
    }

    /// Runs `body` on the server's thread, in the same serial order as delegate calls.
    ///
    /// For work that must not race the delegate: a reload after SIGHUP, expiry sweeps on a timer.
    public func perform(_ body: @escaping @Sendable () -> Void) {
        group.next().execute(body)
    }

    /// Closes the listener and every connection, then ends the server's thread; waits for all of it.
    @available(*, noasync, message: "use the async stop() from async code")
    public func stop() {
        closeAll()
        try? group.syncShutdownGracefully()
    }

    /// Closes the listener and every connection, then ends the server's thread; waits for all of it.
    public func stop() async {
        closeAll()
        try? await group.shutdownGracefully()
    }

    private func closeAll() {
        let channels = state.withLock { state -> [any Channel] in
            state.stopped = true
            var all = Array(state.children.values)
            if let listener = state.listener { all.append(listener) }
            state.listener = nil
            state.children = [:]
            return all
        }
        for channel in channels { channel.close(promise: nil) }
    }

    private func initialize(_ channel: any Channel) -> EventLoopFuture<Void> {
        let key = ObjectIdentifier(channel)
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.children[key] = channel
            return true
        }
        guard accepted else { return channel.close() }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.children.removeValue(forKey: key) }
        }
        let note = UpgradeNote()
        // A connection that neither upgrades nor finishes a request in time (a stalled or idle HTTP client)
        // must not hold a socket forever; WebSockets have their own keepalive from then on.
        let stall = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.idleTimeout)) {
            if !note.upgraded { channel.close(promise: nil) }
        }
        channel.closeFuture.whenComplete { _ in stall.cancel() }
        let httpHandler = HTTPRequestHandler(server: self, note: note)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxMessageSize,
            // ServerWebSocketHandler answers protocol errors itself, with exactly one close frame.
            automaticErrorHandling: false,
            shouldUpgrade: { [self] channel, head in
                channel.eventLoop.makeSucceededFuture(self.shouldUpgrade(channel: channel, head: head, note: note))
            },
            upgradePipelineHandler: { [self] channel, head in
                note.upgraded = true
                return channel.eventLoop.makeCompletedFuture {
                    try self.addWebSocketHandlers(channel: channel, head: head)
                }
            }
        )
        let boundHandler = NIOLoopBound(httpHandler, eventLoop: channel.eventLoop)
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(boundHandler.value, promise: nil)
                }),
                withErrorHandling: true
            )
            try sync.addHandler(boundHandler.value)
        }
    }

    /// Runs on the channel's loop, which is the server's only loop: the delegate call is serial.
    private func shouldUpgrade(channel: any Channel, head: HTTPRequestHead, note: UpgradeNote) -> HTTPHeaders? {
        guard let path = NodePath(rawValue: requestPath(head.uri)) else { return nil }
        let remote = channel.remoteAddress?.description ?? "unknown"
        guard delegate.webSocketRequested(path: path, token: head.headers.bearerToken, remote: remote) else {
            note.refused = true
            return nil
        }
        return HTTPHeaders()
    }

    private func addWebSocketHandlers(channel: any Channel, head: HTTPRequestHead) throws {
        // shouldUpgrade accepted only known paths.
        let path = NodePath(rawValue: requestPath(head.uri)) ?? .client
        let id = state.withLock { state -> UInt64 in
            defer { state.nextConnectionID += 1 }
            return state.nextConnectionID
        }
        let connection = PortalConnection(
            id: id, path: path, remote: channel.remoteAddress?.description ?? "unknown", channel: channel
        )
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0,
                maxAccumulatedFrameCount: 4096,
                maxAccumulatedFrameSize: configuration.maxMessageSize
            )
        )
        let handler = ServerWebSocketHandler(server: self, connection: connection, token: head.headers.bearerToken)
        try sync.addHandler(handler)
    }
}
