import DataPlane
import Foundation
import Tunnel
import WireGuardConfig

/// A UAPI client as `wg` is one, with timeouts so a server that does not answer fails the test instead
/// of hanging it, and `MSG_NOSIGNAL` so a server that hangs up fails the test instead of killing it.
final class UAPITestClient {
    let fd: Int32

    /// Connects to `path`; receives give up after `timeoutSeconds`.
    init(_ path: String, timeoutSeconds: Int = 3) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = Self.withAddress(path) { [fd] in connect(fd, $0, $1) }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    deinit { close(fd) }

    /// Calls `body` with the Unix socket address of `path`, for bind or connect.
    static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Sends all of `bytes`; the number actually sent (less when the server hung up).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        return offset
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// One byte into `byte`: 1, 0 at EOF, -1 on an error or the timeout. A signal (another test's child process
    /// exiting) interrupting the wait is not an answer: it waits again.
    func receiveByte(_ byte: inout UInt8) -> Int {
        while true {
            let count = recv(fd, &byte, 1, 0)
            if count < 0 && errno == EINTR { continue }
            return count
        }
    }

    /// Reads up to and including the response's blank line; what arrived before EOF or the timeout otherwise.
    func response() -> String {
        var response: [UInt8] = []
        var byte: UInt8 = 0
        while !(response.count >= 2 && response.suffix(2) == [10, 10]) {
            guard receiveByte(&byte) == 1 else { break }
            response.append(byte)
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// True once the server has closed the connection (EOF within the timeout).
    func closedByServer() -> Bool {
        var byte: UInt8 = 0
        return receiveByte(&byte) == 0
    }

    /// Sends `request` on a new connection and returns the answer.
    static func exchange(_ path: String, _ request: String) throws -> String {
        let client = try UAPITestClient(path)
        client.send(request)
        return client.response()
    }
}

/// A server on a fresh temporary path and a "loop" thread that answers its mailbox with `answer`.
final class UAPITestServer {
    let path: String
    let server: UAPIServer
    private let running = LockedFlag()

    init(limits: UAPIServerLimits = UAPIServerLimits(),
         answer: @escaping @Sendable (UAPIRequest) -> String) throws {
        path = Self.temporaryPath()
        let mailbox = ControlMailbox<UAPIRequest, String>(closedAnswer: UAPIServer.closedAnswer) {}
        server = try UAPIServer(path: path, mailbox: mailbox, limits: limits)
        try server.start()
        let running = running
        Thread {
            while running.value {
                mailbox.drain(answer)
                usleep(1000)
            }
            mailbox.close()
        }.start()
    }

    deinit {
        running.value = false
        server.stop()
    }

    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "fz-uapi-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    /// Waits up to `seconds` for `condition`; whether it became true.
    static func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(5000)
        }
        return condition()
    }
}

/// A `set` adding `count` peers, each with a key, an endpoint, an allowed IP and a keepalive: about 200
/// bytes of UAPI text per peer, as `wg addconf` sends them.
func largeSetRequest(peers count: Int) -> UAPISetRequest {
    UAPISetRequest(deviceOperations: [], peers: (0..<count).map { index in
        var bytes = [UInt8](repeating: 0x5a, count: 32)
        bytes[0] = UInt8(index & 0xff)
        bytes[1] = UInt8(index >> 8 & 0xff)
        bytes[2] = UInt8(index >> 16 & 0xff)
        let address = IPv4Address(10, UInt8(index >> 16 & 0xff), UInt8(index >> 8 & 0xff), UInt8(index & 0xff))
        return UAPIPeerUpdate(publicKey: PublicKey(raw: Key32(bytes)!), operations: [
            .endpoint(Endpoint(address: .v4(address), port: 51820)),
            .persistentKeepaliveInterval(25),
            .replaceAllowedIPs,
            .allowedIP(IPNetwork(.v4(address), prefixLength: 32)!),
        ])
    })
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
