import Foundation
import Locks
import MetricsExport
import Testing

@Suite("Metrics HTTP endpoint")
struct MetricsHTTPServerTests {
    /// One request over a fresh TCP connection; the status code and body.
    static func request(_ method: String?, _ path: String, port: Int) throws -> (Int, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        // Generous: under AddressSanitizer, beside the interop tests' transfers on two cores, a response once
        // took longer than 5 s to arrive (the server had rendered all four scrapes; the client gave up).
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        // Other tests in this process start child processes, and their SIGCHLD can interrupt a blocking call
        // here (EINTR): retried, as an interrupted send once left a request unsent until the idle timeout.
        if let method {
            let text = Array("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
            var sent = 0
            while sent < text.count {
                let count = text[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw POSIXError(.EPIPE) }
                sent += count
            }
        }
        var response = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            response += chunk[..<count]
        }
        let whole = String(decoding: response, as: UTF8.self)
        let status = Int(whole.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = whole.range(of: "\r\n\r\n").map { String(whole[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    @Test func getMetricsRendersWithTheRequestedPeerCountAndOtherPathsAreRefused() throws {
        let asked = Locked<[Int]>([])
        let server = try MetricsHTTPServer(address: MetricsListenAddress(host: "127.0.0.1", port: 0)) { peers in
            asked.withLock { $0.append(peers) }
            return "fz_up 1\n"
        }
        defer { server.stop() }
        let port = server.boundAddress.port
        #expect(port != 0)
        #expect(try Self.request("GET", "/metrics", port: port) == (200, "fz_up 1\n"))
        #expect(try Self.request("GET", "/metrics?peers=3", port: port).0 == 200)
        #expect(try Self.request("GET", "/metrics?peers=99999999", port: port).0 == 200)
        #expect(try Self.request("GET", "/metrics?peers=-4", port: port).0 == 200)
        #expect(try Self.request("GET", "/", port: port).0 == 404)
        #expect(try Self.request("POST", "/metrics", port: port).0 == 405)
        #expect(asked.withLock { $0 } == [0, 3, MetricsHTTPServer.maximumPeerSeries, 0])
    }

    @Test func aSilentConnectionIsClosed() throws {
        let server = try MetricsHTTPServer(address: MetricsListenAddress(host: "127.0.0.1", port: 0),
                                           idleTimeout: .milliseconds(200)) { _ in "" }
        defer { server.stop() }
        // No request at all: the server closes (status 0, nothing read) well before the 30 s receive timeout.
        let started = ContinuousClock.now
        #expect(try Self.request(nil, "", port: server.boundAddress.port) == (0, ""))
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func aStoppedInterfaceAnswers503() throws {
        let server = try MetricsHTTPServer(address: MetricsListenAddress(host: "127.0.0.1", port: 0)) { _ in nil }
        defer { server.stop() }
        #expect(try Self.request("GET", "/metrics", port: server.boundAddress.port).0 == 503)
    }

    @Test func aPortInUseIsRefusedNamingTheAddress() throws {
        let first = try MetricsHTTPServer(address: MetricsListenAddress(host: "127.0.0.1", port: 0)) { _ in "" }
        defer { first.stop() }
        let taken = MetricsListenAddress(host: "127.0.0.1", port: first.boundAddress.port)
        do {
            let second = try MetricsHTTPServer(address: taken) { _ in "" }
            second.stop()
            Issue.record("a second server bound \(taken)")
        } catch {
            #expect(error.description.hasPrefix("cannot listen for metrics on 127.0.0.1:\(taken.port): "))
        }
    }
}
