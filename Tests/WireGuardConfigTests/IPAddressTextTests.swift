import DataPlane
import Testing
import WireGuardConfig

@Suite struct IPAddressTextTests {
    @Test("IPv6 text round-trips to RFC 5952 form", arguments: [
        ("fd00::1", "fd00::1"),
        ("FD00:0:0:0:0:0:0:1", "fd00::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("64:ff9b::192.0.2.1", "64:ff9b::c000:201"),
        ("1::", "1::"),
    ])
    func ipv6Canonical(input: String, expected: String) throws {
        let address = try #require(IPAddressText.parseAddress(input))
        #expect(IPAddressText.format(address) == expected)
    }

    @Test("Malformed addresses are refused", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1::2::3", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
        "12345::", "g::1", "1:2:3:4:5:6:7::8", "::1.2.3", "1.2.3.4:",
    ])
    func refused(input: String) {
        #expect(IPAddressText.parseAddress(input) == nil)
    }

    @Test("Routes are masked; a bare address is a host route")
    func networks() throws {
        #expect(IPAddressText.format(try IPAddressText.parseNetwork("10.1.2.3/8")) == "10.0.0.0/8")
        #expect(IPAddressText.format(try IPAddressText.parseNetwork("fd00::1:2/64")) == "fd00::/64")
        #expect(IPAddressText.format(try IPAddressText.parseNetwork("10.1.2.3")) == "10.1.2.3/32")
        #expect(IPAddressText.format(try IPAddressText.parseNetwork("::/0")) == "::/0")
        #expect(throws: AddressParseError.prefixTooLong(33, maximum: 32)) {
            try IPAddressText.parseNetwork("10.0.0.0/33")
        }
        #expect(throws: AddressParseError.invalidPrefixLength("x")) { try IPAddressText.parseNetwork("10.0.0.0/x") }
        #expect(throws: AddressParseError.scopedAddress("fe80::1%eth0")) {
            try IPAddressText.parseNetwork("fe80::1%eth0/64")
        }
    }

    @Test("Endpoints: IPv4, bracketed IPv6 and unresolved names")
    func endpoints() throws {
        let v4 = try ConfigEndpoint(parsing: "203.0.113.1:51820")
        #expect(v4.resolved == Endpoint(address: .v4(IPv4Address(203, 0, 113, 1)), port: 51820))
        let v6 = try ConfigEndpoint(parsing: "[2001:DB8::1]:443")
        #expect(v6.description == "[2001:db8::1]:443")
        let name = try ConfigEndpoint(parsing: "vpn.example.com:51820")
        #expect(name.host == .name("vpn.example.com") && name.port == 51820 && name.resolved == nil)
        #expect(name.description == "vpn.example.com:51820")
        #expect(throws: EndpointParseError.unbracketedIPv6("2001:db8::1:51820")) {
            try ConfigEndpoint(parsing: "2001:db8::1:51820")
        }
        #expect(throws: EndpointParseError.missingPort("vpn.example.com")) {
            try ConfigEndpoint(parsing: "vpn.example.com")
        }
        #expect(throws: EndpointParseError.invalidPort("70000")) { try ConfigEndpoint(parsing: "1.2.3.4:70000") }
        #expect(throws: EndpointParseError.invalidPort("0")) { try ConfigEndpoint(parsing: "1.2.3.4:0") }
        #expect(throws: EndpointParseError.invalidHost("1.2.3")) { try ConfigEndpoint(parsing: "1.2.3:80") }
        #expect(throws: EndpointParseError.invalidHost("bad_host")) { try ConfigEndpoint(parsing: "bad_host:80") }
        #expect(throws: EndpointParseError.scopedIPv6("fe80::1%2")) { try ConfigEndpoint(parsing: "[fe80::1%2]:80") }
    }
}
