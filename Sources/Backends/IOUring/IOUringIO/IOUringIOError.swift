import CFZURing
import DataPlane

/// Why the io_uring backend could not set up or use its ring, a socket, the TUN device or the event loop.
public enum IOUringIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system or liburing call failed; `call` names it and `errno` is the error number.
    case systemCall(_ call: String, errno: Int32)
    /// A TUN interface name does not fit `IFNAMSIZ` (15 bytes).
    case interfaceNameTooLong(String)
    /// The configuration asks for no UDP socket; the backend needs at least one.
    case noUDPAddress
    /// A second UDP address of a family already given; the backend keeps one socket per family.
    case duplicateFamily(Endpoint)
    /// A second event loop was created on a backend that already has one; a ring has one driver.
    case loopAlreadyAttached
    /// The requested receive mode needs what this kernel lacks (e.g. multishot recvmsg, buffer rings).
    case receiveModeUnsupported(String)

    /// One line naming the call and the error text, e.g.
    /// `io_uring_queue_init failed: Operation not permitted (errno 1)`.
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
        case .loopAlreadyAttached:
            return "this io_uring backend already has an event loop: create one loop per backend"
        case .receiveModeUnsupported(let reason):
            return "receive mode not supported here: \(reason); use the one-shot receive mode or the epoll backend"
        }
    }

    /// The C library's message for `errno`.
    static func errorText(_ errno: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            String(cString: cfz_uring_strerror(errno, buffer.baseAddress, buffer.count))
        }
    }
}
