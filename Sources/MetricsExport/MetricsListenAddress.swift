import WireGuardConfig

/// Where the metrics endpoint listens: `HOST:PORT`, with an IPv6 host in brackets (`[::1]:9586`).
public struct MetricsListenAddress: Equatable, Sendable, CustomStringConvertible {
    /// The host or address to bind, without brackets.
    public var host: String
    /// The TCP port; 0 picks a free one (tests).
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `--metrics-listen`'s value with the endpoint parser `Endpoint =` lines use: an IPv4 address, an
    /// IPv6 address in brackets or a host name, then `:PORT` (1-65535).
    public init(parsing text: String) throws(MetricsListenAddressError) {
        let endpoint: ConfigEndpoint
        do {
            endpoint = try ConfigEndpoint(parsing: text)
        } catch {
            throw .malformed(DisplayText.echo(text), error.description)
        }
        switch endpoint.host {
        case .address(let address): host = IPAddressText.format(address)
        case .name(let name): host = name
        }
        port = Int(endpoint.port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a `--metrics-listen` value or endpoint could not be used.
public enum MetricsListenAddressError: Error, Equatable, CustomStringConvertible {
    /// The text is not `HOST:PORT`; the second value says what is wrong.
    case malformed(String, String)

    public var description: String {
        switch self {
        case .malformed(let text, let problem): return "--metrics-listen '\(text)': \(problem)"
        }
    }
}
