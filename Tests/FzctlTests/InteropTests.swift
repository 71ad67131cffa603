import Foundation
import Testing

/// `fzctl up` against Debian's wireguard-go in two network namespaces, through `Tests/Interop/interop.sh`.
///
/// Needs root (namespaces, TUN devices), wireguard-go and wg; CI runs as root. Without root these tests
/// are reported as skipped with the reason, never as passed.
@Suite(.serialized, .enabled(if: geteuid() == 0, "NOT RUN: interop needs root for network namespaces and TUN"))
struct InteropTests {
    static var script: String {
        // Tests/FzctlTests/InteropTests.swift -> Tests/Interop/interop.sh
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/interop.sh").path
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let crypto: String
        let initiator: String
        let psk: Bool
        let megabytes: Int
        var testDescription: String {
            "\(crypto), initiated by \(initiator == "a" ? "fzctl" : "wireguard-go")\(psk ? ", preshared key" : ""), "
                + "\(megabytes) MB"
        }
    }

    @Test("fzctl and wireguard-go handshake, ping both ways over IPv4 and IPv6, and carry verified TCP", arguments: [
        Case(crypto: "sodium", initiator: "a", psk: false, megabytes: 100),
        Case(crypto: "swift", initiator: "b", psk: true, megabytes: 100),
        Case(crypto: "swift-portable", initiator: "a", psk: true, megabytes: 20),
        Case(crypto: "sodium", initiator: "b", psk: true, megabytes: 20),
    ])
    func interoperatesWithWireguardGo(_ test: Case) throws {
        var arguments = [Self.script, "--fzctl", FzctlRunner.binary.path, "--crypto", test.crypto,
                         "--initiator", test.initiator, "--bytes", "\(test.megabytes * 1024 * 1024)"]
        if test.psk { arguments.append("--psk") }
        let result = try FzctlRunner.run(URL(fileURLWithPath: "/bin/bash"), arguments)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS"), "\(result.stdout)")
    }

    @Test("bench tunnel measures all three pairs in one run and prints the documented JSON")
    func benchTunnelJSON() throws {
        let result = try FzctlRunner.fzctl(["bench", "tunnel", "--seconds", "1", "--format", "json", "--log", "warn"])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        #expect(Set(array.compactMap { $0["pair"] as? String })
            == ["fzctl<->fzctl", "fzctl<->wireguard-go", "wireguard-go<->wireguard-go"])
        for object in array {
            #expect(Set(object.keys) == ["pair", "io", "crypto", "test", "gbit_per_s"])
            #expect(object["test"] as? String == "tcp")
            let rate = try #require(object["gbit_per_s"] as? Double)
            #expect(rate > 0.01, "\(object)")
        }
    }
}
