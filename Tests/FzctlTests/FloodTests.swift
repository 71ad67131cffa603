import Foundation
import Testing

/// `scripts/flood` against `fzctl up` in network namespaces: 20000 handshake initiations per second with a
/// valid MAC1 from 65534 spoofed sources, while a legitimate `fzctl up` peer handshakes and pings.
///
/// Needs root (namespaces, TUN devices, raw sockets) and python3; CI runs as root. Without root the test is
/// reported as skipped with the reason, never as passed.
@Suite(.serialized, .enabled(if: geteuid() == 0, "NOT RUN: the flood test needs root for namespaces and raw sockets"))
struct FloodTests {
    static var script: String {
        // Tests/FzctlTests/FloodTests.swift -> scripts/flood
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/flood").path
    }

    /// The number after `label` in `text`, as the script prints its figures.
    static func figure(_ label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(digits)
    }

    /// The legitimate peer's bound: its first initiation earns a cookie reply and the retransmission that carries
    /// MAC2 follows after REKEY_TIMEOUT (5 s plus up to 333 ms), so 8 s is enough when neither datagram is lost.
    /// Under a flood, on a 2-core host shared with the rest of the suite, one of them sometimes is (one run in about
    /// a dozen took over 8 s); the next retransmission, about 5.3 s later, must then get through.
    static let handshakeBound = 12

    @Test("Under a flood: cookie replies, a legitimate peer through within 12 s, the flood's memory given back")
    func legitimatePeerGetsThroughAFlood() async throws {
        let result = try await FzctlRunner.run(
            URL(fileURLWithPath: "/bin/bash"), [Self.script, "\(Self.handshakeBound + 2)"],
            environment: ["FZCTL": FzctlRunner.binary.path, "FLOOD_HANDSHAKE_BOUND": "\(Self.handshakeBound)"])
        let output = "\(result.stdout)\n\(result.stderr)"
        #expect(result.status == 0, "\(output)")
        #expect(result.stdout.contains("\nPASS"), "\(output)")

        let offered = try #require(Self.figure("offered initiations/s ", in: result.stdout), "\(output)")
        #expect(offered > 10_000, "the flood offered only \(offered) initiations/s")
        let replies = try #require(Self.figure("cookie replies seen ", in: result.stdout), "\(output)")
        #expect(replies > 0, "no cookie replies")
        let handshake = try #require(Self.figure("first ping reply after ", in: result.stdout), "\(output)")
        #expect(handshake <= Double(Self.handshakeBound) + 0.5, "the legitimate peer needed \(handshake) s")
        let before = try #require(Self.figure("rss before ", in: result.stdout), "\(output)")
        let after = try #require(Self.figure("3 s after ", in: result.stdout), "\(output)")
        #expect(after <= before * 1.2 + 8192, "RSS \(before) KiB before the flood, \(after) KiB after")
    }
}
