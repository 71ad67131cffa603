import NIOWebSocket
import PortalServer
import Testing

@Suite("Portal frame handling")
struct RawFrameTests {
    @Test func fragmentedTextIsDeliveredAsOneMessage() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let socket = RawWebSocket()
        try await socket.connect(port: try #require(server.port), path: "/client", token: "good")
        socket.write(opcode: .text, fin: false, "hel")
        socket.write(opcode: .continuation, fin: false, "lo ")
        socket.write(opcode: .continuation, fin: true, "world")
        #expect(await eventually { delegate.record.withLock { $0.received } == ["hello world"] })
        await socket.shutdown()
        await server.stop()
    }

    @Test func binaryFrameClosesWith1003() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let socket = RawWebSocket()
        try await socket.connect(port: try #require(server.port), path: "/gateway", token: "good")
        socket.write(opcode: .binary, bytes: [1, 2])
        #expect(await eventually { socket.closed.withLock { $0 } })
        #expect(socket.frames.withLock { $0.compactMap(\.closeCode) } == [1003])
        #expect(delegate.record.withLock { $0.received.isEmpty })
        #expect(await eventually { delegate.record.withLock { $0.closed.count } == 1 })
        await socket.shutdown()
        await server.stop()
    }

    @Test func pingIsAnsweredWithPongCarryingItsData() async throws {
        let server = try await startServer(delegate: EchoDelegate())
        let socket = RawWebSocket()
        try await socket.connect(port: try #require(server.port), path: "/gateway", token: "good")
        socket.write(opcode: .ping, "are-you-there")
        #expect(await eventually {
            socket.frames.withLock { $0.contains { $0.opcode == .pong && String(buffer: $0.data) == "are-you-there" } }
        })
        await socket.shutdown()
        await server.stop()
    }

    @Test func nodeThatNeverAnswersPingsIsClosedAfterTheIdleTimeout() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(
            delegate: delegate, pingInterval: .milliseconds(50), idleTimeout: .milliseconds(300)
        )
        let socket = RawWebSocket()
        try await socket.connect(port: try #require(server.port), path: "/gateway", token: "good")
        #expect(await eventually(timeout: .seconds(3)) { socket.closed.withLock { $0 } })
        let frames = socket.frames.withLock { $0 }
        #expect(frames.contains { $0.opcode == .ping })
        #expect(frames.compactMap(\.closeCode) == [1001])
        #expect(await eventually { delegate.record.withLock { $0.closed.count } == 1 })
        await socket.shutdown()
        await server.stop()
    }

    @Test func closeFrameIsEchoedAndTheConnectionEnds() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let socket = RawWebSocket()
        try await socket.connect(port: try #require(server.port), path: "/gateway", token: "good")
        socket.write(opcode: .connectionClose, bytes: [0x03, 0xE8])
        #expect(await eventually { socket.closed.withLock { $0 } })
        #expect(socket.frames.withLock { $0.compactMap(\.closeCode) } == [1000])
        #expect(await eventually { delegate.record.withLock { $0.closed.count } == 1 })
        await socket.shutdown()
        await server.stop()
    }
}
