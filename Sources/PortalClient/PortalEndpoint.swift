/// A parsed `ws://` or `http://` portal address: host, port and path.
///
/// Parsed by hand rather than with Foundation's URL so each refusal names what is wrong in words an operator
/// can act on (a TLS scheme, a missing bracket around an IPv6 literal, a port out of range).
public struct PortalEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The schemes without TLS that the transport speaks.
    public enum Scheme: String, Sendable {
        case ws
        case http
    }

    public let scheme: Scheme
    /// A name or an IP literal, without brackets.
    public let host: String
    public let port: Int
    /// Starts with `/`; `/` when the address had none. The query string is dropped.
    public let path: String

    /// Parses `text`, accepting only `scheme` (the other TLS-less scheme and `wss`/`https` are refused).
    public init(parsing text: String, scheme expected: Scheme) throws(PortalClientError) {
        guard let separator = text.firstRange(of: "://") else {
            throw .invalidURL(text, reason: "expected \(expected.rawValue)://HOST:PORT")
        }
        let schemeText = text[..<separator.lowerBound].lowercased()
        if schemeText == "wss" || schemeText == "https" {
            throw .tlsNotSupported(text)
        }
        guard let scheme = Scheme(rawValue: schemeText), scheme == expected else {
            throw .unsupportedScheme(text, expected: expected.rawValue)
        }
        let rest = text[separator.upperBound...]
        let authorityEnd: Substring.Index = rest.firstIndex(where: { (c: Character) in "/?#".contains(c) })
            ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let pathPart = rest[authorityEnd...].prefix(while: { (c: Character) in !"?#".contains(c) })
        guard !authority.contains("@") else {
            throw .invalidURL(text, reason: "credentials in the address are not supported; use --token")
        }
        let hostPart: Substring
        let portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidURL(text, reason: "missing ']' after the IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                portPart = nil
            } else if after.hasPrefix(":") {
                portPart = after.dropFirst()
            } else {
                throw .invalidURL(text, reason: "unexpected text after the IPv6 address")
            }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else {
                throw .invalidURL(text, reason: "write an IPv6 address in brackets, e.g. ws://[::1]:8080")
            }
            if let colon = authority.firstIndex(of: ":") {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            } else {
                hostPart = authority
                portPart = nil
            }
        }
        guard !hostPart.isEmpty else { throw .invalidURL(text, reason: "no host") }
        var port = 80
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else {
                throw .invalidURL(text, reason: "port '\(portPart)' is not a number from 1 to 65535")
            }
            port = value
        }
        self.scheme = scheme
        self.host = String(hostPart)
        self.port = port
        self.path = pathPart.isEmpty ? "/" : String(pathPart)
    }

    /// Builds an endpoint from parts, e.g. to point at `/gateway` on a parsed portal address.
    public init(scheme: Scheme, host: String, port: Int, path: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    /// The same host and port with another path.
    public func with(path: String) -> PortalEndpoint {
        PortalEndpoint(scheme: scheme, host: host, port: port, path: path)
    }

    /// `HOST:PORT`, brackets around an IPv6 literal, for messages and the `Host` header.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public var description: String { "\(scheme.rawValue)://\(address)\(path)" }
}
