import Foundation
import HostSetup
import Testing

/// `NOTIFY_SOCKET` notifications as systemd receives them: one datagram on an `AF_UNIX` socket, at a path or
/// an abstract name.
struct ServiceNotifierTests {
    /// A datagram socket bound where a service manager would listen; `address` is what NOTIFY_SOCKET says.
    final class Listener {
        let fd: Int32
        let address: String
        private let path: String?

        init(abstract: Bool) throws {
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            let name = abstract ? "fz-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                : NSTemporaryDirectory() + "fz-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            path = abstract ? nil : name
            address = abstract ? "@" + name : name
            var local = sockaddr_un()
            local.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(name.utf8)
            withUnsafeMutableBytes(of: &local.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index + (abstract ? 1 : 0)] = byte }
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit {
            close(fd)
            if let path { unlink(path) }
        }

        /// The next datagram, or nil after 5 s.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count >= 0 else { return nil }
            return String(decoding: buffer[..<count], as: UTF8.self)
        }
    }

    @Test("READY=1 and STOPPING=1 reach a listener at a socket path and at an abstract name", arguments: [false, true])
    func notificationsReachTheListener(abstract: Bool) throws {
        let listener = try Listener(abstract: abstract)
        let notifier = try ServiceNotifier(environment: [ServiceNotifier.variable: listener.address])
        #expect(notifier.isEnabled)
        try notifier.notify(.ready(status: "interface wg0 up"))
        #expect(listener.receive() == "READY=1\nSTATUS=interface wg0 up\nMAINPID=\(getpid())\n")
        try notifier.notify(.stopping(status: "interface wg0 stopping"))
        #expect(listener.receive() == "STOPPING=1\nSTATUS=interface wg0 stopping\n")
    }

    @Test("Without NOTIFY_SOCKET (or with it empty) nothing is sent and nothing fails")
    func unsetMeansNoServiceManager() throws {
        for environment in [[:], [ServiceNotifier.variable: ""]] {
            let notifier = try ServiceNotifier(environment: environment)
            #expect(!notifier.isEnabled)
            try notifier.notify(.ready(status: "up"))
        }
    }

    @Test("A value that names no socket is refused, naming the variable and what is wrong", arguments: [
        ("notify", "NOTIFY_SOCKET='notify' is neither an absolute socket path nor an @abstract name"),
        ("@", "NOTIFY_SOCKET='@' is neither"),
        ("run\n/x", "NOTIFY_SOCKET='run\\n/x' is neither"),
        ("/" + String(repeating: "p", count: 107), "NOTIFY_SOCKET is 108 bytes; a socket address holds at most 107"),
    ])
    func invalidAddressesAreRefused(value: String, message: String) {
        #expect {
            _ = try ServiceNotifier(environment: [ServiceNotifier.variable: value])
        } throws: { error in
            guard case .invalidAddress(let text) = error as? ServiceNotifierError else { return false }
            return text.contains(message)
        }
    }

    @Test("A socket path nobody listens on fails the send with the reason")
    func anAbsentListenerFailsTheSend() throws {
        let path = NSTemporaryDirectory() + "fz-notify-absent-\(getpid()).sock"
        let notifier = try ServiceNotifier(environment: [ServiceNotifier.variable: path])
        #expect {
            try notifier.notify(.ready(status: "up"))
        } throws: { error in
            guard case .sendFailed(let text) = error as? ServiceNotifierError else { return false }
            return text.contains("No such file or directory")
        }
    }
}
