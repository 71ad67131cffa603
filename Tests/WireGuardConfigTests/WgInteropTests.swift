import DataPlane
import Foundation
import Testing
import WireGuardConfig

/// Debian's `wg` against our UAPI text: skipped where `wg` or /var/run/wireguard is unavailable.
@Suite(.serialized) struct WgInteropTests {
    static let wgAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/wg")
        && access("/var/run/wireguard", W_OK) == 0

    static func socketName() -> String { "fzcfg\(getpid())" }

    @Test("wg showconf reads our get response; our config parser reads wg's output back",
          .enabled(if: wgAvailable))
    func showconfRoundTrip() throws {
        let socket = try #require(FakeUAPISocket(interfaceName: Self.socketName()))
        let snapshot = UAPIGetResponseTests.snapshot
        let (status, output) = try socket.runWg(["showconf", socket.interfaceName]) { request in
            request == .get ? snapshot.getResponse : UAPIResponse.status(for: .applyFailed(errno: 1, reason: "no"))
        }
        #expect(status == 0, "wg said: \(output)")
        let config = try WireGuardConfigFile.parse(output, fileName: "wg-showconf")
        #expect(config.interface.privateKey == snapshot.privateKey)
        #expect(config.interface.listenPort == snapshot.listenPort)
        #expect(config.peers.map(\.publicKey) == snapshot.peers.map(\.publicKey))
        #expect(config.peers.map(\.presharedKey) == snapshot.peers.map(\.presharedKey))
        #expect(config.peers.map(\.allowedIPs) == snapshot.peers.map(\.allowedIPs))
        #expect(config.peers.map { $0.endpoint?.resolved } == snapshot.peers.map(\.endpoint))
        #expect(config.peers.map { $0.persistentKeepalive ?? 0 } == snapshot.peers.map(\.persistentKeepaliveInterval))
    }

    @Test("wg show dump reports our handshake time and byte counters", .enabled(if: wgAvailable))
    func dumpCounters() throws {
        let socket = try #require(FakeUAPISocket(interfaceName: Self.socketName()))
        let (status, output) = try socket.runWg(["show", socket.interfaceName, "dump"]) { _ in
            UAPIGetResponseTests.snapshot.getResponse
        }
        #expect(status == 0, "wg said: \(output)")
        let lines = output.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        try #require(lines.count == 3)
        #expect(lines[0][0] == TestKeys.interfacePrivate && lines[0][2] == "51820" && lines[0][3] == "off")
        // public key, preshared key, endpoint, allowed ips, latest handshake, rx, tx, keepalive
        #expect(lines[1] == [TestKeys.peerA, TestKeys.preshared, "203.0.113.7:51820",
                             "10.200.100.2/32,fd42:42:42::2/128", "1700000000", "2224", "38333", "25"])
        #expect(lines[2] == [TestKeys.peerB, "(none)", "[2001:db8::1]:443", "0.0.0.0/0,::/0", "0", "0", "0", "off"])
    }

    @Test("wg set sends a request we parse into the operations it asked for", .enabled(if: wgAvailable))
    func setRequest() throws {
        let socket = try #require(FakeUAPISocket(interfaceName: Self.socketName()))
        var received: [UAPIRequest] = []
        let (status, output) = try socket.runWg([
            "set", socket.interfaceName, "listen-port", "51821", "fwmark", "0x10",
            "peer", TestKeys.peerA, "endpoint", "[2001:db8::7]:51820", "persistent-keepalive", "25",
            "allowed-ips", "10.0.0.0/8,fd00::/8",
            "peer", TestKeys.peerB, "remove",
        ]) { request in
            received.append(request)
            return UAPIResponse.status(for: nil)
        }
        #expect(status == 0, "wg said: \(output)")
        let expected = UAPISetRequest(
            deviceOperations: [.listenPort(51821), .firewallMark(16)],
            peers: [
                UAPIPeerUpdate(publicKey: PublicKey(raw: TestKeys.key(TestKeys.peerA)), operations: [
                    .endpoint(Endpoint(address: .v6(IPv6Address(groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 7])),
                                       port: 51820)),
                    .persistentKeepaliveInterval(25),
                    .replaceAllowedIPs,
                    .allowedIP(IPNetwork(.v4(IPv4Address(10, 0, 0, 0)), prefixLength: 8)!),
                    .allowedIP(IPNetwork(.v6(IPv6Address(groups: [0xfd00, 0, 0, 0, 0, 0, 0, 0])), prefixLength: 8)!),
                ]),
                UAPIPeerUpdate(publicKey: PublicKey(raw: TestKeys.key(TestKeys.peerB)), operations: [.remove]),
            ])
        #expect(received == [.set(expected)])
    }

    @Test("wg reports our EINVAL status as 'Invalid argument'", .enabled(if: wgAvailable))
    func errnoReachesWg() throws {
        let socket = try #require(FakeUAPISocket(interfaceName: Self.socketName()))
        let (status, output) = try socket.runWg(["set", socket.interfaceName, "listen-port", "1"]) { _ in
            UAPIResponse.status(for: .unknownKey(line: 2, key: "listen_port", scope: .device))
        }
        #expect(status != 0)
        #expect(output.contains("Invalid argument"), "wg said: \(output)")
    }
}
