import Glibc
import Locks
import WireGuardConfig

/// Why the UAPI socket could not be served.
public enum UAPIServerError: Error, CustomStringConvertible {
    /// A system call failed on the path with this errno.
    case systemCall(String, path: String, errno: Int32)
    /// The path does not fit a `sockaddr_un`.
    case pathTooLong(String)
    /// A live listener answers on the path: another `fzctl up` or wireguard-go serves this interface name
    /// (`/var/run/wireguard` is shared by every network namespace).
    case inUse(String)
    /// Something that is not a socket sits at the path; it is left alone.
    case notASocket(String)

    public var description: String {
        switch self {
        case .systemCall(let call, let path, let code):
            return "\(call)(\(path)) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .pathTooLong(let path):
            return "UAPI socket path \(path) is longer than a Unix socket address allows"
        case .inUse(let path):
            return "UAPI socket \(path) is in use by another process; another fzctl up or wireguard-go serves "
                + "this interface name (perhaps in another network namespace): stop it or pick another name"
        case .notASocket(let path):
            return "\(path) exists and is not a socket; remove it if nothing needs it"
        }
    }
}

/// Bounds that keep one slow or stuck client from holding the UAPI server.
public struct UAPIServerLimits: Sendable {
    /// Connections served at once; one more waits up to `admissionWaitMilliseconds` for a free slot, then
    /// is answered `errno=-EBUSY` and closed.
    public var maximumConnections: Int
    /// How long a connection over the limit waits for a slot (a burst of `wg` calls waits, a flood is refused).
    public var admissionWaitMilliseconds: Int
    /// How long a connection may stay silent (or leave a response unread) before it is closed.
    public var idleTimeoutMilliseconds: Int
    /// The largest request accepted; a bigger one is answered `errno=-EMSGSIZE` and skipped.
    public var maximumRequestBytes: Int

    /// 16 connections, 1 s wait for a slot, 5 s of silence, requests up to
    /// ``UAPIRequestReader/defaultMaximumRequestBytes``.
    public init(maximumConnections: Int = 16, admissionWaitMilliseconds: Int = 1000,
                idleTimeoutMilliseconds: Int = 5000,
                maximumRequestBytes: Int = UAPIRequestReader.defaultMaximumRequestBytes) {
        self.maximumConnections = maximumConnections
        self.admissionWaitMilliseconds = admissionWaitMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.maximumRequestBytes = maximumRequestBytes
    }
}

/// Serves the WireGuard userspace API on `/var/run/wireguard/<interface>.sock`, as wireguard-go does, so
/// Debian's `wg show`, `wg showconf` and `wg set` work against `fzctl up`.
///
/// One thread accepts connections and hands each to a thread of its own, up to
/// ``UAPIServerLimits/maximumConnections`` at once (one more waits briefly for a slot, then is refused
/// with EBUSY); a connection silent for ``UAPIServerLimits/idleTimeoutMilliseconds`` is closed, so no
/// client can hold the socket. Requests (each ending with an empty line) are answered by the loop thread,
/// which owns the device, through `submit` (a ``ControlMailbox`` carrying whatever command type the driver
/// uses). Answers are sent with `MSG_NOSIGNAL`: a client
/// that leaves early costs its connection, never a SIGPIPE.
public final class UAPIServer: @unchecked Sendable {
    // Safe: `listener`, `path`, `limits` and `submit` are immutable after init; `active` is locked;
    // `stop()` only shuts the descriptor down, which is thread-safe at the kernel level.
    /// Where the socket is.
    public let path: String
    /// The connection, idle-time and request-size bounds.
    public let limits: UAPIServerLimits
    let listener: Int32
    /// Hands a request to the loop thread and waits for its answer.
    let submit: @Sendable (UAPIRequest) -> String
    let active = Locked(0)

    /// `/var/run/wireguard/<interface>.sock`, where `wg` looks for a userspace interface.
    public static func socketPath(interface: String) -> String {
        "/var/run/wireguard/\(interface).sock"
    }

