import DataPlane

/// A parsed wg-quick style config file (`wg0.conf`): one `[Interface]` and any number of `[Peer]`s.
///
/// Parsing is pure: no file reads, no DNS, no clock. The caller reads the file, passes its text and
/// name, and gets typed values or a `ConfigError` naming the line to fix. Named `WireGuardConfigFile`
/// because `DataPlane.WireGuardConfiguration` already names the engine's timing constants.
public struct WireGuardConfigFile: Equatable, Sendable {
    /// The name given to `parse`, used in messages.
    public var fileName: String
    /// The `[Interface]` section.
    public var interface: InterfaceSection
    /// The `[Peer]` sections in file order.
    public var peers: [PeerSection]
    /// Accepted settings that do not configure the tunnel by themselves (wg-quick's DNS, hooks, ...).
    public var warnings: [ConfigWarning]

    /// A configuration from its parts.
    public init(fileName: String, interface: InterfaceSection, peers: [PeerSection] = [],
                warnings: [ConfigWarning] = []) {
        self.fileName = fileName
        self.interface = interface
        self.peers = peers
        self.warnings = warnings
    }

    /// Parses the text of a config file; `fileName` only labels errors and warnings.
    ///
    /// Follows `wg(8)` and wg-quick: section names and keys ignore case, `#` starts a comment anywhere on
    /// a line, spaces around `=` and list commas are ignored, and `Address`, `AllowedIPs`, `DNS` and the
    /// hooks may repeat. Stricter than them where a mistake would otherwise pass silently: unknown keys,
    /// single-valued keys given twice, and peers defined twice are errors.
    public static func parse(_ text: String, fileName: String) throws(ConfigError) -> WireGuardConfigFile {
        var parser = ConfigParser(fileName: fileName)
        return try parser.parse(text.utf8)
    }

    /// Parses the bytes of a config file as read from disk, as `wg` does: comments may hold bytes that are
    /// not UTF-8 (so may the wg-quick hooks, which are kept but not run); anywhere else such bytes are a
    /// ``ConfigError/invalidEncoding(_:key:)`` naming the line.
    public static func parse(bytes: some Collection<UInt8>, fileName: String) throws(ConfigError)
        -> WireGuardConfigFile
    {
        var parser = ConfigParser(fileName: fileName)
        return try parser.parse(bytes)
    }
}
