/// Why the portal's listener could not start.
public enum PortalServerError: Error, CustomStringConvertible, Sendable {
    /// The address could not be bound (in use, not local, not resolvable).
    case bindFailed(host: String, port: Int, reason: String)
    /// `start()` was called on a server that is running or was stopped.
    case alreadyStarted

    public var description: String {
        switch self {
        case .bindFailed(let host, let port, let reason):
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return "cannot listen on \(address): \(reason)"
        case .alreadyStarted:
            return "the portal server was already started; make a new one"
        }
    }
}
