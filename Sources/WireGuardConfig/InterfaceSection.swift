import DataPlane

/// The `[Interface]` section: this device's key and port, plus wg-quick's interface settings.
public struct InterfaceSection: Equatable, Sendable {
    /// `PrivateKey`: this device's static private key.
    public var privateKey: PrivateKey
    /// `ListenPort`: the UDP port to listen on; nil lets the system pick one (as does 0).
    public var listenPort: UInt16?
    /// `FwMark`: the mark set on outgoing UDP packets; nil when absent or `off`.
    public var firewallMark: UInt32?
    /// `Address`: addresses to assign to the interface, in file order, host bits kept.
    public var addresses: [InterfaceAddress]
    /// `MTU`: the tunnel MTU; nil lets the caller choose (wg-quick derives it from the route).
    public var mtu: Int?
    /// `DNS`: resolver addresses and search domains, as written (wg-quick hands them to resolvconf).
    public var dns: [String]
    /// `Table`: wg-quick's routing table choice (`off`, `auto` or a number), as written.
    public var table: String?
    /// `PreUp` commands, in file order; stored, never run by this module.
    public var preUp: [String]
    /// `PostUp` commands, in file order; stored, never run by this module.
    public var postUp: [String]
    /// `PreDown` commands, in file order; stored, never run by this module.
    public var preDown: [String]
    /// `PostDown` commands, in file order; stored, never run by this module.
    public var postDown: [String]
    /// `SaveConfig`: whether wg-quick would write the running config back on `down`.
    public var saveConfig: Bool
    /// The line of the `[Interface]` header, for messages about the section.
    public var line: Int

    /// An interface section; only the private key is required.
    public init(privateKey: PrivateKey, listenPort: UInt16? = nil, firewallMark: UInt32? = nil,
                addresses: [InterfaceAddress] = [], mtu: Int? = nil, dns: [String] = [], table: String? = nil,
                preUp: [String] = [], postUp: [String] = [], preDown: [String] = [], postDown: [String] = [],
                saveConfig: Bool = false, line: Int = 0) {
        self.privateKey = privateKey
        self.listenPort = listenPort
        self.firewallMark = firewallMark
        self.addresses = addresses
        self.mtu = mtu
        self.dns = dns
        self.table = table
        self.preUp = preUp
        self.postUp = postUp
        self.preDown = preDown
        self.postDown = postDown
        self.saveConfig = saveConfig
        self.line = line
    }
}
