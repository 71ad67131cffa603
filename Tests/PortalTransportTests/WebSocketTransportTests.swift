import PortalClient
import PortalServer
import Testing

@Suite("Portal WebSocket transport")
struct WebSocketTransportTests {
    @Test func rightTokenUpgradesAndTextFlowsBothWays() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let port = try #require(server.port)
        let log = ClientLog()
        let client = makeClient(port: port, path: "/gateway?v=1", log: log)
        client.start()
        #expect(await eventually { log.snapshot().connected == 1 })
        #expect(client.send("hello"))
        #expect(await eventually { log.snapshot().received == ["echo:hello"] })
        let connection = try #require(delegate.record.withLock { $0.opened.first })
        #expect(connection.path == .gateway)
        #expect(delegate.record.withLock { $0.requests.first?.token } == "good")
        #expect(connection.send("from-portal"))
        #expect(await eventually { log.snapshot().received.last == "from-portal" })
        #expect(delegate.record.withLock { $0.received } == ["hello"])
        await client.stop()
        #expect(await eventually { delegate.record.withLock { $0.closed } == [connection.id] })
        await server.stop()
    }

    @Test func wrongTokenIsRefusedWith401OnceAndNeverRetried() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let log = ClientLog()
        let client = makeClient(port: try #require(server.port), path: "/client", token: "bad", log: log)
        client.start()
        #expect(await eventually { log.snapshot().refused == [401] })
        try await Task.sleep(for: .milliseconds(500))
        let snapshot = log.snapshot()
        #expect(snapshot.connected == 0)
        #expect(snapshot.retries.isEmpty)
        #expect(delegate.record.withLock { $0.requests.count } == 1)
        #expect(delegate.record.withLock { $0.opened.isEmpty })
        #expect(!client.send("nope"))
        await client.stop()
        await server.stop()
    }

    @Test func missingTokenReachesTheDelegateAsNilAndIsRefused() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let log = ClientLog()
        let client = makeClient(port: try #require(server.port), token: "", log: log)
        client.start()
        #expect(await eventually { log.snapshot().refused == [401] })
        let request = try #require(delegate.record.withLock { $0.requests.first })
        #expect(request.token == nil)
        await client.stop()
        await server.stop()
    }

    @Test func unknownPathIs404AndRetriedAsAFailure() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let log = ClientLog()
        let client = makeClient(port: try #require(server.port), path: "/nowhere", log: log)
        client.start()
        #expect(await eventually { log.snapshot().retries.count >= 2 })
        #expect(log.snapshot().retries.first?.reason.contains("HTTP 404") == true)
        #expect(log.snapshot().refused.isEmpty)
        // The token is never asked about for a path that is not a node endpoint.
        #expect(delegate.record.withLock { $0.requests.isEmpty })
        await client.stop()
        await server.stop()
    }

    @Test func clientReconnectsWithGrowingBoundedBackoffWhenThePortalReturns() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let port = try #require(server.port)
        let log = ClientLog()
        let client = makeClient(port: port, log: log)
        client.start()
        #expect(await eventually { log.snapshot().connected == 1 })
        await server.stop()
        #expect(await eventually { log.snapshot().disconnected.count == 1 })
        #expect(await eventually(timeout: .seconds(5)) { log.snapshot().retries.count >= 5 })
        let restarted = try await startServer(delegate: delegate, port: port)
        #expect(await eventually(timeout: .seconds(5)) { log.snapshot().connected == 2 })
        #expect(client.send("again"))
        #expect(await eventually { log.snapshot().received.contains("echo:again") })
        let delays = log.snapshot().retries.map(\.delay)
        // Doubling with jitter in [0.8, 1.0] still grows strictly until the cap.
        #expect(delays[1] > delays[0] && delays[2] > delays[1])
        #expect(delays.allSatisfy { $0 <= .milliseconds(400) })
        #expect(delays.contains { $0 > .milliseconds(300) })
        await client.stop()
        await restarted.stop()
    }

    @Test func oversizeMessageClosesTheConnection() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let log = ClientLog()
        let client = makeClient(port: try #require(server.port), log: log, initialBackoff: .seconds(5),
                                maximumBackoff: .seconds(5))
        client.start()
        #expect(await eventually { log.snapshot().connected == 1 })
        #expect(client.send(String(repeating: "x", count: (1 << 20) + 1)))
        // The close frame (1009) may be lost to a reset while the client is still sending; the drop is not.
        #expect(await eventually { log.snapshot().disconnected.count == 1 })
        #expect(delegate.record.withLock { $0.received.isEmpty })
        #expect(await eventually { delegate.record.withLock { $0.closed.count } == 1 })
        await client.stop()
        await server.stop()
    }

    @Test func messageAtTheCapIsDelivered() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let log = ClientLog()
        let client = makeClient(port: try #require(server.port), log: log)
        client.start()
        #expect(await eventually { log.snapshot().connected == 1 })
        let big = String(repeating: "y", count: (1 << 20) - 5)
        #expect(client.send(big))
        #expect(await eventually { log.snapshot().received.first?.count == (1 << 20) })
        await client.stop()
        await server.stop()
    }

    @Test func fiftyConcurrentNodesAreAllServedSerially() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let port = try #require(server.port)
        let logs = (0..<50).map { _ in ClientLog() }
        let clients = logs.enumerated().map { index, log in
            makeClient(port: port, path: index.isMultiple(of: 2) ? "/gateway" : "/client", log: log)
        }
        for client in clients { client.start() }
        #expect(await eventually(timeout: .seconds(10)) { logs.allSatisfy { $0.snapshot().connected == 1 } })
        for (index, client) in clients.enumerated() { #expect(client.send("n\(index)")) }
        #expect(await eventually(timeout: .seconds(10)) {
            logs.enumerated().allSatisfy { index, log in log.snapshot().received == ["echo:n\(index)"] }
        })
        #expect(delegate.record.withLock { $0.opened.count } == 50)
        #expect(Set(delegate.record.withLock { $0.opened.map(\.id) }).count == 50)
        #expect(!delegate.record.withLock { $0.overlapped })
        for client in clients { await client.stop() }
        #expect(await eventually { delegate.record.withLock { $0.closed.count } == 50 })
        await server.stop()
    }

    @Test(.disabled("""
        flaky under CI load: in one of two fresh-clone CI runs the client never reported `connected` within         15 s while the other suites ran; disabled until the idle timer is separated from the upgrade and the         cause is found (the reconnect and keepalive tests still run)
        """))
    func clientDropsASilentPortalAfterItsIdleTimeout() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let log = ClientLog()
        let client = makeClient(
            port: try #require(server.port), log: log, initialBackoff: .seconds(5), maximumBackoff: .seconds(5),
            pingInterval: .seconds(30), idleTimeout: .seconds(1)
        )
        client.start()
        // Generous waits: other suites load the machine, and the upgrade must finish inside the idle timeout.
        #expect(await eventually(timeout: .seconds(15)) { log.snapshot().connected == 1 })
        #expect(await eventually(timeout: .seconds(10)) { log.snapshot().disconnected.count == 1 })
        #expect(log.snapshot().disconnected.first?.contains("no frame") == true)
        await client.stop()
        await server.stop()
    }

    @Test func serverPingsKeepAnAnsweringNodeConnected() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(
            delegate: delegate, pingInterval: .milliseconds(100), idleTimeout: .seconds(1)
        )
        let log = ClientLog()
        // The client would call the portal dead after 1 s without the server's pings (every 100 ms).
        let client = makeClient(
            port: try #require(server.port), log: log, pingInterval: .seconds(30), idleTimeout: .seconds(1)
        )
        client.start()
        #expect(await eventually(timeout: .seconds(15)) { log.snapshot().connected == 1 })
        try await Task.sleep(for: .milliseconds(3000))
        #expect(log.snapshot().disconnected.isEmpty)
        #expect(client.isConnected)
        await client.stop()
        await server.stop()
    }

    @Test func portalCloseEndsTheNodesConnectionWithNormalClosure() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(
            delegate: delegate, pingInterval: .milliseconds(100), idleTimeout: .seconds(1)
        )
        let log = ClientLog()
        let client = makeClient(port: try #require(server.port), log: log)
        client.start()
        #expect(await eventually { log.snapshot().connected == 1 })
        let connection = try #require(delegate.record.withLock { $0.opened.first })
        connection.close()
        #expect(await eventually { log.snapshot().disconnected.count == 1 })
        #expect(log.snapshot().disconnected.first?.contains("1000") == true)
        await client.stop()
        await server.stop()
    }
}

@Suite("Portal transport over IPv6")
struct IPv6TransportTests {
    @Test func serverOnIPv6LoopbackServesANodeAndAdmin() async throws {
        let delegate = EchoDelegate()
        let server = PortalServer(
            configuration: PortalServerConfiguration(host: "::1", port: 0), delegate: delegate
        )
        try await server.start()
        let port = try #require(server.port)
        let log = ClientLog()
        let client = try PortalClient(url: "ws://[::1]:\(port)/client", token: "good", events: log.events)
        client.start()
        #expect(await eventually { log.snapshot().connected == 1 })
        #expect(client.send("six"))
        #expect(await eventually { log.snapshot().received == ["echo:six"] })
        let list = try await AdminClient.request(
            method: "GET", url: "http://[::1]:\(port)", path: "/admin/list", token: "admin"
        )
        #expect(list.status == 200)
        await client.stop()
        await server.stop()
    }
}
