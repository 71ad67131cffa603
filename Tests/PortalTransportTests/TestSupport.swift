import Locks
import PortalClient
import PortalServer

/// Polls `condition` every 10 ms until it holds or `timeout` passes; the bounded wait every test uses. Generous
/// because it returns as soon as the condition holds, and a sanitizer run on two busy cores can take seconds.
func eventually(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A portal stand-in: accepts token "good", echoes text as "echo:TEXT", answers admin calls for token "admin".
final class EchoDelegate: PortalServerDelegate {
    struct Record {
        var requests: [(path: NodePath, token: String?)] = []
        var opened: [PortalConnection] = []
        var received: [String] = []
        var closed: [UInt64] = []
        var admin: [AdminRequest] = []
        var concurrentCalls = 0
        var overlapped = false
    }

    let record = Locked(Record())

    private func serial<T>(_ body: () -> T) -> T {
        record.withLock { record in
            if record.concurrentCalls > 0 { record.overlapped = true }
            record.concurrentCalls += 1
        }
        defer { record.withLock { $0.concurrentCalls -= 1 } }
        return body()
    }

    func webSocketRequested(path: NodePath, token: String?, remote: String) -> Bool {
        serial {
            record.withLock { $0.requests.append((path, token)) }
            return token == "good"
        }
    }

    func opened(_ connection: PortalConnection, path: NodePath, token: String?) {
        serial { record.withLock { $0.opened.append(connection) } }
    }

    func received(_ text: String, on connection: PortalConnection) {
        serial {
            record.withLock { $0.received.append(text) }
            connection.send("echo:" + text)
        }
    }

    func closed(_ connection: PortalConnection) {
        serial { record.withLock { $0.closed.append(connection.id) } }
    }

    func admin(_ request: AdminRequest) -> AdminResponse {
        serial {
            record.withLock { $0.admin.append(request) }
            guard request.token == "admin" else {
                return AdminResponse(status: 401, body: "{\"error\":\"bad admin token\"}")
            }
            switch request.endpoint {
            case .list: return AdminResponse(status: 200, body: "{\"nodes\":[]}")
            case .reload: return AdminResponse(status: 200, body: "{\"reloaded\":true}")
            case .rejectAccess: return AdminResponse(status: 200, body: request.body)
            }
        }
    }
}

/// What a `PortalClient` reported, in order.
final class ClientLog: Sendable {
    struct Record {
        var connected = 0
        var received: [String] = []
        var disconnected: [String] = []
        var refused: [Int] = []
        var retries: [(reason: String, delay: Duration)] = []
    }

    let record = Locked(Record())

    var events: PortalClientEvents {
        PortalClientEvents(
            connected: { [self] in record.withLock { $0.connected += 1 } },
            received: { [self] text in record.withLock { $0.received.append(text) } },
            disconnected: { [self] reason in record.withLock { $0.disconnected.append(reason) } },
            refused: { [self] status in record.withLock { $0.refused.append(status) } },
            retrying: { [self] reason, delay in record.withLock { $0.retries.append((reason, delay)) } }
        )
    }

    func snapshot() -> Record { record.withLock { $0 } }
}

/// Starts a portal server with the echo delegate on loopback (an ephemeral port unless `port` is given).
///
/// The keepalive defaults are far longer than any test: a loaded 2-core CI host has starved a test's tasks for
/// over 45 s between connecting and its next write, and a production-length idle timeout then closed the
/// connection (1001) before the behaviour under test ran. Tests about keepalive pass their own short values.
func startServer(
    delegate: EchoDelegate, port: Int = 0,
    pingInterval: Duration = .seconds(3600), idleTimeout: Duration = .seconds(3 * 3600)
) async throws -> PortalServer {
    let server = PortalServer(
        configuration: PortalServerConfiguration(
            host: "127.0.0.1", port: port, pingInterval: pingInterval, idleTimeout: idleTimeout
        ),
        delegate: delegate
    )
    try await server.start()
    return server
}

func makeClient(
    port: Int, path: String = "/gateway", token: String = "good", log: ClientLog,
    initialBackoff: Duration = .milliseconds(50), maximumBackoff: Duration = .milliseconds(400),
    pingInterval: Duration = .seconds(3600), idleTimeout: Duration = .seconds(3 * 3600)
) -> PortalClient {
    let endpoint = PortalEndpoint(scheme: .ws, host: "127.0.0.1", port: port, path: path)
    let configuration = PortalClientConfiguration(
        endpoint: endpoint, token: token, initialBackoff: initialBackoff, maximumBackoff: maximumBackoff,
        pingInterval: pingInterval, idleTimeout: idleTimeout, connectTimeout: .seconds(5)
    )
    return PortalClient(configuration: configuration, events: log.events)
}
