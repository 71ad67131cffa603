import NIOCore
import NIOHTTP1

/// What the upgrader decided about this connection's WebSocket request, for the HTTP handler to answer.
///
/// Touched only on the connection's event loop (the upgrader's `shouldUpgrade` and the handler both run there).
final class UpgradeNote: @unchecked Sendable {
    var refused = false
    var upgraded = false
}

/// Answers every request that is not upgraded: the admin API, refused upgrades (401), unknown paths (404).
///
/// Each response closes the connection: admin calls are one-shot and a refused node must reconnect anyway.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: PortalServer
    private let note: UpgradeNote
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var answered = false
    private var requestEnded = false
    private var closeAtRequestEnd = false

    init(server: PortalServer, note: UpgradeNote) {
        self.server = server
        self.note = note
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .end = part { requestEnded = true }
        guard !answered else {
            // An early answer (413) waits for the rest of the body, discarded: closing with unread bytes
            // would reset the connection and the client might lose the answer.
            if requestEnded && closeAtRequestEnd { context.close(promise: nil) }
            return
        }
        switch part {
        case .head(let head):
            self.head = head
            self.body = context.channel.allocator.buffer(capacity: 0)
            let length = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            if length > server.configuration.maxAdminBodySize {
                respond(context: context, status: .payloadTooLarge, body: errorBody("request body too large"))
            }
        case .body(var chunk):
            self.body?.writeBuffer(&chunk)
            if (self.body?.readableBytes ?? 0) > server.configuration.maxAdminBodySize {
                respond(context: context, status: .payloadTooLarge, body: errorBody("request body too large"))
            }
        case .end:
            guard let head else { return }
            route(context: context, head: head)
        }
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let path = requestPath(head.uri)
        if NodePath(rawValue: path) != nil {
            if note.refused {
                respond(context: context, status: .unauthorized, body: errorBody("unauthorized"))
            } else if head.headers.first(name: "upgrade")?.lowercased() == "websocket" {
                respond(context: context, status: .badRequest, body: errorBody("malformed WebSocket upgrade"))
            } else {
                respond(context: context, status: .upgradeRequired, body: errorBody("WebSocket upgrade required"),
                        extraHeaders: [("Upgrade", "websocket")])
            }
            return
        }
        let prefix = "/admin/"
        guard path.hasPrefix(prefix),
              let endpoint = AdminRequest.Endpoint(rawValue: String(path.dropFirst(prefix.count)))
        else {
            respond(context: context, status: .notFound, body: errorBody("not found"))
            return
        }
        guard head.method.rawValue == endpoint.method else {
            respond(context: context, status: .methodNotAllowed, body: errorBody("use \(endpoint.method)"),
                    extraHeaders: [("Allow", endpoint.method)])
            return
        }
        let text = body.map { String(buffer: $0) } ?? ""
        let request = AdminRequest(
            endpoint: endpoint, token: head.headers.bearerToken, body: text,
            remote: context.channel.remoteAddress?.description ?? "unknown"
        )
        let answer = server.delegate.admin(request)
        respond(context: context, status: HTTPResponseStatus(statusCode: answer.status), body: answer.body)
    }

    private func respond(
        context: ChannelHandlerContext, status: HTTPResponseStatus, body: String,
        extraHeaders: [(String, String)] = []
    ) {
        answered = true
        let buffer = context.channel.allocator.buffer(string: body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "Connection", value: "close")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        let version = head?.version ?? .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        guard requestEnded else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            closeAtRequestEnd = true
            return
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
