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
        var io = "epoll"
        var offloads = "all"
        /// `--threads` for fzctl up; nil: its default, one worker per core.
        var threads: Int? = nil
        var testDescription: String {
            "\(crypto) on \(io) (offloads \(offloads), \(threads.map { "\($0) workers" } ?? "a worker per core")), "
                + "initiated by \(initiator == "a" ? "fzctl" : "wireguard-go")\(psk ? ", preshared key" : ""), "
                + "\(megabytes) MB"
        }
    }

    @Test("fzctl and wireguard-go handshake, ping both ways over IPv4 and IPv6, and carry verified TCP", arguments: [
        Case(crypto: "sodium", initiator: "a", psk: false, megabytes: 100),
        Case(crypto: "swift", initiator: "b", psk: true, megabytes: 100, io: "io-uring"),
        Case(crypto: "swift-portable", initiator: "a", psk: true, megabytes: 20, offloads: "none", threads: 1),
        Case(crypto: "sodium", initiator: "b", psk: true, megabytes: 20, offloads: "none"),
        Case(crypto: "swift", initiator: "a", psk: false, megabytes: 20, io: "io-uring", threads: 2),
        Case(crypto: "sodium", initiator: "b", psk: false, megabytes: 20, threads: 2),
        Case(crypto: "sodium", initiator: "a", psk: true, megabytes: 20, io: "io-uring", offloads: "none"),
        Case(crypto: "swift", initiator: "b", psk: false, megabytes: 20, io: "io-uring", offloads: "none"),
        Case(crypto: "openssl", initiator: "b", psk: true, megabytes: 20),
    ])
    func interoperatesWithWireguardGo(_ test: Case) async throws {
        var arguments = [Self.script, "--fzctl", FzctlRunner.binary.path, "--crypto", test.crypto,
                         "--io", test.io, "--offloads", test.offloads,
                         "--initiator", test.initiator, "--bytes", "\(test.megabytes * 1024 * 1024)"]
        if test.psk { arguments.append("--psk") }
        if let threads = test.threads { arguments += ["--threads", "\(threads)"] }
        let result = try await FzctlRunner.run(URL(fileURLWithPath: "/bin/bash"), arguments)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS"), "\(result.stdout)")
        // The script scraped fzctl's --metrics-listen endpoint with curl around the transfer.
        #expect(result.stdout.contains("metrics moving"), "\(result.stdout)")
    }

    /// fzctl<->fzctl with offloads off and on, the wireguard-go reference and the bare veth, TCP and UDP, in one run
    /// of two rounds.
    @Test("bench tunnel measures every row it plans in each round, prints the documented JSON and writes the chart")
    func benchTunnelJSON() async throws {
        let chart = NSTemporaryDirectory() + "fz-bench-chart-\(getpid()).svg"
        defer { try? FileManager.default.removeItem(atPath: chart) }
        let result = try await FzctlRunner.fzctl([
            "bench", "tunnel", "--pairs", "fzctl-fzctl,wireguard-go-wireguard-go,veth", "--io", "epoll",
            "--crypto", "sodium", "--threads", "1",
            "--seconds", "1", "--udp-search", "off", "--format", "json", "--chart", chart, "--rounds", "2",
            "--log", "warn,fzctl=debug",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // Each of the 4 UDP rows has one probe per round (--udp-search off), logged at debug level.
        let probes = result.stderr.split(separator: "\n").filter { $0.contains("UDP probe") }
        #expect(probes.count == 8, "\(result.stderr)")
        for probe in probes {
            #expect(probe.contains("offered_gbit_per_s=0.500") && probe.contains("sent_gbit_per_s=")
                    && probe.contains("loss_percent="), "\(probe)")
        }
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        // fzctl<->fzctl twice (offloads off and on), the reference and the veth once each, each TCP and UDP.
        #expect(array.count == 8)
        #expect(Set(array.compactMap { $0["pair"] as? String })
            == ["fzctl<->fzctl", "wireguard-go<->wireguard-go", "veth"])
        #expect(Set(array.compactMap { $0["offload"] as? Bool }) == [false, true])
        for object in array {
            if let error = object["error"] as? String {
                Issue.record("row \(object["pair"] ?? "?") \(object["test"] ?? "?") failed: \(error)")
                continue
            }
            #expect(Set(object.keys) == ["pair", "io", "crypto", "offload", "threads", "test", "gbit_per_s",
                                         "udp_loss_percent", "offered_gbit_per_s", "sent_gbit_per_s", "udp_source",
                                         "cpu_s_per_gbit", "rounds", "gbit_per_s_min", "gbit_per_s_max",
                                         "cpu_s_per_gbit_min", "cpu_s_per_gbit_max"],
                    "\(object)")
            // Both rounds measured the row; with two rounds the reported rate is the mean of the lowest and highest
            // (each printed to 3 decimals).
            #expect(object["rounds"] as? Int == 2, "\(object)")
            let low = try #require(object["gbit_per_s_min"] as? Double, "\(object)")
            let high = try #require(object["gbit_per_s_max"] as? Double, "\(object)")
            let median = try #require(object["gbit_per_s"] as? Double)
            #expect(low <= high && abs(median - (low + high) / 2) <= 0.0015, "\(object)")
            // Workers per fzctl side (--threads 1 here); null where no fzctl runs.
            if object["pair"] as? String == "fzctl<->fzctl" {
                #expect(object["threads"] as? Int == 1, "\(object)")
            } else {
                #expect(object["threads"] is NSNull, "\(object)")
            }
            let rate = try #require(object["gbit_per_s"] as? Double)
            #expect(rate > 0.01, "\(object)")
            let cpu = try #require(object["cpu_s_per_gbit"] as? Double)
            if object["pair"] as? String == "veth" {
                // No tunnel process runs, so there is no tunnel CPU to count.
                #expect(cpu == 0 && object["io"] as? String == "none" && object["crypto"] as? String == "none")
            } else {
                #expect(cpu > 0, "\(object)")
            }
            if object["test"] as? String == "udp" {
                #expect(object["udp_loss_percent"] is Double && object["offered_gbit_per_s"] as? Double == 0.5)
                // What the sender got out: some of the 0.5 offered, never more (up to rounding).
                let sent = try #require(object["sent_gbit_per_s"] as? Double, "\(object)")
                #expect(sent > 0.05 && sent <= 0.505, "\(object)")
                // The default source is fzctl's paced sender.
                #expect(object["udp_source"] as? String == "fzctl", "\(object)")
            } else {
                #expect(object["udp_loss_percent"] is NSNull && object["udp_source"] is NSNull
                        && object["sent_gbit_per_s"] is NSNull)
            }
        }
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        let bars = svg.components(separatedBy: "class=\"bar\"").count - 1
            + svg.components(separatedBy: "class=\"bar reference\"").count - 1
        #expect(bars == 8)
        #expect(svg.contains("bare veth (no tunnel)"))
        #expect(svg.contains("class=\"bar reference\""))
    }
}
