import Glibc
import WireGuardConfig

/// Tells a service manager that the interface is ready, or stopping (systemd's `Type=notify`).
///
/// The protocol is one datagram of `KEY=VALUE` lines sent to the `AF_UNIX` socket that `NOTIFY_SOCKET` names: a
/// file path, or an abstract name written with a leading `@`. Units can then start what depends on the tunnel
/// only once its addresses and routes are in place, rather than when the process has merely started. Without
/// the variable nothing is sent, so the same binary runs under `Type=simple`, by hand and in tests.
public struct ServiceNotifier: Sendable {
    /// The environment variable systemd sets for a `Type=notify` service.
    public static let variable = "NOTIFY_SOCKET"

    /// `sun_path` bytes of the socket (an abstract name starts with a NUL byte); nil: no service manager.
    let address: [UInt8]?

    /// A notifier that sends nothing.
    public static let disabled = ServiceNotifier(address: nil)

    private init(address: [UInt8]?) {
        self.address = address
    }

    /// Reads `NOTIFY_SOCKET` from `environment`; unset or empty means no service manager is listening.
    ///
    /// - Throws: ``ServiceNotifierError/invalidAddress(_:)`` when the value is neither an absolute path nor an
    ///   `@` abstract name, or is too long for a socket address.
    public init(environment: [String: String]) throws(ServiceNotifierError) {
        guard let value = environment[Self.variable], !value.isEmpty else {
            self.init(address: nil)
            return
        }
        var bytes = Array(value.utf8)
        guard bytes[0] == UInt8(ascii: "/") || bytes[0] == UInt8(ascii: "@"), bytes.count > 1 else {
            throw .invalidAddress(
                "\(Self.variable)='\(DisplayText.echo(value))' is neither an absolute socket path nor an @abstract "
                    + "name")
        }
        // A path needs its terminating NUL inside sun_path; an abstract name does not.
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard bytes.count < capacity || (bytes[0] == UInt8(ascii: "@") && bytes.count == capacity) else {
            throw .invalidAddress(
                "\(Self.variable) is \(bytes.count) bytes; a socket address holds at most \(capacity - 1)")
        }
        guard !bytes.contains(0) else {
            throw .invalidAddress("\(Self.variable) contains a NUL byte")
        }
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        self.init(address: bytes)
    }

    /// Whether a service manager asked for notifications.
    public var isEnabled: Bool { address != nil }

    /// Tells the service manager `state`, with its status line (`systemctl status` shows it); does nothing when
    /// no service manager is listening.
    public func notify(_ state: ServiceState) throws(ServiceNotifierError) {
        guard let address else { return }
        let message = switch state {
        case .ready(let status): "READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())\n"
        case .stopping(let status): "STOPPING=1\nSTATUS=\(status)\n"
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw .sendFailed("cannot open a socket to notify the service manager: \(errnoText(errno))")
        }
        defer { close(fd) }
        var destination = sockaddr_un()
        destination.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &destination.sun_path) { raw in
            for (index, byte) in address.enumerated() { raw[index] = byte }
        }
        // An abstract name's length is exact (no terminating NUL); a path's includes its NUL.
        let pathLength = address.first == 0 ? address.count : address.count + 1
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathLength)
        let sent = Array(message.utf8).withUnsafeBytes { bytes in
            withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        guard sent >= 0 else {
            throw .sendFailed("cannot notify the service manager at \(Self.variable): \(errnoText(errno))")
        }
    }

}

/// What a service manager is told.
public enum ServiceState: Sendable {
    /// `READY=1`: the tunnel can carry traffic.
    case ready(status: String)
    /// `STOPPING=1`: a stop was asked for and is under way.
    case stopping(status: String)
}

/// Why a service-manager notification could not be set up or sent.
public enum ServiceNotifierError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `NOTIFY_SOCKET` does not name a socket; the text says what is wrong with it.
    case invalidAddress(String)
    /// The datagram could not be sent; the text names the reason.
    case sendFailed(String)

    public var description: String {
        switch self {
        case .invalidAddress(let text), .sendFailed(let text): return text
        }
    }
}
