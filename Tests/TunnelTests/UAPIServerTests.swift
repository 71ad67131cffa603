import Foundation
import Locks
import Synchronization
import Testing
import Tunnel
import WireGuardConfig

/// SIGPIPEs raised in this process while `countingSIGPIPE` runs.
private let sigpipeCount = Atomic<Int>(0)

/// Runs `body` with a SIGPIPE handler that counts instead of the runner's disposition, then restores it.
///
/// A SIGPIPE with the default disposition would kill the whole test process; counting proves the server
/// never raises one, whatever the runner does with the signal.
private func countingSIGPIPE(_ body: () throws -> Void) rethrows -> Int {
    var counting = sigaction()
    counting.__sigaction_handler.sa_handler = { _ in sigpipeCount.wrappingAdd(1, ordering: .relaxed) }
    sigemptyset(&counting.sa_mask)
    var previous = sigaction()
    sigaction(SIGPIPE, &counting, &previous)
    defer { sigaction(SIGPIPE, &previous, nil) }
    let before = sigpipeCount.load(ordering: .relaxed)
    try body()
    return sigpipeCount.load(ordering: .relaxed) - before
}

/// The UAPI socket server and the mailbox that hands requests to the loop thread, without a device.
@Suite struct UAPIServerTests {
    static let marker = "listen_port=4242\nerrno=0\n\n"

    /// Answers get with a marker and set with success.
    static func answer(_ request: UAPIRequest) -> String {
        switch request {
        case .get: return marker
        case .set: return "errno=0\n\n"
        }
    }

    /// What a server answers once its loop has stopped: ENODEV.
    static let noDevice = "errno=-19\n\n"

    /// A started server on `path` whose loop has stopped: it answers every request with ENODEV at once.
    static func stoppedLoopServer(_ path: String) throws -> UAPIServer {
        let mailbox = ControlMailbox<UAPIRequest, String>(closedAnswer: UAPIServer.closedAnswer) {}
        mailbox.close()
        let server = try UAPIServer(path: path, mailbox: mailbox)
        try server.start()
        return server
    }

    @Test("Requests reach the loop through the mailbox; malformed ones are answered with an errno at once")
    func requestsAndErrors() throws {
        let fixture = try UAPITestServer(answer: Self.answer)
        #expect(try UAPITestClient.exchange(fixture.path, "get=1\n\n") == Self.marker)
        let set = try UAPITestClient.exchange(fixture.path, "set=1\nlisten_port=51820\n\n")
        #expect(set == "errno=0\n\n")
        let bad = try UAPITestClient.exchange(fixture.path, "set=1\nno_such_key=1\n\n")
        #expect(bad.hasPrefix("errno=-") && bad != "errno=0\n\n", "\(bad)")
        let unknown = try UAPITestClient.exchange(fixture.path, "hello=1\n\n")
        #expect(unknown.hasPrefix("errno=-"), "\(unknown)")
    }

