import DataPlane
import Testing
import WireGuardConfig

/// Config files as they come from disk: bytes that are not UTF-8, hostile or huge values, and the lines
/// later checks (DNS, the engine) need to point at.
@Suite struct ConfigInputHardeningTests {
    static let interface = "[Interface]\nPrivateKey = \(TestKeys.interfacePrivate)\n"

    static func parse(_ bytes: [UInt8]) throws(ConfigError) -> WireGuardConfigFile {
        try WireGuardConfigFile.parse(bytes: bytes, fileName: "wg0.conf")
    }

    @Test("A peer remembers the lines of its PublicKey and Endpoint, for errors found after parsing")
    func peerKeepsKeyAndEndpointLines() throws {
        let text = Self.interface + "\n[Peer]\n# the gateway\nPublicKey = \(TestKeys.peerA)\nAllowedIPs = 10.0.0.2/32\n"
            + "Endpoint = vpn.example.com:51820\n"
        let config = try WireGuardConfigFile.parse(text, fileName: "wg0.conf")
        let peer = try #require(config.peers.first)
        #expect(peer.line == 4)
        #expect(peer.publicKeyLine == 6)
        #expect(peer.endpointLine == 8)
    }

    @Test("Bytes that are not UTF-8 in comments and wg-quick hooks are accepted, as wg accepts them")
    func invalidUTF8InCommentsIsAccepted() throws {
        // Latin-1 "é" (0xE9) and a lone continuation byte, as an old editor writes them.
        let bytes = Array("# caf".utf8) + [0xE9] + Array("\n".utf8) + Array(Self.interface.utf8)
            + Array("ListenPort = 51820 # port ".utf8) + [0x80, 0xFF] + Array("\n".utf8)
            + Array("PostUp = echo ".utf8) + [0xE9] + Array("\n".utf8)
            + Array("[Peer]\nPublicKey = \(TestKeys.peerA) #".utf8) + [0xC3] + Array("\n".utf8)
        let config = try Self.parse(bytes)
        #expect(config.interface.listenPort == 51820)
        #expect(config.interface.postUp.count == 1)
        #expect(config.peers.map(\.publicKey) == [PublicKey(raw: TestKeys.key(TestKeys.peerA))])
    }

    @Test("Bytes that are not UTF-8 in a value that matters are an error naming the line and key",
          arguments: [
              ("[Peer]\nPublicKey = ", 4, "PublicKey: the value"),
              ("Address = 10.0.0.1/24", 3, "Address: the value"),
              ("[Pe", 3, "this line"),
          ])
    func invalidUTF8InValueNamesLine(prefix: String, line: Int, subject: String) {
        let bytes = Array(Self.interface.utf8) + Array(prefix.utf8) + [0xE9, 0x41] + Array("\n".utf8)
        #expect {
            _ = try Self.parse(bytes)
        } throws: { error in
            guard let error = error as? ConfigError, case .invalidEncoding = error else { return false }
            return error.location.line == line
                && error.description.hasPrefix("wg0.conf:\(line): \(subject) has bytes that are not UTF-8")
        }
    }

    @Test("Echoed text is escaped and shortened: no control bytes, no 10 MB error line")
    func echoedTextIsEscapedAndBounded() {
        let hostile = "\u{1B}[31mred\u{07}" + String(repeating: "A", count: 10_000_000)
        for text in [Self.interface + hostile + "\n", Self.interface + "MTU = " + hostile + "\n",
                     Self.interface + "[" + hostile + "]\n", Self.interface + hostile + " = 1\n"] {
            do {
                _ = try WireGuardConfigFile.parse(text, fileName: "wg0.conf")
                Issue.record("parsed")
            } catch {
                let message = error.description
                #expect(message.count < 400, "\(message.prefix(200))")
                #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
                #expect(message.contains("\\u{1B}[31mred\\u{7}AAA"))
                #expect(message.contains("…"))
                #expect(message.hasPrefix("wg0.conf:3: "))
            }
        }
    }

    @Test("DisplayText.echo keeps short printable text as it is and cuts long text at the limit")
    func displayTextEcho() {
        #expect(DisplayText.echo("vpn.example.com:51820") == "vpn.example.com:51820")
        #expect(DisplayText.echo("a\tb\nc\r") == "a\\tb\\nc\\r")
        #expect(DisplayText.echo(String(repeating: "x", count: 100), limit: 10) == "xxxxxxxxxx…")
        #expect(DisplayText.echo("\u{202E}evil") == "\\u{202E}evil")
        #expect(DisplayText.escaped("ünïcödé ok") == "ünïcödé ok")
    }
}
