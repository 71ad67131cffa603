import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Sends the upgrade request and, when the portal answers without upgrading, records why and closes.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let attempt: AttemptRecord

    init(head: HTTPRequestHead, attempt: AttemptRecord) {
        self.head = head
        self.attempt = attempt
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let response) = unwrapInboundIn(data) else { return }
        let status = Int(response.status.code)
        if status == 401 || status == 403 {
            attempt.refusedStatus = status
        } else {
            attempt.failure = "the portal answered HTTP \(status) instead of a WebSocket upgrade"
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if attempt.failure == nil { attempt.failure = "upgrade failed: \(error)" }
        context.close(promise: nil)
    }
}

/// The open WebSocket: text to the owner, pings answered, a ping when idle, dead-portal detection.
final class ClientWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let client: PortalClient
    private let attempt: AttemptRecord
    private var lastHeard = NIODeadline.now()
    private var keepalive: RepeatedTask?
    private var closeSent = false

    init(client: PortalClient, attempt: AttemptRecord) {
        self.client = client
        self.attempt = attempt
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastHeard = .now()
        let interval = TimeAmount(client.configuration.pingInterval)
        let timeout = TimeAmount(client.configuration.idleTimeout)
        let idleSeconds = client.configuration.idleTimeout.seconds
        let loopContext = context.loopBound
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        // Ticks at a fraction of both periods so a dead portal is noticed close to the idle timeout.
        let tick = TimeAmount.nanoseconds(max(1_000_000, min(interval.nanoseconds, timeout.nanoseconds) / 3))
        keepalive = context.eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            handler.value.tick(context: loopContext.value, interval: interval, timeout: timeout, idle: idleSeconds)
        }
        // The HTTP upgrade handler is still in the pipeline and fails writes until the upgrade finishes, which
        // happens in this same loop turn: tell the owner (who sends `join` at once) on the next one.
        let channel = context.channel
        let client = self.client
        let attempt = self.attempt
        context.eventLoop.execute {
            guard channel.isActive else { return }
            client.didOpen(channel: channel, attempt: attempt)
        }
    }

    private var lastPing = NIODeadline.now()

    private func tick(context: ChannelHandlerContext, interval: TimeAmount, timeout: TimeAmount, idle: Double) {
        let now = NIODeadline.now()
        if now - lastHeard > timeout {
            attempt.failure = "no frame from the portal for \(idle) s"
            context.close(promise: nil)
            return
        }
        if now - lastHeard >= interval && now - lastPing >= interval {
            lastPing = now
            let ping = WebSocketFrame(
                fin: true, opcode: .ping, maskKey: .random(), data: context.channel.allocator.buffer(capacity: 0)
            )
            context.writeAndFlush(wrapOutboundOut(ping), promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastHeard = .now()
        switch frame.opcode {
        case .text:
            client.didReceive(String(buffer: frame.unmaskedData))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            attempt.failure = "the portal closed the connection (code \(UInt16(webSocketErrorCode: code)))"
            sendClose(context: context, code: code)
        default:
            attempt.failure = "the portal sent a non-text frame"
            sendClose(context: context, code: .unacceptableData)
        }
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closeSent else { return }
        closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if attempt.failure == nil { attempt.failure = "WebSocket error: \(error)" }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        keepalive?.cancel()
        keepalive = nil
        context.fireChannelInactive()
    }
}
