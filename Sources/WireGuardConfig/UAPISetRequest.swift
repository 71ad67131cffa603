import DataPlane

/// A parsed `set=1` request: device operations, then per-peer operations, each in request order.
///
/// The protocol only allows device keys before the first `public_key`, so two ordered lists represent
/// any valid request exactly, and `serialized` writes it back byte for byte as `wg set` would send it.
public struct UAPISetRequest: Hashable, Sendable {
    /// Lines before the first `public_key`.
    public var deviceOperations: [UAPIDeviceOperation]
    /// One entry per `public_key` line, in request order (a key may appear more than once).
    public var peers: [UAPIPeerUpdate]

    /// A request from its parts.
    public init(deviceOperations: [UAPIDeviceOperation] = [], peers: [UAPIPeerUpdate] = []) {
        self.deviceOperations = deviceOperations
        self.peers = peers
    }

    /// The request on the wire: `set=1`, one `key=value` line per operation, then a blank line.
    public var serialized: String {
        var out = "set=1\n"
        for operation in deviceOperations {
            switch operation {
            case .privateKey(let key): out += "private_key=\(HexKey.encode(key?.raw ?? Key32(bytes: .zero)))\n"
            case .listenPort(let port): out += "listen_port=\(port)\n"
            case .firewallMark(let mark): out += "fwmark=\(mark)\n"
            case .replacePeers: out += "replace_peers=true\n"
            }
        }
        for peer in peers {
            out += "public_key=\(HexKey.encode(peer.publicKey.raw))\n"
            for operation in peer.operations {
                switch operation {
                case .remove: out += "remove=true\n"
                case .updateOnly: out += "update_only=true\n"
                case .presharedKey(let key):
                    out += "preshared_key=\(HexKey.encode(key?.raw ?? Key32(bytes: .zero)))\n"
                case .endpoint(let endpoint): out += "endpoint=\(IPAddressText.format(endpoint))\n"
                case .persistentKeepaliveInterval(let seconds): out += "persistent_keepalive_interval=\(seconds)\n"
                case .replaceAllowedIPs: out += "replace_allowed_ips=true\n"
                case .allowedIP(let network): out += "allowed_ip=\(IPAddressText.format(network))\n"
                case .protocolVersion(let version): out += "protocol_version=\(version)\n"
                }
            }
        }
        return out + "\n"
    }

    /// Parses the `key=value` lines after `set=1` (without the terminating blank line).
    ///
    /// `firstLineNumber` is the request line number of `lines[0]` (2 when `set=1` is line 1), so errors
    /// point at the right line. Rules follow wireguard-go: booleans must be `true`, numbers are plain
    /// decimal, keys are hex, and device keys after the first `public_key` are unknown peer keys.
    public static func parse(lines: [Substring], firstLineNumber: Int = 2) throws(UAPIError) -> UAPISetRequest {
        var request = UAPISetRequest()
        var lineNumber = firstLineNumber - 1
        for line in lines {
            lineNumber += 1
            guard let equals = line.firstIndex(of: "=") else {
                throw .malformedLine(line: lineNumber, text: String(line))
            }
            let key = String(line[..<equals])
            let value = line[line.index(after: equals)...]
            let field = UAPIField(line: lineNumber, key: key, value: value)
            if key == "public_key" {
                request.peers.append(UAPIPeerUpdate(publicKey: PublicKey(raw: try field.hexKey())))
                continue
            }
            if request.peers.isEmpty {
                request.deviceOperations.append(try parseDeviceOperation(field))
            } else {
                request.peers[request.peers.count - 1].operations.append(try parsePeerOperation(field))
            }
        }
        return request
    }

    static func parseDeviceOperation(_ field: UAPIField) throws(UAPIError) -> UAPIDeviceOperation {
        switch field.key {
        case "private_key":
            let key = try field.hexKey()
            return .privateKey(key.isZero ? nil : PrivateKey(raw: key))
        case "listen_port": return .listenPort(UInt16(try field.number(maximum: UInt64(UInt16.max))))
        case "fwmark": return .firewallMark(UInt32(try field.number(maximum: UInt64(UInt32.max))))
        case "replace_peers":
            try field.requireTrue()
            return .replacePeers
        default:
            throw .unknownKey(line: field.line, key: field.key, scope: .device)
        }
    }

    static func parsePeerOperation(_ field: UAPIField) throws(UAPIError) -> UAPIPeerOperation {
        switch field.key {
        case "remove":
            try field.requireTrue()
            return .remove
        case "update_only":
            try field.requireTrue()
            return .updateOnly
        case "preshared_key":
            let key = try field.hexKey()
            return .presharedKey(key.isZero ? nil : PresharedKey(raw: key))
        case "endpoint": return .endpoint(try field.endpoint())
        case "persistent_keepalive_interval":
            return .persistentKeepaliveInterval(UInt16(try field.number(maximum: UInt64(UInt16.max))))
        case "replace_allowed_ips":
            try field.requireTrue()
            return .replaceAllowedIPs
        case "allowed_ip": return .allowedIP(try field.network())
        case "protocol_version":
            guard field.value == "1" else {
                throw field.invalid("the only protocol version is 1")
            }
            return .protocolVersion(1)
        default:
            throw .unknownKey(line: field.line, key: field.key, scope: .peer)
        }
    }
}
