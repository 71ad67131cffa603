import Foundation
import Locks
import PortalServer
import Testing

/// A portal stand-in for `fzctl admin`: token "admin-secret", echoes what it was asked.
private final class RecordingAdminPortal: PortalServerDelegate {
    let requests = Locked<[AdminRequest]>([])

    func webSocketRequested(path: NodePath, token: String?, remote: String) -> Bool { false }
    func opened(_ connection: PortalConnection, path: NodePath, token: String?) {}
    func received(_ text: String, on connection: PortalConnection) {}
    func closed(_ connection: PortalConnection) {}

    func admin(_ request: AdminRequest) -> AdminResponse {
        requests.withLock { $0.append(request) }
        guard request.token == "admin-secret" else {
            return AdminResponse(status: 401, body: "{\"error\":\"wrong admin token\"}")
        }
        switch request.endpoint {
        case .list: return AdminResponse(status: 200, body: "{\"gateways\":[],\"clients\":[],\"flows\":[]}")
        case .reload: return AdminResponse(status: 400, body: "{\"error\":\"policy.json: resources[0]: no id\"}")
        case .rejectAccess: return AdminResponse(status: 200, body: "{\"rejected\":1}")
        }
    }
}

@Suite struct FzctlAdminTests {
    private func withPortal(_ body: (String, RecordingAdminPortal) async throws -> Void) async throws {
        let portal = RecordingAdminPortal()
        let server = PortalServer(configuration: PortalServerConfiguration(host: "127.0.0.1", port: 0),
                                  delegate: portal)
        try await server.start()
        do {
            try await body("http://127.0.0.1:\(try #require(server.port))", portal)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func listPrintsThePortalsJSON() async throws {
        try await withPortal { url, _ in
            let result = try await FzctlRunner.fzctl(["admin", "--portal", url, "--token", "admin-secret", "list"])
            #expect(result.status == 0)
            #expect(result.stdout == "{\"gateways\":[],\"clients\":[],\"flows\":[]}\n")
            #expect(result.stderr.isEmpty)
        }
    }

    @Test func rejectAccessSendsClientAndResourceAsJSON() async throws {
        try await withPortal { url, portal in
            let result = try await FzctlRunner.fzctl(
                ["admin", "--portal", url, "--token", "admin-secret", "reject-access",
                 "--client", "alice", "--resource", "web"]
            )
            #expect(result.status == 0, "\(result.stderr)")
            let request = try #require(portal.requests.withLock { $0.first })
            #expect(request.endpoint == .rejectAccess)
            let object = try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: String]
            #expect(object == ["client": "alice", "resource": "web"])
        }
    }

    @Test func nonSuccessNamesTheStatusAndThePortalsMessageOnOneLine() async throws {
        try await withPortal { url, _ in
            let wrong = try await FzctlRunner.fzctl(["admin", "--portal", url, "--token", "nope", "list"])
            #expect(wrong.status == 1)
            #expect(wrong.stderr == "fzctl: error: the portal at \(url) answered 401: wrong admin token\n")
            let reload = try await FzctlRunner.fzctl(["admin", "--portal", url, "--token", "admin-secret", "reload"])
            #expect(reload.status == 1)
            #expect(reload.stderr.contains("answered 400: policy.json: resources[0]: no id"))
        }
    }

    @Test func unreachablePortalAndBadAddressesFailNamingThem() async throws {
        var port = 0
        try await withPortal { url, _ in port = Int(url.split(separator: ":").last ?? "") ?? 0 }
        let unreachable = try await FzctlRunner.fzctl(
            ["admin", "--portal", "http://127.0.0.1:\(port)", "--token", "t", "list"]
        )
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.hasPrefix("fzctl: error: cannot reach the portal at 127.0.0.1:\(port)"))
        for bad in ["127.0.0.1:1", "http://[::1:80", "ftp://h:1"] {
            let result = try await FzctlRunner.fzctl(["admin", "--portal", bad, "--token", "t", "list"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("'\(bad)'"), "\(result.stderr)")
        }
        let tls = try await FzctlRunner.fzctl(["admin", "--portal", "https://h:1", "--token", "t", "list"])
        #expect(tls.status == 1)
        #expect(tls.stderr.contains("TLS"))
    }

    @Test func adminWithoutACommandListsThem() async throws {
        let result = try await FzctlRunner.fzctl(["admin"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("list, reload, reject-access"))
    }
}
