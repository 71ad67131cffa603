import WireGuardConfig

/// The rules for a TUN device name, checked before anything is created.
enum InterfaceName {
    static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=+.-")

    /// `name` if the kernel (IFNAMSIZ) and `wg` accept it.
    static func validate(_ name: String) throws(FZCtlError) -> String {
        guard (1...15).contains(name.count), name.allSatisfy({ allowed.contains($0) }) else {
            throw .invalidInput("interface name '\(DisplayText.echo(name))' is invalid: "
                + "1 to 15 letters, digits or _=+.- (use --interface NAME)")
        }
        return name
    }
}
