import DataPlane

/// The line-by-line state machine behind `WireGuardConfigFile.parse`.
struct ConfigParser {
    /// An `[Interface]` being read; fields stay optional until the section is complete.
    struct InterfaceDraft {
        var line: Int
        var seen: [InterfaceKey: Int] = [:]
        var privateKey: PrivateKey?
        var listenPort: UInt16?
        var firewallMark: UInt32?
        var addresses: [InterfaceAddress] = []
        var mtu: Int?
        var dns: [String] = []
        var table: String?
        var hooks: [InterfaceKey: [String]] = [:]
        var saveConfig = false
    }

    /// A `[Peer]` being read.
    struct PeerDraft {
        var line: Int
        var seen: [PeerKey: Int] = [:]
        var publicKey: PublicKey?
        var presharedKey: PresharedKey?
        var allowedIPs: [IPNetwork] = []
        var endpoint: ConfigEndpoint?
        var persistentKeepalive: UInt16?
    }

    let fileName: String
    var interface: InterfaceDraft?
    var currentPeer: PeerDraft?
    var inPeerSection = false
    var peers: [PeerSection] = []
    var peerLineByKey: [PublicKey: Int] = [:]
    var peerLineByNetwork: [IPNetwork: Int] = [:]
    var warnings: [ConfigWarning] = []

    init(fileName: String) {
        self.fileName = fileName
    }

