import Glibc
import WireGuardConfig

/// Why the UAPI socket could not be served.
public enum UAPIServerError: Error, CustomStringConvertible {
    case systemCall(String, path: String, errno: Int32)
    case pathTooLong(String)

    public var description: String {
        switch self {
        case .systemCall(let call, let path, let code):
            return "\(call)(\(path)) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .pathTooLong(let path):
            return "UAPI socket path \(path) is longer than a Unix socket address allows"
        }
    }
}

/// Serves the WireGuard userspace API on `/var/run/wireguard/<interface>.sock`, as wireguard-go does, so
/// Debian's `wg show`, `wg showconf` and `wg set` work against `fzctl up`.
///
/// One thread accepts connections and reads requests (a request ends with an empty line); each request is
/// answered by the loop thread through the ``ControlMailbox``, which owns the device.
public final class UAPIServer: @unchecked Sendable {
    // Safe: `listener` and `path` are immutable after init; the thread only reads them, and `stop()`
    // only shuts the descriptor down, which is thread-safe at the kernel level.
    public let path: String
    let listener: Int32
    let mailbox: ControlMailbox<UAPIRequest>
    var thread = pthread_t()

    public static func socketPath(interface: String) -> String {
        "/var/run/wireguard/\(interface).sock"
    }

    public convenience init(interface: String, mailbox: ControlMailbox<UAPIRequest>) throws(UAPIServerError) {
        try self.init(path: Self.socketPath(interface: interface), mailbox: mailbox)
    }

    /// Serves on `path` (tests use their own path; `fzctl up` the standard one).
    public init(path: String, mailbox: ControlMailbox<UAPIRequest>) throws(UAPIServerError) {
        self.path = path
        self.mailbox = mailbox
        if path.hasPrefix("/var/run/wireguard/") { mkdir("/var/run/wireguard", 0o755) }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .systemCall("socket", path: path, errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            close(fd)
            throw .pathTooLong(path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw .systemCall("bind/listen", path: path, errno: code)
        }
        listener = fd
    }

    /// Starts the accepting thread.
    public func start() throws(UAPIServerError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let server = Unmanaged<UAPIServer>.fromOpaque(context!).takeRetainedValue()
            server.acceptLoop()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<UAPIServer>.fromOpaque(context).release()
            throw .systemCall("pthread_create", path: path, errno: result)
        }
        pthread_detach(thread)
    }

    /// Stops accepting and removes the socket file.
    ///
    /// The thread is not joined: it may be blocked reading from a client that keeps its connection open.
    /// It leaves its accept loop once the listener is shut down, and the process exit ends it otherwise.
    /// The listener is not closed either, so its descriptor number cannot be reused under the thread.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        unlink(path)
    }

    func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            serve(connection)
            close(connection)
        }
    }

    /// Answers every request on one connection until the client closes it.
    ///
    /// Requests are framed and parsed by the tested ``UAPIRequestReader`` (bounded: a client that never
    /// ends its request cannot make us hold more than 1 MiB). A malformed request is answered with its
    /// errno here; a well-formed one goes to the loop thread.
    func serve(_ connection: Int32) {
        var reader = UAPIRequestReader()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            reader.append(contentsOf: chunk[0..<n])
            while true {
                let response: String
                do {
                    guard let request = try reader.nextRequest() else { break }
                    response = mailbox.submit(request)
                } catch {
                    response = UAPIResponse.status(for: error)
                    if case .requestTooLarge = error {
                        _ = writeAll(connection, response)
                        return
                    }
                }
                guard writeAll(connection, response) else { return }
            }
        }
    }

    func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
