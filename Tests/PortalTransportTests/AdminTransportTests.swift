import PortalClient
import PortalServer
import Testing

@Suite("Portal admin API transport")
struct AdminTransportTests {
    @Test func adminEndpointsReachTheDelegateWithTokenAndBody() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let url = "http://127.0.0.1:\(try #require(server.port))"
        let list = try await AdminClient.request(method: "GET", url: url, path: "/admin/list", token: "admin")
        #expect(list == AdminClient.Response(status: 200, body: "{\"nodes\":[]}"))
        let reload = try await AdminClient.request(method: "POST", url: url, path: "/admin/reload", token: "admin")
        #expect(reload.status == 200)
        let body = "{\"client\":\"alice\",\"resource\":\"web\"}"
        let reject = try await AdminClient.request(
            method: "POST", url: url, path: "/admin/reject-access", token: "admin", body: body
        )
        #expect(reject == AdminClient.Response(status: 200, body: body))
        let requests = delegate.record.withLock { $0.admin }
        #expect(requests.map(\.endpoint) == [.list, .reload, .rejectAccess])
        #expect(requests.last?.body == body)
        await server.stop()
    }

    @Test func wrongAdminTokenGetsTheDelegates401() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let url = "http://127.0.0.1:\(try #require(server.port))"
        let answer = try await AdminClient.request(method: "GET", url: url, path: "/admin/list", token: "nope")
        #expect(answer.status == 401)
        #expect(answer.body.contains("bad admin token"))
        #expect(delegate.record.withLock { $0.admin.first?.token } == "nope")
        await server.stop()
    }

    @Test func bodyOverTheCapGets413WithoutReachingTheDelegate() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let url = "http://127.0.0.1:\(try #require(server.port))"
        let atCap = String(repeating: "a", count: 64 << 10)
        let accepted = try await AdminClient.request(
            method: "POST", url: url, path: "/admin/reject-access", token: "admin", body: atCap
        )
        #expect(accepted.status == 200)
        let over = try await AdminClient.request(
            method: "POST", url: url, path: "/admin/reject-access", token: "admin", body: atCap + "a"
        )
        #expect(over.status == 413)
        #expect(delegate.record.withLock { $0.admin.count } == 1)
        await server.stop()
    }

    @Test func unknownPathsAndWrongMethodsAreAnsweredByTheServer() async throws {
        let delegate = EchoDelegate()
        let server = try await startServer(delegate: delegate)
        let url = "http://127.0.0.1:\(try #require(server.port))"
        #expect(try await AdminClient.request(method: "GET", url: url, path: "/nope", token: "admin").status == 404)
        #expect(try await AdminClient.request(method: "GET", url: url, path: "/admin/x", token: "admin").status == 404)
        let wrongMethod = try await AdminClient.request(
            method: "GET", url: url, path: "/admin/reject-access", token: "admin"
        )
        #expect(wrongMethod.status == 405)
        // A plain GET on a node endpoint is not an upgrade.
        #expect(try await AdminClient.request(method: "GET", url: url, path: "/gateway", token: "good").status == 426)
        #expect(delegate.record.withLock { $0.admin.isEmpty && $0.requests.isEmpty })
        await server.stop()
    }

    @Test func unreachablePortalIsReportedWithItsAddress() async throws {
        // Bind and release a port so nothing listens there.
        let server = try await startServer(delegate: EchoDelegate())
        let port = try #require(server.port)
        await server.stop()
        await #expect(throws: PortalClientError.self) {
            try await AdminClient.request(method: "GET", url: "http://127.0.0.1:\(port)", path: "/admin/list",
                                          token: "admin")
        }
        do {
            _ = try await AdminClient.request(
                method: "GET", url: "http://127.0.0.1:\(port)", path: "/admin/list", token: "admin"
            )
        } catch let error as PortalClientError {
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
    }

    @Test func bindingAPortInUseFailsNamingTheAddress() async throws {
        let first = try await startServer(delegate: EchoDelegate())
        let port = try #require(first.port)
        let second = PortalServer(
            configuration: PortalServerConfiguration(host: "127.0.0.1", port: port), delegate: EchoDelegate()
        )
        do {
            try await second.start()
            Issue.record("a second bind on \(port) succeeded")
        } catch let error as PortalServerError {
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
        await second.stop()
        await first.stop()
    }
}
