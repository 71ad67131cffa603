import NIOCore
import NIOWebSocket

/// One node's upgraded connection: text to the delegate, pings answered, keepalive, and every misuse closes.
final class ServerWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let server: PortalServer
    private let connection: PortalConnection
    private let token: String?
    private var lastHeard = NIODeadline.now()
    private var keepalive: RepeatedTask?
    private var closeSent = false
    private var openNotified = false

    init(server: PortalServer, connection: PortalConnection, token: String?) {
        self.server = server
        self.connection = connection
        self.token = token
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastHeard = .now()
        let interval = TimeAmount(server.configuration.pingInterval)
        let timeout = TimeAmount(server.configuration.idleTimeout)
        let loopContext = context.loopBound
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        keepalive = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            handler.value.keepaliveTick(context: loopContext.value, timeout: timeout)
        }
        openNotified = true
        server.delegate.opened(connection, path: connection.path, token: token)
    }

    private func keepaliveTick(context: ChannelHandlerContext, timeout: TimeAmount) {
        if NIODeadline.now() - lastHeard > timeout {
            sendClose(context: context, code: .goingAway)
            return
        }
        let frame = WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastHeard = .now()
        switch frame.opcode {
        case .text:
            let text = String(buffer: frame.unmaskedData)
            server.delegate.received(text, on: connection)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            // Echo the peer's code as RFC 6455 asks, then close the TCP side.
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            sendClose(context: context, code: code)
        default:
            // Binary or anything else is outside the contract: text JSON only.
            sendClose(context: context, code: .unacceptableData)
        }
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closeSent else { return }
        closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Oversize frames (decoder) or messages (aggregator) and protocol violations all end the connection.
        let code: WebSocketErrorCode
        if case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge = error {
            code = .messageTooLarge
        } else if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            code = .messageTooLarge
        } else {
            code = .protocolError
        }
        if closeSent {
            context.close(promise: nil)
        } else {
            sendClose(context: context, code: code)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        keepalive?.cancel()
        keepalive = nil
        if openNotified {
            openNotified = false
            server.delegate.closed(connection)
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        keepalive?.cancel()
    }
}
