import DataPlane
import Foundation
import MetricsExport
import Testing
import Tunnel

@Suite("Metrics exporter")
struct TunnelMetricsExporterTests {
    static func snapshot(scale: UInt64, transfers: [WireGuardPeerTransfer] = []) -> TunnelMetricsSnapshot {
        var counters = TunnelCounters()
        counters.datagramsReceived = 10 * scale
        counters.datagramBytesReceived = 1000 * scale
        counters.datagramBatchesReceived = 2 * scale
        counters.tunPacketsWritten = 9 * scale
        var handshakes = WireGuardHandshakeCounters()
        handshakes.initiationsSent = scale
        return TunnelMetricsSnapshot(
            worker: 0, counters: counters,
            drops: WireGuardDropReason.allCases.map { ($0, $0 == .decryptionFailed ? 3 * scale : 0) },
            handshakes: handshakes, cookieRepliesSent: 0, peers: 4, peersWithSession: Int(scale),
            peerTransfers: transfers)
    }

    /// The value of the series whose line starts with `series` (labels included), or nil.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func countersFollowEachSnapshotAndGaugesTakeTheLatestValue() {
        let exporter = TunnelMetricsExporter()
        let first = exporter.render(Self.snapshot(scale: 1))
        #expect(Self.value(first, #"fz_bytes_total{direction="udp_received",worker="0"}"#) == 1000)
        #expect(Self.value(first, #"fz_packets_total{direction="udp_received",worker="0"}"#) == 10)
        #expect(Self.value(first, #"fz_batches_total{direction="udp_received",worker="0"}"#) == 2)
        #expect(Self.value(first, #"fz_packets_total{direction="tun_written",worker="0"}"#) == 9)
        #expect(Self.value(first, #"fz_dropped_total{reason="decryption_failed",worker="0"}"#) == 3)
        #expect(Self.value(first, #"fz_peers{worker="0"}"#) == 4)
        #expect(first.contains("# TYPE fz_bytes_total counter"))
        let second = exporter.render(Self.snapshot(scale: 5))
        #expect(Self.value(second, #"fz_bytes_total{direction="udp_received",worker="0"}"#) == 5000)
        #expect(Self.value(second, #"fz_dropped_total{reason="decryption_failed",worker="0"}"#) == 15)
        #expect(Self.value(second, #"fz_peers_with_session{worker="0"}"#) == 5)
        #expect(Self.value(second, #"fz_handshake_messages_total{direction="sent",message="initiation",worker="0"}"#)
            == 5)
        #expect(!second.contains("fz_peer_received_bytes_total"), "per-peer series only when asked for")
    }

    @Test func failedHandshakesSumTheHandshakeDropReasonsOnly() {
        var snapshot = Self.snapshot(scale: 1)
        snapshot.drops = WireGuardDropReason.allCases.map { reason in
            switch reason {
            case .unknownPeer, .replayedTimestamp: return (reason, 2)
            case .decryptionFailed, .noRoute: return (reason, 50)
            default: return (reason, 0)
            }
        }
        let text = TunnelMetricsExporter().render(snapshot)
        #expect(Self.value(text, #"fz_handshakes_failed_total{worker="0"}"#) == 4)
    }

    @Test func perPeerBytesAreRenderedForTheGivenPeersOnly() {
        let key = PublicKey(raw: Key32(bytes: SIMD32<UInt8>(repeating: 7)))
        let text = TunnelMetricsExporter().render(Self.snapshot(scale: 1, transfers: [
            WireGuardPeerTransfer(publicKey: key, receivedBytes: 123, sentBytes: 456)]))
        #expect(Self.value(text, "fz_peer_received_bytes_total{public_key=\"\(key.raw.base64)\"}") == 123)
        #expect(Self.value(text, "fz_peer_sent_bytes_total{public_key=\"\(key.raw.base64)\"}") == 456)
    }
}

@Suite("Metrics listen address")
struct MetricsListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:9586", "127.0.0.1", 9586), ("[::1]:9586", "::1", 9586), ("0.0.0.0:9586", "0.0.0.0", 9586),
        ("localhost:80", "localhost", 80),
    ])
    func parsesHostAndPort(_ text: String, _ host: String, _ port: Int) throws {
        let address = try MetricsListenAddress(parsing: text)
        #expect(address == MetricsListenAddress(host: host, port: port))
    }

    @Test(arguments: [
        ("9586", "has no port"), (":9586", "neither an IP address"), ("::1:9586", "bracket"), ("[::1]9586", "bracket"),
        ("127.0.0.1:http", "port"), ("127.0.0.1:70000", "port"), ("127.0.0.1:", "has no port"),
        ("127.0.0.1:0", "port"), ("bad\u{1B}[31m:1", "\\u{1B}"),
    ])
    func refusesMalformedValuesNamingTheProblem(_ text: String, _ problem: String) {
        do {
            _ = try MetricsListenAddress(parsing: text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.hasPrefix("--metrics-listen '"))
            // The value is echoed escaped: a terminal never receives its control characters.
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 }, "\(error.description)")
            #expect(error.description.contains(problem), "\(error.description)")
        }
    }
}
