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

    /// Parses `--metrics-listen`'s value.
    public init(parsing text: String) throws(MetricsListenAddressError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else {
                throw .malformed(text, "an IPv6 host goes in brackets followed by :PORT, as in [::1]:9586")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .malformed(text, "expected HOST:PORT, as in 127.0.0.1:9586")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw .malformed(text, "put an IPv6 host in brackets, as in [::1]:9586")
            }
        }
        guard !hostPart.isEmpty else { throw .malformed(text, "the host is empty (use 0.0.0.0 for every address)") }
        guard let port = Int(portPart), (0...65535).contains(port) else {
            throw .malformed(text, "the port must be a number from 0 to 65535")
        }
        host = String(hostPart)
        self.port = port
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
