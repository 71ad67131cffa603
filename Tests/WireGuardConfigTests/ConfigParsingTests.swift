import DataPlane
import Testing
import WireGuardConfig

@Suite struct ConfigParsingTests {
    static let gateway = """
        # wg0.conf for the office gateway
        [Interface]
        Address = 10.200.100.8/24, fd42:42:42::8/64
        Address = 10.201.0.1/16
        ListenPort = 51820
        PrivateKey = \(TestKeys.interfacePrivate)
        DNS = 10.200.100.1, 1.1.1.1, corp.example.com
        MTU = 1420
        FwMark = 0x1234
        PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
        PostDown = iptables -D FORWARD -i %i -j ACCEPT
        SaveConfig = false

        [Peer]
        # laptop
        PublicKey = \(TestKeys.peerA)
        PresharedKey = \(TestKeys.preshared)
        AllowedIPs = 10.200.100.2/32, fd42:42:42::2/128
        AllowedIPs = 192.168.7.9/24
        Endpoint = 203.0.113.7:51820
        PersistentKeepalive = 25

        [peer]
        publickey=\(TestKeys.peerB)
        allowedips = 0.0.0.0/0, ::/0
        endpoint = vpn.example.com:51820   # resolved by whoever brings the tunnel up
        persistentkeepalive = off

        """

    @Test("A wg-quick style gateway config parses into typed values")
    func realisticFile() throws {
        let config = try WireGuardConfigFile.parse(Self.gateway, fileName: "wg0.conf")
        let interface = config.interface
        #expect(interface.privateKey == PrivateKey(raw: TestKeys.key(TestKeys.interfacePrivate)))
        #expect(interface.listenPort == 51820)
        #expect(interface.mtu == 1420)
        #expect(interface.firewallMark == 0x1234)
        #expect(interface.addresses.map(\.description) == ["10.200.100.8/24", "fd42:42:42::8/64", "10.201.0.1/16"])
        #expect(interface.addresses[0].network.description == "10.200.100.0/24")
        #expect(interface.dns == ["10.200.100.1", "1.1.1.1", "corp.example.com"])
        #expect(interface.postUp == [
            "iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
        ])
        #expect(interface.postDown == ["iptables -D FORWARD -i %i -j ACCEPT"])
        #expect(interface.preUp.isEmpty && interface.preDown.isEmpty && !interface.saveConfig)
        #expect(interface.line == 2)

        #expect(config.peers.count == 2)
        let laptop = config.peers[0]
        #expect(laptop.publicKey == PublicKey(raw: TestKeys.key(TestKeys.peerA)))
        #expect(laptop.presharedKey == PresharedKey(raw: TestKeys.key(TestKeys.preshared)))
        #expect(laptop.allowedIPs.map(IPAddressText.format) == [
            "10.200.100.2/32", "fd42:42:42::2/128", "192.168.7.0/24",
        ])
        #expect(laptop.endpoint?.resolved == Endpoint(address: .v4(IPv4Address(203, 0, 113, 7)), port: 51820))
        #expect(laptop.persistentKeepalive == 25)
        #expect(laptop.line == 14)

        let roaming = config.peers[1]
        #expect(roaming.publicKey == PublicKey(raw: TestKeys.key(TestKeys.peerB)))
        #expect(roaming.presharedKey == nil)
        #expect(roaming.allowedIPs.map(IPAddressText.format) == ["0.0.0.0/0", "::/0"])
        #expect(roaming.endpoint == ConfigEndpoint(host: .name("vpn.example.com"), port: 51820))
        #expect(roaming.persistentKeepalive == nil)

        #expect(config.warnings.map(\.key) == ["DNS", "PostUp", "PostDown", "SaveConfig"])
        #expect(config.warnings[0].description.hasPrefix("wg0.conf:7: DNS: "))
    }

    @Test("CRLF line endings, tabs and comments after values are handled")
    func crlfAndComments() throws {
        let text = "[Interface]\r\n\tPrivateKey\t=\t\(TestKeys.interfacePrivate) # key\r\n"
            + "ListenPort=0\r\n\r\n[Peer]\r\nPublicKey = \(TestKeys.peerA)\r\nAllowedIPs =\r\n"
        let config = try WireGuardConfigFile.parse(text, fileName: "crlf.conf")
        #expect(config.interface.listenPort == 0)
        #expect(config.peers.count == 1 && config.peers[0].allowedIPs.isEmpty)
        #expect(config.warnings.isEmpty)
    }

    @Test("A minimal config needs only a private key; zero preshared key and keepalive mean none")
    func minimal() throws {
        let text = """
            [Interface]
            PrivateKey = \(TestKeys.interfacePrivate)
            [Peer]
            PublicKey = \(TestKeys.peerA)
            PresharedKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
            PersistentKeepalive = 0
            """
        let config = try WireGuardConfigFile.parse(text, fileName: "min.conf")
        #expect(config.interface.listenPort == nil && config.interface.addresses.isEmpty)
        #expect(config.peers[0].presharedKey == nil && config.peers[0].persistentKeepalive == nil)
    }

    @Test("The same route on two peers is accepted with a warning naming both lines")
    func overlappingRoutes() throws {
        let text = """
            [Interface]
            PrivateKey = \(TestKeys.interfacePrivate)
            [Peer]
            PublicKey = \(TestKeys.peerA)
            AllowedIPs = 10.0.0.0/24
            [Peer]
            PublicKey = \(TestKeys.peerB)
            AllowedIPs = 10.0.0.7/24
            """
        let config = try WireGuardConfigFile.parse(text, fileName: "wg1.conf")
        #expect(config.warnings.map(\.description) == [
            "wg1.conf:8: AllowedIPs: 10.0.0.0/24 is also allowed for the [Peer] on line 3; "
                + "the later peer takes it, as in WireGuard",
        ])
    }
}