    /// The answer to a UAPI request once the loop has stopped (a mailbox's `closedAnswer`).
    ///
    /// ENODEV, as for an interface that is gone.
    public static let closedAnswer = "errno=-19\n\n"
    /// The answer to a request that succeeded without output (a `set`).
    public static let successAnswer = "errno=0\n\n"

    /// Serves on the standard path for `interface`; `submit` hands each request to the loop thread.
    public convenience init(interface: String, limits: UAPIServerLimits = UAPIServerLimits(),
                            submit: @escaping @Sendable (UAPIRequest) -> String) throws(UAPIServerError) {
        try self.init(path: Self.socketPath(interface: interface), limits: limits, submit: submit)
    }

    /// Serves on `path`, answering through a mailbox that carries UAPI requests alone.
    public convenience init(path: String, mailbox: ControlMailbox<UAPIRequest, String>,
                            limits: UAPIServerLimits = UAPIServerLimits()) throws(UAPIServerError) {
        try self.init(path: path, limits: limits, submit: { mailbox.submit($0) })
    }

    /// Serves on `path` (tests use their own path; `fzctl up` the standard one).
    ///
    /// Creates the socket's directory (0755) if it is missing. A socket already at `path` is removed only
    /// when nothing listens on it any more (a leftover of a process that died); a live one is refused with
    /// ``UAPIServerError/inUse(_:)``, as wireguard-go does, rather than taken over.
    public init(path: String, limits: UAPIServerLimits = UAPIServerLimits(),
                submit: @escaping @Sendable (UAPIRequest) -> String) throws(UAPIServerError) {
        self.path = path
        self.submit = submit
        self.limits = limits
        let address = try Self.address(path)
        try Self.createDirectory(of: path)
        try Self.removeStaleSocket(at: path, address: address)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let code = errno
            throw .systemCall("socket", path: path, errno: code)
        }
        let bound = Self.withSockaddr(address) { bind(fd, $0, $1) }
        if bound != 0 {
            let code = errno
            close(fd)
            throw code == EADDRINUSE ? .inUse(path) : .systemCall("bind", path: path, errno: code)
        }
        guard chmod(path, 0o600) == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw .systemCall("chmod/listen", path: path, errno: code)
        }
        listener = fd
    }

    /// Connections being served right now.
    public var activeConnectionCount: Int { active.withLock { $0 } }

    /// Starts the accepting thread.
    public func start() throws(UAPIServerError) {
        let code = Self.spawnDetached { [self] in acceptLoop() }
        guard code == 0 else { throw .systemCall("pthread_create", path: path, errno: code) }
    }

    /// Stops accepting and removes the socket file.
    ///
    /// Threads are not joined: a connection's thread ends once its client is answered, closes or stays
    /// silent for the idle timeout; the process exit ends them otherwise. The listener is not closed
    /// either, so its descriptor number cannot be reused under the accepting thread.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        unlink(path)
    }

    func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                let code = errno
                if code == EINTR || code == ECONNABORTED { continue }
                // Out of descriptors or memory: keep serving once some are freed.
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    usleep(50_000)
                    continue
                }
                return  // shut down by stop()
            }
            // Not inherited by the `ip` commands fzctl runs (accept4 is not in Swift's Glibc module).
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            guard admit() else {
                refuse(connection)
                continue
            }
            setTimeouts(connection)
            let code = Self.spawnDetached { [self] in
                serve(connection)
                close(connection)
                active.withLock { $0 -= 1 }
            }
            if code != 0 {
                close(connection)
                active.withLock { $0 -= 1 }
            }
        }
    }

    /// Takes a connection slot, waiting up to `admissionWaitMilliseconds` for one to free up.
    func admit() -> Bool {
        var waited = 0
        while true {
            let admitted = active.withLock { count -> Bool in
                guard count < limits.maximumConnections else { return false }
                count += 1
                return true
            }
            if admitted { return true }
            guard waited < limits.admissionWaitMilliseconds else { return false }
            usleep(5000)
            waited += 5
        }
    }

    /// Answers a connection over the limit with EBUSY and closes it.
    ///
    /// Its request is read (for at most 100 ms, on the accepting thread) before the close, so a `wg` whose
    /// write comes just after the accept gets the answer instead of a broken pipe.
    func refuse(_ connection: Int32) {
        let answer = UAPIResponse.status(for: .tooManyConnections(limit: limits.maximumConnections))
        _ = sendAll(connection, answer, flags: Int32(MSG_DONTWAIT))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        var previous: UInt8 = 0
        while total < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            total += n
            // A blank line ends the request: nothing more will come.
            let ended = chunk[n - 1] == 10 && (n > 1 ? chunk[n - 2] : previous) == 10
            if ended { break }
            previous = chunk[n - 1]
        }
        close(connection)
    }

    func setTimeouts(_ connection: Int32) {
        let milliseconds = max(1, limits.idleTimeoutMilliseconds)
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
    }

    /// Answers every request on one connection until the client closes it, stays silent for the idle
    /// timeout, or stops reading its answers.
    ///
    /// Requests are framed and parsed by the tested ``UAPIRequestReader``, bounded by
    /// ``UAPIServerLimits/maximumRequestBytes``: a bigger request is answered with EMSGSIZE at once and the
    /// rest of it is read and dropped, so the client gets the answer instead of a broken pipe. A malformed
    /// request is answered with its errno here; a well-formed one goes to the loop thread.
    func serve(_ connection: Int32) {
        var reader = UAPIRequestReader(maximumRequestBytes: limits.maximumRequestBytes)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                return  // EAGAIN: silent past the idle timeout
            }
            if n == 0 { return }
            reader.append(contentsOf: chunk[0..<n])
            while true {
                let response: String
                do {
                    guard let request = try reader.nextRequest() else { break }
                    response = submit(request)
                } catch {
                    response = UAPIResponse.status(for: error)
                }
                guard sendAll(connection, response) else { return }
            }
        }
    }

    /// Sends all of `text`; false once the client is gone (EPIPE, without SIGPIPE) or stops reading.
    func sendAll(_ fd: Int32, _ text: String, flags: Int32 = 0) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, flags | Int32(MSG_NOSIGNAL))
                if n < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    // MARK: - Socket set-up

    /// Creates the socket's directory, 0755 as wireguard-go makes `/var/run/wireguard`, when it is missing.
    static func createDirectory(of path: String) throws(UAPIServerError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let directory = String(path[..<slash])
        if mkdir(directory, 0o755) != 0 {
            let code = errno
            guard code == EEXIST else { throw .systemCall("mkdir", path: directory, errno: code) }
        }
    }

    /// Removes a socket nobody listens on any more; refuses to touch a live one or a non-socket.
    static func removeStaleSocket(at path: String, address: sockaddr_un) throws(UAPIServerError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                               | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard probe >= 0 else {
            let code = errno
            throw .systemCall("socket", path: path, errno: code)
        }
        let connected = withSockaddr(address) { connect(probe, $0, $1) }
        let code = errno
        close(probe)
        // Accepted, or a full backlog (EAGAIN): someone is listening.
        if connected == 0 || code == EAGAIN { throw .inUse(path) }
        switch code {
        case ECONNREFUSED: unlink(path)  // the listener is gone
        case ENOENT: break  // removed meanwhile
        default: throw .systemCall("connect", path: path, errno: code)
        }
    }

    static func address(_ path: String) throws(UAPIServerError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .pathTooLong(path) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            raw[path.utf8.count] = 0
        }
        return address
    }

    static func withSockaddr(_ address: sockaddr_un, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32)
        -> Int32
    {
        var address = address
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Runs `body` on a new detached thread; the pthread_create result (0 on success).
    static func spawnDetached(_ body: @escaping @Sendable () -> Void) -> Int32 {
        final class Box: @unchecked Sendable {
            // Safe: immutable, handed to exactly one thread.
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            return result
        }
        pthread_detach(thread)
        return 0
    }
}
