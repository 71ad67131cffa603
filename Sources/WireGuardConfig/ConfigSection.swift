/// The two section kinds of a WireGuard config file.
public enum ConfigSection: String, Hashable, Sendable, CustomStringConvertible {
    /// `[Interface]`: this device.
    case interface = "Interface"
    /// `[Peer]`: one remote peer.
    case peer = "Peer"

    /// `[Interface]` or `[Peer]`, as written in the file.
    public var description: String { "[\(rawValue)]" }
}
