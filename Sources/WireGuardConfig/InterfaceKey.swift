/// The settings of an `[Interface]` section, spelled as wg-quick documents them.
enum InterfaceKey: String, CaseIterable {
    case privateKey = "PrivateKey"
    case listenPort = "ListenPort"
    case fwMark = "FwMark"
    case address = "Address"
    case mtu = "MTU"
    case dns = "DNS"
    case table = "Table"
    case preUp = "PreUp"
    case postUp = "PostUp"
    case preDown = "PreDown"
    case postDown = "PostDown"
    case saveConfig = "SaveConfig"

    /// Matches `key` ignoring ASCII case, as `wg` and wg-quick do.
    init?(matching key: Substring) {
        let lowered = key.lowercased()
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        self = match
    }

    static var allNames: [String] { allCases.map(\.rawValue) }
}
