import DataPlane
import Testing
import WireGuardConfig

@Suite struct ConfigToUAPITests {
    @Test("A config file becomes the set request wg setconf sends; hostnames go through the resolver")
    func setconfRequest() throws {
        let config = try WireGuardConfigFile.parse(ConfigParsingTests.gateway, fileName: "wg0.conf")
        var asked: [String] = []
        let request = config.uapiSetRequest { (host: String, port: UInt16) -> Endpoint in
            asked.append("\(host):\(port)")
            return Endpoint(address: .v4(IPv4Address(198, 51, 100, 9)), port: port)
        }
        #expect(asked == ["vpn.example.com:51820"])
        #expect(request.serialized == """
            set=1
            private_key=\(TestKeys.interfacePrivateHex)
            listen_port=51820
            fwmark=4660
            replace_peers=true
            public_key=\(TestKeys.peerAHex)
            preshared_key=\(TestKeys.presharedHex)
            endpoint=203.0.113.7:51820
            persistent_keepalive_interval=25
            replace_allowed_ips=true
            allowed_ip=10.200.100.2/32
            allowed_ip=fd42:42:42::2/128
            allowed_ip=192.168.7.0/24
            public_key=\(TestKeys.peerBHex)
            endpoint=198.51.100.9:51820
            replace_allowed_ips=true
            allowed_ip=0.0.0.0/0
            allowed_ip=::/0


            """)
    }

    struct NoSuchHost: Error, Equatable {}

    @Test("A resolver error aborts the conversion with the resolver's own typed error")
    func resolverFailure() throws {
        let config = try WireGuardConfigFile.parse(ConfigParsingTests.gateway, fileName: "wg0.conf")
        #expect(throws: NoSuchHost()) {
            try config.uapiSetRequest { (_: String, _: UInt16) throws(NoSuchHost) -> Endpoint in throw NoSuchHost() }
        }
    }
}
