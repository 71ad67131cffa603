import CFZEpoll
import DataPlane

/// Why the epoll backend could not set up or use a socket, the TUN device or the event loop.
public enum EpollIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed; `call` names it and `errno` is the error number it set.
    case systemCall(_ call: String, errno: Int32)
    /// A TUN interface name does not fit `IFNAMSIZ` (15 bytes).
    case interfaceNameTooLong(String)
    /// The configuration asks for no UDP socket; the backend needs at least one.
    case noUDPAddress
    /// A second UDP address of a family already given; the backend keeps one socket per family.
    case duplicateFamily(Endpoint)

    /// One line naming the call and the error text, e.g.
    /// `bind([::1]:51820) failed: Address already in use (errno 98)`.
    public var description: String {
        switch self {
        case .systemCall(let call, let errno):
            return "\(call) failed: \(Self.errorText(errno)) (errno \(errno))"
        case .interfaceNameTooLong(let name):
            return "TUN interface name \(String(reflecting: name)) is longer than 15 bytes"
        case .noUDPAddress:
            return "no UDP address to bind: give at least one IPv4 or IPv6 address"
        case .duplicateFamily(let endpoint):
            return "UDP address \(endpoint) repeats an address family: give at most one IPv4 and one IPv6 address"
        }
    }

    /// The C library's message for `errno`.
    static func errorText(_ errno: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            String(cString: cfz_strerror(errno, buffer.baseAddress, buffer.count))
        }
    }
}
