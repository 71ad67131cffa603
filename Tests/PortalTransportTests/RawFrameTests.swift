import Glibc
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
        #expect(await eventually(timeout: .seconds(10)) { socket.closed.withLock { $0 } })
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

@Suite("Portal HTTP hygiene")
struct HTTPHygieneTests {
    @Test func silentTCPConnectionIsClosedAfterTheIdleTimeout() async throws {
        let server = try await startServer(
            delegate: EchoDelegate(), pingInterval: .seconds(10), idleTimeout: .milliseconds(200)
        )
        let port = try #require(server.port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        // 0 = orderly close by the server; -1 with EAGAIN would be the 20 s receive timeout. A signal meant for
        // another test's child process can interrupt the wait (EINTR): wait again.
        var received = recv(fd, &byte, 1, 0)
        var code = errno
        while received < 0 && code == EINTR {
            received = recv(fd, &byte, 1, 0)
            code = errno
        }
        #expect(received == 0, "recv returned \(received), errno \(code)")
        await server.stop()
    }
}
