import DataPlane
import Testing
import WireGuardConfig

@Suite struct ConfigErrorTests {
    static let interface = "[Interface]\nPrivateKey = \(TestKeys.interfacePrivate)\n"
    static let peer = "[Peer]\nPublicKey = \(TestKeys.peerA)\n"

    /// A file, the line its error must name, and the expected message after `file:line: `.
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var message: String
        var testDescription: String { "line \(line): \(message)" }
    }

    static let cases: [Case] = rawCases.map { Case(text: $0.0, line: $0.1, message: $0.2) }

    static let rawCases: [(String, Int, String)] = [
        ("[Interface]\nPrivateKey = abc==\n", 2,
         "PrivateKey: a key is 44 base64 characters ending in '=' (as `wg genkey` prints it); got 5 characters"),
        (interface + "[Peer]\nPublicKey = abcde\n", 4,
         "PublicKey: a key is 44 base64 characters ending in '=' (as `wg genkey` prints it); got 5 characters"),
        (interface + "[Peer]\nPublicKey = \(String(repeating: "!", count: 43))=\n", 4,
         "PublicKey: a key is base64; '!' is not a base64 character"),
        (interface + "[Wireguard]\n", 3,
         "unknown section [Wireguard]; a WireGuard config has only [Interface] and [Peer] sections"),
        ("ListenPort = 1\n" + interface, 1,
         "ListenPort: a setting before any section; put it under [Interface] or [Peer]"),
        (interface + "Listen = 1\n", 3,
         "Listen: not a [Interface] setting; the valid ones are PrivateKey, ListenPort, FwMark, Address, MTU, DNS, "
            + "Table, PreUp, PostUp, PreDown, PostDown, SaveConfig"),
        (interface + peer + "Keepalive = 5\n", 5,
         "Keepalive: not a [Peer] setting; the valid ones are PublicKey, PresharedKey, AllowedIPs, Endpoint, "
            + "PersistentKeepalive"),
        (interface + "privatekey = \(TestKeys.peerA)\n", 3,
         "PrivateKey: given twice in this section (first on line 2); keep only one"),
        (interface + "ListenPort = 1\nListenPort = 2\n", 4,
         "ListenPort: given twice in this section (first on line 3); keep only one"),
        (interface + peer + "Endpoint = 1.2.3.4:5\nEndpoint = 1.2.3.4:6\n", 6,
         "Endpoint: given twice in this section (first on line 5); keep only one"),
        (interface + interface, 3, "a second [Interface] section (the first is on line 1); merge them into one"),
        ("# nothing\n" + peer, 1, "no [Interface] section; add one with at least a PrivateKey"),
        ("\n[Interface]\nListenPort = 5\n" + peer, 2,
         "this [Interface] has no PrivateKey; add `PrivateKey = ...` (generate one with `fzctl genkey`)"),
        (interface + "\n[Peer]\nAllowedIPs = 10.0.0.0/8\n", 4,
         "this [Peer] has no PublicKey; add `PublicKey = ...` (the peer's `wg pubkey` output)"),
        (interface + peer + "\n[Peer]\n# again\nPublicKey = \(TestKeys.peerA)\n", 8,
         "PublicKey: peer \(TestKeys.peerA) is already defined by the [Peer] on line 3; merge the two sections"),
        (interface + peer + "AllowedIPs = 10.0.0.0/8, 10.1.0.0/33\n", 5,
         "AllowedIPs: prefix length /33 is too long; this address family allows at most /32"),
        (interface + peer + "AllowedIPs = fd00::/129\n", 5,
         "AllowedIPs: prefix length /129 is too long; this address family allows at most /128"),
        (interface + peer + "AllowedIPs = 10.0.0.0/8,,10.1.0.0/16\n", 5,
         "AllowedIPs: an empty entry; remove the stray comma or write an address such as 10.0.0.1/32"),
        (interface + "Address = 10.0.0.300/24\n", 3,
         "Address: '10.0.0.300' is not an IP address; write IPv4 as 10.0.0.1 and IPv6 as fd00::1"),
        (interface + "ListenPort = 65536\n", 3,
         "ListenPort: '65536' is not a port; write a number from 0 to 65535 (0 picks a random port)"),
        (interface + "ListenPort = -1\n", 3,
         "ListenPort: '-1' is not a port; write a number from 0 to 65535 (0 picks a random port)"),
        (interface + peer + "Endpoint = 1.2.3.4:99999\n", 5,
         "Endpoint: '99999' is not a port; a port is a number from 1 to 65535"),
        (interface + peer + "Endpoint = fd00::1:51820\n", 5,
         "Endpoint: 'fd00::1:51820' looks like IPv6 without brackets; write [address]:port, e.g. [2001:db8::1]:51820"),
        (interface + peer + "PersistentKeepalive = 70000\n", 5,
         "PersistentKeepalive: '70000' is not valid; expected seconds from 0 to 65535, or off"),
        (interface + "MTU = big\n", 3, "MTU: 'big' is not valid; expected a number from 68 to 65535"),
        (interface + "SaveConfig = yes\n", 3, "SaveConfig: 'yes' is not valid; write true or false"),
        (interface + "FwMark = 0xfffffffff\n", 3,
         "FwMark: '0xfffffffff' is not valid; expected off or a number from 0 to 4294967295 (decimal or 0x hex)"),
        (interface + "just some words\n", 3,
         "'just some words' is not a setting; write `Key = Value`, a `[Section]` header, or a `#` comment"),
        (interface + "[Peer\n", 3,
         "'[Peer' is not a setting; write `Key = Value`, a `[Section]` header, or a `#` comment"),
    ]

    @Test("Every error names file:line and what to fix", arguments: cases)
    func namesFileAndLine(_ testCase: Case) {
        let (text, line, message) = (testCase.text, testCase.line, testCase.message)
        do {
            let config = try WireGuardConfigFile.parse(text, fileName: "wg0.conf")
            Issue.record("parsed but should fail at line \(line): \(config)")
        } catch {
            #expect(error.location == ConfigLocation(fileName: "wg0.conf", line: line))
            #expect(error.description == "wg0.conf:\(line): \(message)")
        }
    }

    @Test("Errors are typed: a bad key carries the KeyParseError")
    func typedCase() {
        #expect(throws: ConfigError.invalidKey(ConfigLocation(fileName: "x.conf", line: 2), key: "PrivateKey",
                                               .wrongLength(3))) {
            try WireGuardConfigFile.parse("[Interface]\nPrivateKey = abc\n", fileName: "x.conf")
        }
    }
}
