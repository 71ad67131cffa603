/// A setting that was accepted but that configuring the tunnel itself does not use.
///
/// wg-quick settings such as `DNS` or `PostUp` are stored in `InterfaceSection` so a caller may act on
/// them, but they do nothing by themselves; a warning tells the operator so instead of failing a file
/// that works with wg-quick.
public struct ConfigWarning: Hashable, Sendable, CustomStringConvertible {
    /// Where the setting is.
    public var location: ConfigLocation
    /// The setting's canonical name, e.g. `PostUp`.
    public var key: String
    /// What happens to it.
    public var message: String

    /// A warning about `key` at `location`.
    public init(location: ConfigLocation, key: String, message: String) {
        self.location = location
        self.key = key
        self.message = message
    }

    /// `wg0.conf:5: PostUp: ...`.
    public var description: String { "\(location): \(key): \(message)" }
}
