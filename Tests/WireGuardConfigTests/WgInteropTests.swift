import DataPlane
import Foundation
import Testing
import WireGuardConfig

/// Debian's `wg` against our UAPI text.
///
/// Needs `wg` and root (the socket lives in /var/run/wireguard, which the suite creates if it is missing,
/// as on a fresh machine where no `fzctl up` ran yet). Otherwise every test is reported as not run, with
/// the reason on stderr, never as passed.
@Suite(.serialized) struct WgInteropTests {
    static let wgAvailable: Bool = {
        var problem: String?
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/wg") {
            problem = "/usr/bin/wg is missing (apt-get install wireguard-tools, or run ./scripts/setup)"
        } else if geteuid() != 0 {
            problem = "not running as root: the tests serve a UAPI socket in /var/run/wireguard"
        } else if mkdir("/var/run/wireguard", 0o755) != 0 {
            let code = errno
            if code != EEXIST { problem = "cannot create /var/run/wireguard: \(String(cString: strerror(code)))" }
        }
        if let problem {
            let line = "SKIPPED: WgInteropTests (wg against our UAPI) because \(problem)\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        return problem == nil
    }()
    static let skipReason: Comment = "NOT RUN: needs /usr/bin/wg and root; the SKIPPED line on stderr says why"

    static func socketName() -> String { "fzcfg\(getpid())" }

    @Test("wg showconf reads our get response; our config parser reads wg's output back",
          .enabled(if: wgAvailable, skipReason))
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

    @Test("wg show dump reports our handshake time and byte counters", .enabled(if: wgAvailable, skipReason))
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

    @Test("wg set sends a request we parse into the operations it asked for", .enabled(if: wgAvailable, skipReason))
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

    @Test("wg reports our EINVAL status as 'Invalid argument'", .enabled(if: wgAvailable, skipReason))
    func errnoReachesWg() throws {
        let socket = try #require(FakeUAPISocket(interfaceName: Self.socketName()))
        let (status, output) = try socket.runWg(["set", socket.interfaceName, "listen-port", "1"]) { _ in
            UAPIResponse.status(for: .unknownKey(line: 2, key: "listen_port", scope: .device))
        }
        #expect(status != 0)
        #expect(output.contains("Invalid argument"), "wg said: \(output)")
    }
}
