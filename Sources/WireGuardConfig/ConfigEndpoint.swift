import DataPlane

/// A peer endpoint as written in a config file: an IP address or a not-yet-resolved DNS name, and a port.
///
/// The parser does no I/O, so `vpn.example.com:51820` is kept as a name; whoever brings the tunnel up
/// resolves it (as `wg` does when it reads the file) and gets a `DataPlane.Endpoint` from `resolved` or
/// `resolved(to:)`.
public struct ConfigEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// What precedes the port.
    public enum Host: Hashable, Sendable {
        /// An IP literal, usable without resolution.
        case address(IPAddress)
        /// A DNS name, stored as written (lowercased only by the resolver, if at all).
        case name(String)
    }

    /// The address or name.
    public var host: Host
    /// The UDP port, 1...65535.
    public var port: UInt16

    /// An endpoint from its parts.
    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `203.0.113.1:51820`, `[2001:db8::1]:51820` or `vpn.example.com:51820`.
    public init(parsing text: some StringProtocol) throws(EndpointParseError) {
        let value = String(text)
        let hostText: Substring
        let portText: Substring
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { throw .malformedBrackets(value) }
            hostText = value[value.index(after: value.startIndex)..<close]
            let rest = value[value.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw rest.isEmpty ? .missingPort(value) : .malformedBrackets(value)
            }
            portText = rest.dropFirst()
            if hostText.contains("%") { throw .scopedIPv6(String(hostText)) }
            guard let address = IPAddressText.parseIPv6(Array(hostText.utf8)[...]) else {
                throw .invalidIPv6(String(hostText))
            }
            self.host = .address(.v6(address))
        } else {
            guard let colon = value.lastIndex(of: ":") else { throw .missingPort(value) }
            hostText = value[..<colon]
            portText = value[value.index(after: colon)...]
            if hostText.contains(":") { throw .unbracketedIPv6(value) }
            self.host = try Self.parseHost(hostText)
        }
        guard let port = IPAddressText.parseDecimal(portText, maximum: 65535), port > 0 else {
            throw portText.isEmpty ? .missingPort(value) : .invalidPort(String(portText))
        }
        self.port = UInt16(port)
    }

    /// The endpoint as `DataPlane` uses it, or nil while the host is still a name.
    public var resolved: Endpoint? {
        guard case .address(let address) = host else { return nil }
        return Endpoint(address: address, port: port)
    }

    /// The endpoint with its name replaced by `address`, the result of resolving it.
    public func resolved(to address: IPAddress) -> Endpoint {
        Endpoint(address: address, port: port)
    }

    /// `203.0.113.1:51820`, `[2001:db8::1]:51820` or `vpn.example.com:51820`.
    public var description: String {
        switch host {
        case .address(let address): return IPAddressText.format(Endpoint(address: address, port: port))
        case .name(let name): return "\(name):\(port)"
        }
    }

    /// An IPv4 literal or an RFC 1123 host name; all-numeric names are refused as malformed IPv4.
    static func parseHost(_ text: Substring) throws(EndpointParseError) -> Host {
        if let v4 = IPAddressText.parseIPv4(Array(text.utf8)[...]) { return .address(.v4(v4)) }
        let name = text.hasSuffix(".") ? text.dropLast() : text
        guard !name.isEmpty, name.utf8.count <= 253 else { throw .invalidHost(String(text)) }
        var allNumeric = true
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-" else {
                throw .invalidHost(String(text))
            }
            for byte in label.utf8 {
                let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                let isLetter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                guard isDigit || isLetter || byte == UInt8(ascii: "-") else { throw .invalidHost(String(text)) }
                if !isDigit { allNumeric = false }
            }
        }
        guard !allNumeric else { throw .invalidHost(String(text)) }
        return .name(String(text))
    }
}
