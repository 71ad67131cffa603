import Foundation
import Testing
import Tunnel
import WireGuardConfig

/// The UAPI socket server and the mailbox that hands requests to the loop thread, without a device.
@Suite struct UAPIServerTests {
    /// Connects to `path`, sends `request` and reads until the response's blank line (or EOF).
    static func exchange(_ path: String, _ request: String) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(connected == 0, "connect: errno \(errno)")
        var bytes = Array(request.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !(response.count >= 2 && response.suffix(2) == [10, 10]) {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test("Requests reach the loop through the mailbox; malformed ones are answered with an errno at once")
    func requestsAndErrors() throws {
        let path = NSTemporaryDirectory() + "fz-uapi-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let mailbox = ControlMailbox<UAPIRequest> {}
        let server = try UAPIServer(path: path, mailbox: mailbox)
        try server.start()
        defer { server.stop() }
        // The "loop": answers get with a marker and set with success, until told to stop.
        let running = LockedFlag()
        let loop = Thread {
            while running.value {
                mailbox.drain { request in
                    switch request {
                    case .get: return "listen_port=4242\nerrno=0\n\n"
                    case .set: return "errno=0\n\n"
                    }
                }
                usleep(1000)
            }
        }
        loop.start()
        defer { running.value = false }

        #expect(try Self.exchange(path, "get=1\n\n") == "listen_port=4242\nerrno=0\n\n")
        let set = try Self.exchange(path, "set=1\nlisten_port=51820\n\n")
        #expect(set == "errno=0\n\n")
        let bad = try Self.exchange(path, "set=1\nno_such_key=1\n\n")
        #expect(bad.hasPrefix("errno=-") && bad != "errno=0\n\n", "\(bad)")
        let unknown = try Self.exchange(path, "hello=1\n\n")
        #expect(unknown.hasPrefix("errno=-"), "\(unknown)")
    }

    @Test("After the loop stops, requests are refused at once instead of hanging, and stop() returns")
    func closedMailboxAnswersImmediately() throws {
        let path = NSTemporaryDirectory() + "fz-uapi-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let mailbox = ControlMailbox<UAPIRequest> {}
        let server = try UAPIServer(path: path, mailbox: mailbox)
        try server.start()
        mailbox.close()
        #expect(try Self.exchange(path, "get=1\n\n") == "errno=-19\n\n")
        server.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

final class LockedFlag: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var stored = true
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
