import NIOCore
import NIOWebSocket

/// One node's open WebSocket, as the delegate sees it.
///
/// A handle: it may be kept, compared by `id` and used from any thread. Sending after the connection closed
/// does nothing.
public final class PortalConnection: Sendable, Hashable, CustomStringConvertible {
    /// Unique within one `PortalServer`, never reused.
    public let id: UInt64
    /// The endpoint the node joined.
    public let path: NodePath
    /// The peer's address, for logs.
    public let remote: String

    let channel: any Channel

    init(id: UInt64, path: NodePath, remote: String, channel: any Channel) {
        self.id = id
        self.path = path
        self.remote = remote
        self.channel = channel
    }

    /// Queues one text message; returns false when the connection is already closed.
    @discardableResult
    public func send(_ text: String) -> Bool {
        guard channel.isActive else { return false }
        let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
        return true
    }

    /// Sends a normal close frame and closes; `closed(_:)` follows on the delegate.
    public func close() {
        let channel = self.channel
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
    }

    public static func == (lhs: PortalConnection, rhs: PortalConnection) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
    public var description: String { "connection \(id) \(path.rawValue) from \(remote)" }
}
