/// Why a portal address or an admin request failed, worded for the operator.
public enum PortalClientError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The address does not parse.
    case invalidURL(String, reason: String)
    /// `wss://` or `https://`: this build has no TLS.
    case tlsNotSupported(String)
    /// Another scheme than the one expected.
    case unsupportedScheme(String, expected: String)
    /// Nothing answered at the address (refused, unreachable, name unknown).
    case unreachable(address: String, reason: String)
    /// The portal accepted the connection but did not answer in time.
    case timedOut(address: String)
    /// The portal closed the connection before a whole response.
    case noResponse(address: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid portal address '\(url)': \(reason)"
        case .tlsNotSupported(let url):
            return "portal address '\(url)' uses TLS, which this build does not support; use ws:// or http:// "
                + "(put a TLS terminating proxy in front of the portal if the path is untrusted)"
        case .unsupportedScheme(let url, let expected):
            return "portal address '\(url)' must start with \(expected)://"
        case .unreachable(let address, let reason):
            return "cannot reach the portal at \(address): \(reason)"
        case .timedOut(let address):
            return "the portal at \(address) did not answer in time"
        case .noResponse(let address):
            return "the portal at \(address) closed the connection without a complete answer"
        }
    }
}
