/// The settings of a `[Peer]` section, spelled as `wg(8)` documents them.
enum PeerKey: String, CaseIterable {
    case publicKey = "PublicKey"
    case presharedKey = "PresharedKey"
    case allowedIPs = "AllowedIPs"
    case endpoint = "Endpoint"
    case persistentKeepalive = "PersistentKeepalive"

    /// Matches `key` ignoring ASCII case, as `wg` does.
    init?(matching key: Substring) {
        let lowered = key.lowercased()
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        self = match
    }

    static var allNames: [String] { allCases.map(\.rawValue) }
}
