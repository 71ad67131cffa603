/// Why a peer endpoint such as `vpn.example.com:51820` or `[fd00::1]:51820` was refused.
public enum EndpointParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `:port` after the host.
    case missingPort(String)
    /// The port is not a number in 1...65535.
    case invalidPort(String)
    /// An IPv6 address written without brackets, so its last group cannot be told from the port.
    case unbracketedIPv6(String)
    /// A `[` without a matching `]`, or text between `]` and `:`.
    case malformedBrackets(String)
    /// Bracketed text that is not an IPv6 address.
    case invalidIPv6(String)
    /// An IPv6 address with a `%zone` suffix.
    case scopedIPv6(String)
    /// Neither an IP address nor a DNS name (letters, digits, `-` and `.`, labels of 1-63 characters).
    case invalidHost(String)
    /// A hostname where an IP literal is required (the UAPI carries resolved addresses only).
    case unresolvedHost(String)

    /// The offending text, escaped and shortened for the message.
    var shown: String {
        switch self {
        case .missingPort(let text), .invalidPort(let text), .unbracketedIPv6(let text), .malformedBrackets(let text),
             .invalidIPv6(let text), .scopedIPv6(let text), .invalidHost(let text), .unresolvedHost(let text):
            return DisplayText.echo(text)
        }
    }

    public var description: String {
        switch self {
        case .missingPort:
            return "'\(shown)' has no port; write host:port, e.g. 203.0.113.1:51820 or [2001:db8::1]:51820"
        case .invalidPort:
            return "'\(shown)' is not a port; a port is a number from 1 to 65535"
        case .unbracketedIPv6:
            return "'\(shown)' looks like IPv6 without brackets; write [address]:port, e.g. [2001:db8::1]:51820"
        case .malformedBrackets:
            return "'\(shown)' is not [address]:port; close the bracket and follow it with :port"
        case .invalidIPv6:
            return "'\(shown)' inside [ ] is not an IPv6 address"
        case .scopedIPv6:
            return "'\(shown)' has a %zone suffix; scoped IPv6 endpoints are not supported"
        case .invalidHost:
            return "'\(shown)' is neither an IP address nor a valid DNS name"
        case .unresolvedHost:
            return "'\(shown)' is a hostname; this needs an IP address (resolve it first)"
        }
    }
}
