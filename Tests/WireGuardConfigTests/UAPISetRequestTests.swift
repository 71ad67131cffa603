import DataPlane
import Testing
import WireGuardConfig

@Suite struct UAPISetRequestTests {
    /// What `wg setconf` / `wg set` write, one operation of every kind.
    static let request = """
        set=1
        private_key=\(TestKeys.interfacePrivateHex)
        listen_port=51820
        fwmark=0
        replace_peers=true
        public_key=\(TestKeys.peerAHex)
        preshared_key=\(TestKeys.presharedHex)
        endpoint=203.0.113.7:51820
        persistent_keepalive_interval=25
        replace_allowed_ips=true
        allowed_ip=10.200.100.2/32
        allowed_ip=fd42:42:42::2/128
        public_key=\(TestKeys.peerBHex)
        remove=true
        public_key=\(TestKeys.peerBHex)
        update_only=true
        preshared_key=\(TestKeys.zeroHex)
        endpoint=[2001:db8::1]:51820
        protocol_version=1
        allowed_ip=0.0.0.0/0


        """

    static let expected = UAPISetRequest(
        deviceOperations: [
            .privateKey(PrivateKey(raw: TestKeys.key(TestKeys.interfacePrivate))),
            .listenPort(51820),
            .firewallMark(0),
            .replacePeers,
        ],
        peers: [
            UAPIPeerUpdate(publicKey: PublicKey(raw: TestKeys.key(TestKeys.peerA)), operations: [
                .presharedKey(PresharedKey(raw: TestKeys.key(TestKeys.preshared))),
                .endpoint(Endpoint(address: .v4(IPv4Address(203, 0, 113, 7)), port: 51820)),
                .persistentKeepaliveInterval(25),
                .replaceAllowedIPs,
                .allowedIP(IPNetwork(.v4(IPv4Address(10, 200, 100, 2)), prefixLength: 32)!),
                .allowedIP(IPNetwork(.v6(IPv6Address(groups: [0xfd42, 0x42, 0x42, 0, 0, 0, 0, 2])),
                                     prefixLength: 128)!),
            ]),
            UAPIPeerUpdate(publicKey: PublicKey(raw: TestKeys.key(TestKeys.peerB)), operations: [.remove]),
            UAPIPeerUpdate(publicKey: PublicKey(raw: TestKeys.key(TestKeys.peerB)), operations: [
                .updateOnly,
                .presharedKey(nil),
                .endpoint(Endpoint(address: .v6(IPv6Address(groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])), port: 51820)),
                .protocolVersion(1),
                .allowedIP(IPNetwork(.v4(IPv4Address(0, 0, 0, 0)), prefixLength: 0)!),
            ]),
        ])

    @Test("A wg-style set request parses into ordered typed operations and serializes back byte for byte")
    func roundTrip() throws {
        let parsed = try UAPIRequest.parse(Array(Self.request.utf8))
        #expect(parsed == .set(Self.expected))
        #expect(parsed.serialized == Self.request)
        #expect(try UAPIRequest.parse(Array(Self.expected.serialized.utf8)) == .set(Self.expected))
    }

    @Test("Host bits in allowed_ip are cleared and uppercase hex keys are accepted")
    func normalization() throws {
        let text = "set=1\npublic_key=\(TestKeys.peerAHex.uppercased())\nallowed_ip=10.1.2.3/8\n\n"
        guard case .set(let request) = try UAPIRequest.parse(Array(text.utf8)) else {
            Issue.record("not a set request")
            return
        }
        #expect(request.peers[0].publicKey == PublicKey(raw: TestKeys.key(TestKeys.peerA)))
        #expect(request.serialized == "set=1\npublic_key=\(TestKeys.peerAHex)\nallowed_ip=10.0.0.0/8\n\n")
    }

    static let a = "public_key=\(TestKeys.peerAHex)\n"
    /// A request, the errno it must map to, and the expected description.
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var errno: Int32
        var message: String
        var testDescription: String { message }
    }

    static let errorCases: [Case] = rawErrorCases.map { Case(text: $0.0, errno: $0.1, message: $0.2) }

    static let rawErrorCases: [(String, Int32, String)] = [
        ("set=1\nlisten_port=70000\n\n", UAPIErrno.invalidArgument,
         "UAPI line 2: listen_port=70000: expected a decimal number from 0 to 65535"),
        ("set=1\nfwmark=-1\n\n", UAPIErrno.invalidArgument,
         "UAPI line 2: fwmark=-1: expected a decimal number from 0 to 4294967295"),
        ("set=1\nprivate_key=abcd\n\n", UAPIErrno.invalidArgument,
         "UAPI line 2: private_key=abcd: a key is 64 hex digits; got 4"),
        ("set=1\npublic_key=\(String(repeating: "g", count: 64))\n\n", UAPIErrno.invalidArgument,
         "UAPI line 2: public_key=\(String(repeating: "g", count: 64)): a key is 64 hex digits; "
            + "found a character that is not 0-9 or a-f"),
        ("set=1\nbogus\n\n", UAPIErrno.protocolError, "UAPI line 2: 'bogus' is not key=value"),
        ("set=1\nremove=true\n\n", UAPIErrno.invalidArgument,
         "UAPI line 2: 'remove' is not a valid key before the first public_key"),
        ("set=1\n" + a + "listen_port=1\n\n", UAPIErrno.invalidArgument,
         "UAPI line 3: 'listen_port' is not a valid key in a peer (after public_key)"),
        ("set=1\nreplace_peers=false\n\n", UAPIErrno.invalidArgument,
         "UAPI line 2: replace_peers=false: the only valid value is true"),
        ("set=1\n" + a + "endpoint=vpn.example.com:51820\n\n", UAPIErrno.invalidArgument,
         "UAPI line 3: endpoint=vpn.example.com:51820: 'vpn.example.com:51820' is a hostname; "
            + "this needs an IP address (resolve it first)"),
        ("set=1\n" + a + "allowed_ip=10.0.0.1\n\n", UAPIErrno.invalidArgument,
         "UAPI line 3: allowed_ip=10.0.0.1: expected address/length, e.g. 10.0.0.0/24"),
        ("set=1\n" + a + "allowed_ip=10.0.0.0/40\n\n", UAPIErrno.invalidArgument,
         "UAPI line 3: allowed_ip=10.0.0.0/40: prefix length /40 is too long; this address family allows at most /32"),
        ("set=1\n" + a + "protocol_version=2\n\n", UAPIErrno.invalidArgument,
         "UAPI line 3: protocol_version=2: the only protocol version is 1"),
        ("get=1\nfoo=bar\n\n", UAPIErrno.invalidArgument,
         "UAPI line 2: 'foo=bar' after get=1; a get request is get=1 and a blank line"),
        ("put=1\n\n", UAPIErrno.protocolError, "unknown UAPI operation 'put=1'; a request starts with get=1 or set=1"),
        ("set=1\nlisten_port=1\n", UAPIErrno.protocolError, "the UAPI message ended before its terminating blank line"),
    ]

    @Test("Refused requests map to the errno the protocol reports", arguments: errorCases)
    func errors(_ testCase: Case) {
        let (text, errno, message) = (testCase.text, testCase.errno, testCase.message)
        do {
            let request = try UAPIRequest.parse(Array(text.utf8))
            Issue.record("parsed but should fail: \(request)")
        } catch {
            #expect(error.errno == errno)
            #expect(error.description == message)
            #expect(UAPIResponse.status(for: error) == "errno=-\(errno)\n\n")
        }
    }

    @Test("Status lines: errno=0 on success, the negated errno on failure, as wireguard-go writes them")
    func statusLines() {
        #expect(UAPIResponse.status(for: nil) == "errno=0\n\n")
        #expect(UAPIErrno.invalidArgument == 22)
        #expect(UAPIResponse.status(for: .unknownKey(line: 2, key: "x", scope: .device)) == "errno=-22\n\n")
        #expect(UAPIResponse.status(for: .applyFailed(errno: UAPIErrno.addressInUse, reason: "port taken"))
            == "errno=-\(UAPIErrno.addressInUse)\n\n")
    }
}
