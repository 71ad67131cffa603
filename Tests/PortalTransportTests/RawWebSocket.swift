import Locks
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A bare WebSocket peer for tests: sends any frame it is given, answers nothing (not even pings), records all.
final class RawWebSocket: Sendable {
    let frames = Locked<[WebSocketFrame]>([])
    let closed = Locked(false)
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: Locked<(any Channel)?> = Locked(nil)

    /// Connects and upgrades at `path` with `token`; returns once upgraded.
    func connect(port: Int, path: String, token: String) async throws {
        let upgraded = group.next().makePromise(of: Void.self)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "127.0.0.1:\(port)")
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { [self] channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: 1 << 21, automaticErrorHandling: false,
                    upgradePipelineHandler: { [self] channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(Recorder(socket: self))
                            upgraded.succeed()
                        }
                    }
                )
                let sender = NIOLoopBound(RequestSender(head: head), eventLoop: channel.eventLoop)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(sender.value, promise: nil)
                        })
                    )
                    try channel.pipeline.syncOperations.addHandler(sender.value)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        self.channel.withLock { $0 = channel }
        channel.closeFuture.whenComplete { [self] _ in
            closed.withLock { $0 = true }
            upgraded.fail(ChannelError.ioOnClosedChannel)
        }
        try await upgraded.futureResult.get()
    }

    /// Writes one frame as given, masked as a client must.
    func write(opcode: WebSocketOpcode, fin: Bool = true, _ text: String) {
        guard let channel = channel.withLock({ $0 }) else { return }
        let data = channel.allocator.buffer(string: text)
        let frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: data)
        channel.writeAndFlush(frame, promise: nil)
    }

    /// Writes one frame with a binary payload, e.g. a close code.
    func write(opcode: WebSocketOpcode, bytes: [UInt8]) {
        guard let channel = channel.withLock({ $0 }) else { return }
        let data = channel.allocator.buffer(bytes: bytes)
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
        channel.writeAndFlush(frame, promise: nil)
    }

    func shutdown() async {
        channel.withLock { $0 }?.close(promise: nil)
        try? await group.shutdownGracefully()
    }

    private final class RequestSender: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        let head: HTTPRequestHead
        init(head: HTTPRequestHead) { self.head = head }
        func channelActive(context: ChannelHandlerContext) {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.close(promise: nil)
        }
    }

    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        let socket: RawWebSocket
        init(socket: RawWebSocket) { self.socket = socket }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            socket.frames.withLock { $0.append(frame) }
        }
    }
}

extension WebSocketFrame {
    /// The close code of a close frame, nil for other frames.
    var closeCode: UInt16? {
        guard opcode == .connectionClose else { return nil }
        var data = unmaskedData
        return data.readInteger(as: UInt16.self)
    }
}
