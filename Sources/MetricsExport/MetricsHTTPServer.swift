import NIOCore
import NIOHTTP1
import NIOPosix

/// Why the metrics endpoint could not be served.
public enum MetricsHTTPServerError: Error, CustomStringConvertible {
    /// Binding the listen address failed (in use, not an address of this host, no permission).
    case bindFailed(MetricsListenAddress, String)

    public var description: String {
        switch self {
        case .bindFailed(let address, let reason): return "cannot listen for metrics on \(address): \(reason)"
        }
    }
}

/// Serves `GET /metrics` in the Prometheus text format on its own thread.
///
/// A scrape asks `render` for the text; `render` may block (it waits for the tunnel's loop thread to take a
/// snapshot), so it runs on a helper thread, never on the HTTP event loop. `?peers=N` adds the byte counters
/// of the N busiest peers (at most ``maximumPeerSeries``). Every response closes its connection: a scrape is
/// one request, and a connection silent for 10 s is closed.
public final class MetricsHTTPServer: Sendable {
    /// The most per-peer series pairs one scrape can ask for.
    public static let maximumPeerSeries = 1000

    /// Renders the exposition text including the busiest `peers` peers, or nil when the tunnel is gone.
    public typealias Render = @Sendable (_ peers: Int) -> String?

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let pool = NIOThreadPool(numberOfThreads: 1)
    private let channel: any Channel

    /// The address actually bound (the port filled in when 0 was asked for).
    public let boundAddress: MetricsListenAddress

    /// Binds `address` and starts serving; a connection silent for `idleTimeout` is closed.
    public init(
        address: MetricsListenAddress, idleTimeout: TimeAmount = .seconds(10), render: @escaping Render
    ) throws(MetricsHTTPServerError) {
        pool.start()
        let pool = self.pool
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // A connection that says nothing is closed: idle sockets cannot pile up.
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            MetricsRequestHandler(pool: pool, render: render))
                    }
                }
                .bind(host: address.host, port: address.port)
                .wait()
        } catch {
            try? group.syncShutdownGracefully()
            try? pool.syncShutdownGracefully()
            throw .bindFailed(address, "\(error)")
        }
        boundAddress = MetricsListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
    }

    /// Stops listening and ends the server's threads.
    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
        try? pool.syncShutdownGracefully()
    }
}

/// One connection: answers `GET /metrics` (and `HEAD`), 404 elsewhere, 405 for other methods.
final class MetricsRequestHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let pool: NIOThreadPool
    let render: MetricsHTTPServer.Render

    init(pool: NIOThreadPool, render: @escaping MetricsHTTPServer.Render) {
        self.pool = pool
        self.render = render
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let (path, query) = Self.split(head.uri)
        guard path == "/metrics" else {
            return respond(context, .notFound, "not found: metrics are at /metrics\n")
        }
        guard head.method == .GET || head.method == .HEAD else {
            return respond(context, .methodNotAllowed, "only GET and HEAD\n")
        }
        let peers = Self.peerCount(query)
        let render = self.render
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let isHead = head.method == .HEAD
        pool.runIfActive(eventLoop: context.eventLoop) { render(peers) }.whenComplete { result in
            switch result {
            case .success(.some(let text)):
                handler.value.respond(loopContext.value, .ok, isHead ? nil : text, length: text.utf8.count)
            case .success(.none), .failure:
                handler.value.respond(loopContext.value, .serviceUnavailable, "the interface is stopping\n")
            }
        }
    }

    static func split(_ uri: String) -> (Substring, Substring) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri[...], "") }
        return (uri[..<mark], uri[uri.index(after: mark)...])
    }

    /// `peers=N` from the query, clamped to 0...maximumPeerSeries; anything else counts as 0.
    static func peerCount(_ query: Substring) -> Int {
        for pair in query.split(separator: "&") where pair.hasPrefix("peers=") {
            let value = Int(pair.dropFirst("peers=".count)) ?? 0
            return min(max(value, 0), MetricsHTTPServer.maximumPeerSeries)
        }
        return 0
    }

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ body: String?,
                         length: Int? = nil) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8"
                                                               : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(length ?? body?.utf8.count ?? 0))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        if let body {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
                          promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
