import DataPlane

/// Why a WireGuard config file was refused; every case carries the file and line it is about.
///
/// `description` is one line, `file:line: Key: problem`, so `fzctl up` can print it as is and the
/// operator knows where to look and what a valid value is.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A line that is neither `[Section]`, `Key = Value`, a comment nor blank.
    case malformedLine(ConfigLocation, text: String)
    /// A `[Name]` header other than `[Interface]` or `[Peer]`.
    case unknownSection(ConfigLocation, name: String)
    /// A second `[Interface]` section.
    case duplicateInterface(ConfigLocation, firstLine: Int)
    /// A `Key = Value` line before any section header.
    case keyOutsideSection(ConfigLocation, key: String)
    /// A key this section does not have.
    case unknownKey(ConfigLocation, section: ConfigSection, key: String)
    /// A single-valued key given twice in one section.
    case duplicateKey(ConfigLocation, key: String, firstLine: Int)
    /// A base64 key that does not decode to 32 bytes.
    case invalidKey(ConfigLocation, key: String, KeyParseError)
    /// A bad entry in `Address` or `AllowedIPs`.
    case invalidAddress(ConfigLocation, key: String, AddressParseError)
    /// A bad `Endpoint`.
    case invalidEndpoint(ConfigLocation, EndpointParseError)
    /// A `ListenPort` that is not 0...65535.
    case invalidPort(ConfigLocation, key: String, value: String)
    /// A number outside its range, or a word where a number belongs (`MTU`, `PersistentKeepalive`, `FwMark`).
    case invalidNumber(ConfigLocation, key: String, value: String, expected: String)
    /// A `SaveConfig` that is not `true` or `false`.
    case invalidBoolean(ConfigLocation, key: String, value: String)
    /// The file has no `[Interface]` section.
    case missingInterface(ConfigLocation)
    /// The `[Interface]` section (at this location) has no `PrivateKey`.
    case missingPrivateKey(ConfigLocation)
    /// The `[Peer]` section (at this location) has no `PublicKey`.
    case missingPublicKey(ConfigLocation)
    /// Two `[Peer]` sections with the same `PublicKey`.
    case duplicatePeer(ConfigLocation, publicKey: String, firstLine: Int)
    /// Bytes that are not UTF-8 outside a comment, in the setting `key` (nil: not in a `Key = Value` line).
    case invalidEncoding(ConfigLocation, key: String?)

    /// The file and line the error is about.
    public var location: ConfigLocation {
        switch self {
        case .malformedLine(let location, _), .unknownSection(let location, _),
             .duplicateInterface(let location, _), .keyOutsideSection(let location, _),
             .unknownKey(let location, _, _), .duplicateKey(let location, _, _),
             .invalidKey(let location, _, _), .invalidAddress(let location, _, _),
             .invalidEndpoint(let location, _), .invalidPort(let location, _, _),
             .invalidNumber(let location, _, _, _), .invalidBoolean(let location, _, _),
             .missingInterface(let location), .missingPrivateKey(let location),
             .missingPublicKey(let location), .duplicatePeer(let location, _, _),
             .invalidEncoding(let location, _):
            return location
        }
    }

    /// `wg0.conf:7: PublicKey: a key is 44 base64 characters ...`, with control characters escaped.
    public var description: String {
        DisplayText.escaped("\(location): \(problem)")
    }

    /// The message without the location; echoed text from the file is escaped and shortened.
    public var problem: String {
        switch self {
        case .malformedLine(_, let text):
            return "'\(DisplayText.echo(text))' is not a setting; "
                + "write `Key = Value`, a `[Section]` header, or a `#` comment"
        case .unknownSection(_, let name):
            return "unknown section [\(DisplayText.echo(name))]; "
                + "a WireGuard config has only [Interface] and [Peer] sections"
        case .duplicateInterface(_, let firstLine):
            return "a second [Interface] section (the first is on line \(firstLine)); merge them into one"
        case .keyOutsideSection(_, let key):
            return "\(DisplayText.echo(key)): a setting before any section; put it under [Interface] or [Peer]"
        case .unknownKey(_, let section, let key):
            let known = (section == .interface ? InterfaceKey.allNames : PeerKey.allNames).joined(separator: ", ")
            return "\(DisplayText.echo(key)): not a \(section) setting; the valid ones are \(known)"
        case .duplicateKey(_, let key, let firstLine):
            return "\(key): given twice in this section (first on line \(firstLine)); keep only one"
        case .invalidKey(_, let key, let error):
            return "\(key): \(error)"
        case .invalidAddress(_, let key, let error):
            return "\(key): \(error)"
        case .invalidEndpoint(_, let error):
            return "Endpoint: \(error)"
        case .invalidPort(_, let key, let value):
            return "\(key): '\(DisplayText.echo(value))' is not a port; "
                + "write a number from 0 to 65535 (0 picks a random port)"
        case .invalidNumber(_, let key, let value, let expected):
            return "\(key): '\(DisplayText.echo(value))' is not valid; expected \(expected)"
        case .invalidBoolean(_, let key, let value):
            return "\(key): '\(DisplayText.echo(value))' is not valid; write true or false"
        case .missingInterface:
            return "no [Interface] section; add one with at least a PrivateKey"
        case .missingPrivateKey:
            return "this [Interface] has no PrivateKey; add `PrivateKey = ...` (generate one with `fzctl genkey`)"
        case .missingPublicKey:
            return "this [Peer] has no PublicKey; add `PublicKey = ...` (the peer's `wg pubkey` output)"
        case .duplicatePeer(_, let publicKey, let firstLine):
            return "PublicKey: peer \(publicKey) is already defined by the [Peer] on line \(firstLine); "
                + "merge the two sections"
        case .invalidEncoding(_, let key):
            let what = key.map { "\($0): the value" } ?? "this line"
            return "\(what) has bytes that are not UTF-8 text; a config file is UTF-8 (or ASCII) text, "
                + "only comments may hold other bytes"
        }
    }
}
