import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 request to the portal's admin API, as `fzctl admin` makes it.
public enum AdminClient {
    /// The status and body text of the portal's answer.
    public struct Response: Sendable, Equatable {
        public let status: Int
        public let body: String

        public init(status: Int, body: String) {
            self.status = status
            self.body = body
        }
    }

    /// Sends `method path` to the `http://HOST:PORT` in `url` with the bearer token; blocks until answered.
    @available(*, noasync, message: "use the async request from async code")
    public static func request(
        method: String, url: String, path: String, token: String, body: String? = nil,
        timeout: Duration = .seconds(10)
    ) throws -> Response {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        return try makeRequest(
            group: group, method: method, url: url, path: path, token: token, body: body, timeout: timeout
        ).wait()
    }

    /// Sends `method path` to the `http://HOST:PORT` in `url` with the bearer token.
    public static func request(
        method: String, url: String, path: String, token: String, body: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> Response {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let result: Result<Response, any Error>
        do {
            result = .success(
                try await makeRequest(
                    group: group, method: method, url: url, path: path, token: token, body: body, timeout: timeout
                ).get()
            )
        } catch {
            result = .failure(error)
        }
        try? await group.shutdownGracefully()
        return try result.get()
    }

    private static func makeRequest(
        group: MultiThreadedEventLoopGroup, method: String, url: String, path: String, token: String,
        body: String?, timeout: Duration
    ) -> EventLoopFuture<Response> {
        let loop = group.next()
        let endpoint: PortalEndpoint
        do {
            endpoint = try PortalEndpoint(parsing: url, scheme: .http)
        } catch {
            return loop.makeFailedFuture(error)
        }
        let promise = loop.makePromise(of: Response.self)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.address)
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Connection", value: "close")
        let bodyText = body ?? ""
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        headers.add(name: "Content-Length", value: String(bodyText.utf8.count))
        let base = endpoint.path == "/" ? "" : endpoint.path
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method), uri: base + path, headers: headers
        )
        let address = endpoint.address
        let deadline = loop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(PortalClientError.timedOut(address: address))
        }
        ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        AdminResponseHandler(head: head, body: bodyText, address: address, promise: promise)
                    )
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                case .failure(let error):
                    promise.fail(PortalClientError.unreachable(address: address, reason: describeConnectError(error)))
                }
            }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        return promise.futureResult
    }
}

/// Sends the one request when connected and collects the one response.
private final class AdminResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: String
    private let address: String
    private let promise: EventLoopPromise<AdminClient.Response>
    private var status: Int?
    private var collected: ByteBuffer?

    init(head: HTTPRequestHead, body: String, address: String, promise: EventLoopPromise<AdminClient.Response>) {
        self.head = head
        self.body = body
        self.address = address
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
                          promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            status = Int(response.status.code)
            collected = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            collected?.writeBuffer(&chunk)
        case .end:
            if let status {
                promise.succeed(AdminClient.Response(status: status, body: collected.map { String(buffer: $0) } ?? ""))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(PortalClientError.noResponse(address: address))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(PortalClientError.noResponse(address: address))
        context.close(promise: nil)
    }
}