    @Test("After the loop stops, requests are refused at once instead of hanging, and stop() returns")
    func closedMailboxAnswersImmediately() throws {
        let path = UAPITestServer.temporaryPath()
        let server = try Self.stoppedLoopServer(path)
        #expect(try UAPITestClient.exchange(path, "get=1\n\n") == Self.noDevice)
        server.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("A client that sends a request and hangs up before its answer raises no SIGPIPE; the next is served")
    func clientHangingUpRaisesNoSIGPIPE() throws {
        // The loop answers only once the client has gone, with more than a socket buffer holds, so the
        // server's send meets a closed peer: EPIPE, and SIGPIPE unless sent with MSG_NOSIGNAL.
        let clientGone = DispatchSemaphore(value: 0)
        let big = String(repeating: "last_handshake_time_sec=0\n", count: 40_000) + "errno=0\n\n"
        let fixture = try UAPITestServer { request in
            if case .set = request { return "errno=0\n\n" }
            clientGone.wait()
            return big
        }
        let raised = try countingSIGPIPE {
            do {
                let client = try UAPITestClient(fixture.path)
                client.send("get=1\n\n")
            }
            clientGone.signal()
            #expect(UAPITestServer.wait(seconds: 3) { fixture.server.activeConnectionCount == 0 })
        }
        #expect(raised == 0, "the server raised SIGPIPE writing to a client that had hung up")
        #expect(try UAPITestClient.exchange(fixture.path, "set=1\nlisten_port=1\n\n") == "errno=0\n\n")
    }

    @Test("A silent client does not hold up others: a second client's get is answered while it waits")
    func silentClientDoesNotBlockOthers() throws {
        let fixture = try UAPITestServer(limits: UAPIServerLimits(idleTimeoutMilliseconds: 30_000),
                                         answer: Self.answer)
        let silent = try UAPITestClient(fixture.path)
        let partial = try UAPITestClient(fixture.path)
        partial.send("set=1\nlisten_port=")
        let started = Date()
        #expect(try UAPITestClient.exchange(fixture.path, "get=1\n\n") == Self.marker)
        #expect(Date().timeIntervalSince(started) < 2)
        _ = silent
        _ = partial
    }

    @Test("Connections over the limit are answered EBUSY soon; idle ones time out and free their slots")
    func connectionLimitAndIdleTimeout() throws {
        // The idle timeout must outlast the six refusals below even under a sanitizer on a busy machine: once it
        // passes, the idle slots free up and an extra client is admitted instead of refused (this failed once
        // under AddressSanitizer with 2.5 s).
        let limits = UAPIServerLimits(maximumConnections: 4, admissionWaitMilliseconds: 100,
                                      idleTimeoutMilliseconds: 8000)
        let fixture = try UAPITestServer(limits: limits, answer: Self.answer)
        var idle: [UAPITestClient] = []
        for _ in 0..<4 { idle.append(try UAPITestClient(fixture.path, timeoutSeconds: 20)) }
        #expect(UAPITestServer.wait(seconds: 2) { fixture.server.activeConnectionCount == 4 })
        for index in 0..<6 {
            let extra = try UAPITestClient(fixture.path)
            if index % 2 == 0 { extra.send("get=1\n\n") }
            #expect(extra.response() == "errno=-\(EBUSY)\n\n")
            #expect(extra.closedByServer())
            #expect(fixture.server.activeConnectionCount <= 4)
        }
        // The silent ones are closed after the idle timeout, and the server takes new clients again.
        for client in idle { #expect(client.closedByServer()) }
        #expect(UAPITestServer.wait(seconds: 2) { fixture.server.activeConnectionCount == 0 })
        #expect(try UAPITestClient.exchange(fixture.path, "get=1\n\n") == Self.marker)
        #expect(UAPITestServer.wait(seconds: 2) { fixture.server.activeConnectionCount == 0 })
    }

    @Test("A 20,000-peer set (several MB) reaches the loop whole and is answered")
    func largeSetIsAccepted() throws {
        let received = Locked(0)
        let fixture = try UAPITestServer { request in
            if case .set(let set) = request { received.withLock { $0 = set.peers.count } }
            return "errno=0\n\n"
        }
        let request = Array(UAPIRequest.set(largeSetRequest(peers: 20_000)).serialized.utf8)
        #expect(request.count > 3 << 20)
        let client = try UAPITestClient(fixture.path, timeoutSeconds: 20)
        #expect(client.send(request) == request.count)
        #expect(client.response() == "errno=0\n\n")
        #expect(received.withLock { $0 } == 20_000)
    }

    @Test("A request over the limit is answered EMSGSIZE after being read, not cut off; the connection goes on")
    func oversizedRequestIsAnswered() throws {
        let limits = UAPIServerLimits(maximumRequestBytes: 1 << 20)
        let fixture = try UAPITestServer(limits: limits, answer: Self.answer)
        let request = Array(UAPIRequest.set(largeSetRequest(peers: 20_000)).serialized.utf8)
        let client = try UAPITestClient(fixture.path, timeoutSeconds: 20)
        #expect(client.send(request) == request.count, "the server hung up mid-upload")
        #expect(client.response() == "errno=-\(EMSGSIZE)\n\n")
        client.send("get=1\n\n")
        #expect(client.response() == Self.marker)
    }

    @Test("A live socket at the path is refused as in use and keeps serving; the directory is created 0755")
    func liveSocketIsNotTakenOver() throws {
        let directory = NSTemporaryDirectory() + "fz-uapi-dir-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/wg0.sock"
        let first = try Self.stoppedLoopServer(path)
        defer { first.stop() }
        let attributes = try FileManager.default.attributesOfItem(atPath: directory)
        #expect((attributes[.posixPermissions] as? Int) == 0o755)
        do {
            let second = try UAPIServer(path: path, submit: { _ in UAPIServer.closedAnswer })
            second.stop()
            Issue.record("a second server took over a live UAPI socket")
        } catch {
            guard case .inUse(let reported) = error else {
                Issue.record("expected inUse, got \(error)")
                return
            }
            #expect(reported == path)
            #expect(error.description.contains("UAPI socket \(path) is in use by another process"))
        }
        // The first server still owns the path: its socket file is there and it answers.
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try UAPITestClient.exchange(path, "get=1\n\n") == Self.noDevice)
    }

    @Test("A stale socket (its process died) is replaced; a file that is not a socket is left alone")
    func staleSocketIsReplaced() throws {
        let path = UAPITestServer.temporaryPath()
        defer { unlink(path) }
        // A socket file nobody listens on, as a killed fzctl leaves behind.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let bound = UAPITestClient.withAddress(path) { bind(stale, $0, $1) }
        try #require(bound == 0)
        close(stale)
        let server = try Self.stoppedLoopServer(path)
        #expect(try UAPITestClient.exchange(path, "get=1\n\n") == Self.noDevice)
        server.stop()

        let regular = UAPITestServer.temporaryPath()
        defer { unlink(regular) }
        try "keep me".write(toFile: regular, atomically: false, encoding: .utf8)
        #expect {
            _ = try UAPIServer(path: regular, submit: { _ in UAPIServer.closedAnswer })
        } throws: { error in
            guard let error = error as? UAPIServerError, case .notASocket = error else { return false }
            return true
        }
        #expect(try String(contentsOfFile: regular, encoding: .utf8) == "keep me")
    }
}