    mutating func parse(_ bytes: some Collection<UInt8>) throws(ConfigError) -> WireGuardConfigFile {
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            // A comment may hold any bytes, as for wg: cut it before decoding ('#' is never inside a
            // multi-byte UTF-8 sequence).
            let content = rawLine.firstIndex(of: UInt8(ascii: "#")).map { rawLine[..<$0] } ?? rawLine[...]
            let decoded = String(validating: content, as: UTF8.self)
            let line = Self.trimmed(Substring(decoded ?? String(decoding: content, as: UTF8.self)))
            if line.isEmpty { continue }
            try parseLine(line, at: ConfigLocation(fileName: fileName, line: lineNumber), validUTF8: decoded != nil)
        }
        try finishPeer()
        guard let draft = interface else {
            throw .missingInterface(ConfigLocation(fileName: fileName, line: 1))
        }
        guard let privateKey = draft.privateKey else {
            throw .missingPrivateKey(ConfigLocation(fileName: fileName, line: draft.line))
        }
        let section = InterfaceSection(
            privateKey: privateKey, listenPort: draft.listenPort, firewallMark: draft.firewallMark,
            addresses: draft.addresses, mtu: draft.mtu, dns: draft.dns, table: draft.table,
            preUp: draft.hooks[.preUp] ?? [], postUp: draft.hooks[.postUp] ?? [],
            preDown: draft.hooks[.preDown] ?? [], postDown: draft.hooks[.postDown] ?? [],
            saveConfig: draft.saveConfig, line: draft.line)
        return WireGuardConfigFile(fileName: fileName, interface: section, peers: peers, warnings: warnings)
    }

    /// Parses one line without its comment; `validUTF8` is false when it was decoded with replacements.
    mutating func parseLine(_ line: Substring, at location: ConfigLocation,
                            validUTF8: Bool = true) throws(ConfigError) {
        if !validUTF8 {
            // Tolerated only in the wg-quick hooks, kept but never run here; anywhere else the bytes would
            // reach a value that matters.
            let key = line.firstIndex(of: "=").map { Self.trimmed(line[..<$0]) } ?? ""
            let interfaceKey = inPeerSection || interface == nil ? nil : InterfaceKey(matching: key)
            let hooks: [InterfaceKey] = [.preUp, .postUp, .preDown, .postDown]
            guard let interfaceKey, hooks.contains(interfaceKey) else {
                let name = interfaceKey?.rawValue ?? (inPeerSection ? PeerKey(matching: key)?.rawValue : nil)
                throw .invalidEncoding(location, key: name)
            }
        }
        if line.hasPrefix("[") {
            guard line.hasSuffix("]"), line.count >= 2 else { throw .malformedLine(location, text: String(line)) }
            let name = Self.trimmed(line.dropFirst().dropLast())
            switch name.lowercased() {
            case "interface":
                try finishPeer()
                inPeerSection = false
                if let existing = interface {
                    throw .duplicateInterface(location, firstLine: existing.line)
                }
                interface = InterfaceDraft(line: location.line)
            case "peer":
                try finishPeer()
                inPeerSection = true
                currentPeer = PeerDraft(line: location.line)
            default:
                throw .unknownSection(location, name: String(name))
            }
            return
        }
        guard let equals = line.firstIndex(of: "=") else { throw .malformedLine(location, text: String(line)) }
        let key = Self.trimmed(line[..<equals])
        let value = Self.trimmed(line[line.index(after: equals)...])
        guard !key.isEmpty else { throw .malformedLine(location, text: String(line)) }
        if inPeerSection {
            try parsePeerSetting(key: key, value: value, at: location)
        } else if interface != nil {
            try parseInterfaceSetting(key: key, value: value, at: location)
        } else {
            throw .keyOutsideSection(location, key: String(key))
        }
    }

    mutating func parseInterfaceSetting(key: Substring, value: Substring,
                                        at location: ConfigLocation) throws(ConfigError) {
        guard var draft = interface else { return }
        guard let setting = InterfaceKey(matching: key) else {
            throw .unknownKey(location, section: .interface, key: String(key))
        }
        let name = setting.rawValue
        switch setting {
        case .address, .dns, .preUp, .postUp, .preDown, .postDown:
            break  // these may repeat
        default:
            if let firstLine = draft.seen[setting] { throw .duplicateKey(location, key: name, firstLine: firstLine) }
        }
        draft.seen[setting] = location.line
        switch setting {
        case .privateKey:
            do {
                draft.privateKey = PrivateKey(raw: try Key32(base64: value))
            } catch {
                throw .invalidKey(location, key: name, error)
            }
        case .listenPort:
            guard let port = IPAddressText.parseDecimal(value, maximum: 65535) else {
                throw .invalidPort(location, key: name, value: String(value))
            }
            draft.listenPort = UInt16(port)
        case .fwMark:
            draft.firewallMark = try Self.parseFirewallMark(value, at: location)
        case .address:
            for entry in Self.listEntries(value) {
                do {
                    draft.addresses.append(try InterfaceAddress(parsing: entry))
                } catch {
                    throw .invalidAddress(location, key: name, error)
                }
            }
        case .mtu:
            guard let mtu = IPAddressText.parseDecimal(value, maximum: 65535), mtu >= 68 else {
                throw .invalidNumber(location, key: name, value: String(value), expected: "a number from 68 to 65535")
            }
            draft.mtu = mtu
        case .dns:
            draft.dns += Self.listEntries(value).filter { !$0.isEmpty }.map(String.init)
            warn(name, at: location, "a wg-quick setting; kept in `interface.dns`, the resolver is not changed here")
        case .table:
            draft.table = String(value)
            warn(name, at: location, "a wg-quick setting; kept in `interface.table`, no routes are set up here")
        case .preUp, .postUp, .preDown, .postDown:
            draft.hooks[setting, default: []].append(String(value))
            warn(name, at: location, "a wg-quick hook; the command is kept but not run")
        case .saveConfig:
            switch value.lowercased() {
            case "true": draft.saveConfig = true
            case "false": draft.saveConfig = false
            default: throw .invalidBoolean(location, key: name, value: String(value))
            }
            warn(name, at: location, "a wg-quick setting; kept in `interface.saveConfig`, nothing is written back")
        }
        interface = draft
    }

    mutating func parsePeerSetting(key: Substring, value: Substring,
                                   at location: ConfigLocation) throws(ConfigError) {
        guard var draft = currentPeer else { return }
        guard let setting = PeerKey(matching: key) else {
            throw .unknownKey(location, section: .peer, key: String(key))
        }
        let name = setting.rawValue
        if setting != .allowedIPs, let firstLine = draft.seen[setting] {
            throw .duplicateKey(location, key: name, firstLine: firstLine)
        }
        draft.seen[setting] = location.line
        switch setting {
        case .publicKey:
            do {
                draft.publicKey = PublicKey(raw: try Key32(base64: value))
            } catch {
                throw .invalidKey(location, key: name, error)
            }
        case .presharedKey:
            do {
                let key = try Key32(base64: value)
                draft.presharedKey = key.isZero ? nil : PresharedKey(raw: key)
            } catch {
                throw .invalidKey(location, key: name, error)
            }
        case .allowedIPs:
            for entry in Self.listEntries(value) {
                let network: IPNetwork
                do {
                    network = try IPAddressText.parseNetwork(entry)
                } catch {
                    throw .invalidAddress(location, key: name, error)
                }
                if !draft.allowedIPs.contains(network) { draft.allowedIPs.append(network) }
            }
        case .endpoint:
            do {
                draft.endpoint = try ConfigEndpoint(parsing: value)
            } catch {
                throw .invalidEndpoint(location, error)
            }
        case .persistentKeepalive:
            if value.lowercased() == "off" {
                draft.persistentKeepalive = nil
            } else if let seconds = IPAddressText.parseDecimal(value, maximum: 65535) {
                draft.persistentKeepalive = seconds == 0 ? nil : UInt16(seconds)
            } else {
                throw .invalidNumber(location, key: name, value: String(value),
                                     expected: "seconds from 0 to 65535, or off")
            }
        }
        currentPeer = draft
    }

    /// Completes the open `[Peer]`, if any: it needs a public key that no earlier peer used.
    mutating func finishPeer() throws(ConfigError) {
        guard let draft = currentPeer else { return }
        currentPeer = nil
        guard let publicKey = draft.publicKey else {
            throw .missingPublicKey(ConfigLocation(fileName: fileName, line: draft.line))
        }
        let keyLine = draft.seen[.publicKey] ?? draft.line
        if let firstLine = peerLineByKey[publicKey] {
            throw .duplicatePeer(ConfigLocation(fileName: fileName, line: keyLine),
                                 publicKey: publicKey.raw.base64, firstLine: firstLine)
        }
        peerLineByKey[publicKey] = draft.line
        for network in draft.allowedIPs {
            if let other = peerLineByNetwork[network] {
                warnings.append(ConfigWarning(
                    location: ConfigLocation(fileName: fileName, line: draft.seen[.allowedIPs] ?? draft.line),
                    key: PeerKey.allowedIPs.rawValue,
                    message: "\(IPAddressText.format(network)) is also allowed for the [Peer] on line \(other); "
                        + "the later peer takes it, as in WireGuard"))
            }
            peerLineByNetwork[network] = draft.line
        }
        peers.append(PeerSection(publicKey: publicKey, presharedKey: draft.presharedKey,
                                 allowedIPs: draft.allowedIPs, endpoint: draft.endpoint,
                                 persistentKeepalive: draft.persistentKeepalive, line: draft.line,
                                 publicKeyLine: keyLine, endpointLine: draft.seen[.endpoint]))
    }

    mutating func warn(_ key: String, at location: ConfigLocation, _ message: String) {
        warnings.append(ConfigWarning(location: location, key: key, message: message))
    }

    /// `off`, 0 (both: no mark), or a 32-bit number in decimal or `0x` hexadecimal, as `wg` accepts.
    static func parseFirewallMark(_ value: Substring, at location: ConfigLocation) throws(ConfigError) -> UInt32? {
        let expected = "off or a number from 0 to 4294967295 (decimal or 0x hex)"
        if value.lowercased() == "off" { return nil }
        let mark: UInt32?
        if value.lowercased().hasPrefix("0x") {
            mark = UInt32(value.dropFirst(2), radix: 16)
        } else {
            mark = IPAddressText.parseDecimal(value, maximum: UInt64(UInt32.max)).map { UInt32($0) }
        }
        guard let mark, !value.contains("+"), !value.contains("-") else {
            throw .invalidNumber(location, key: InterfaceKey.fwMark.rawValue, value: String(value), expected: expected)
        }
        return mark == 0 ? nil : mark
    }

    /// The comma-separated entries of a list value, each trimmed; an empty value has no entries.
    static func listEntries(_ value: Substring) -> [Substring] {
        guard !value.isEmpty else { return [] }
        return value.split(separator: ",", omittingEmptySubsequences: false).map { trimmed($0) }
    }

    /// `text` without leading and trailing whitespace (spaces, tabs, a CR from CRLF files).
    static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first.isWhitespace { result = result.dropFirst() }
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return result
    }
}
