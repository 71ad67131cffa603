import CoreMetrics
import DataPlane
import Locks
import Prometheus
import Tunnel

/// Turns tunnel snapshots into Prometheus text through swift-metrics and swift-prometheus.
///
/// The data path never calls into here: the loop keeps plain integer counters, and each scrape takes a
/// snapshot of them (on the loop thread, through its mailbox) and adds the difference since the previous one
/// to swift-metrics counters backed by a Prometheus registry. Series are fixed (directions, drop reasons,
/// handshake messages) except the optional per-peer bytes, which are rendered per scrape for the busiest
/// peers only and never kept, so no series set grows with what peers do.
public final class TunnelMetricsExporter: Sendable {
    /// Handshake-message drops that mean a handshake failed (not load shedding, not data-path drops).
    static let handshakeFailureReasons: Set<WireGuardDropReason> = [
        .invalidMAC1, .handshakeAuthenticationFailed, .unknownPeer, .replayedTimestamp, .initiationFlood,
        .invalidCookieReply,
    ]

    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let state = Locked(State())

    private struct State {
        var counters: [String: (counter: CoreMetrics.Counter, last: UInt64)] = [:]
        var gauges: [String: CoreMetrics.Gauge] = [:]
    }

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Publishes `snapshot` and returns the whole exposition text (format 0.0.4).
    public func render(_ snapshot: TunnelMetricsSnapshot) -> String {
        render([snapshot], peerLimit: snapshot.peerTransfers.count)
    }

    /// Publishes one snapshot per worker (each series labelled with its worker; sum them for the interface)
    /// and returns the whole exposition text, with the per-peer bytes of the `peerLimit` busiest peers of all.
    public func render(_ snapshots: [TunnelMetricsSnapshot], peerLimit: Int) -> String {
        for snapshot in snapshots { publish(snapshot) }
        var transfers = snapshots.flatMap(\.peerTransfers)
        if snapshots.count > 1 {
            transfers.sort { ($0.receivedBytes &+ $0.sentBytes) > ($1.receivedBytes &+ $1.sentBytes) }
        }
        if transfers.count > peerLimit { transfers.removeSubrange(peerLimit...) }
        var text = registry.emitToString()
        if !transfers.isEmpty {
            text += Self.peerSeries(transfers)
        }
        return text
    }

    private func publish(_ snapshot: TunnelMetricsSnapshot) {
        let worker = ("worker", String(snapshot.worker))
        let c = snapshot.counters
        let directions: [(String, packets: UInt64, bytes: UInt64, batches: UInt64)] = [
            ("udp_received", c.datagramsReceived, c.datagramBytesReceived, c.datagramBatchesReceived),
            ("udp_sent", c.datagramsSent, c.datagramBytesSent, c.datagramBatchesSent),
            ("tun_read", c.tunPacketsReceived, c.tunBytesReceived, c.tunBatchesReceived),
            ("tun_written", c.tunPacketsWritten, c.tunBytesWritten, c.tunBatchesWritten),
        ]
        let h = snapshot.handshakes
        let messages: [(String, String, UInt64)] = [
            ("initiation", "sent", h.initiationsSent), ("initiation", "received", h.initiationsReceived),
            ("response", "sent", h.responsesSent), ("response", "received", h.responsesReceived),
            ("cookie_reply", "sent", snapshot.cookieRepliesSent),
            ("cookie_reply", "received", h.cookieRepliesReceived),
        ]
        let failed = snapshot.drops.filter { Self.handshakeFailureReasons.contains($0.reason) }
            .reduce(UInt64(0)) { $0 &+ $1.count }
        state.withLock { state in
            for direction in directions {
                let labels = [("direction", direction.0), worker]
                add(&state, "fz_packets_total", labels, direction.packets)
                add(&state, "fz_bytes_total", labels, direction.bytes)
                add(&state, "fz_batches_total", labels, direction.batches)
            }
            for drop in snapshot.drops {
                add(&state, "fz_dropped_total", [("reason", drop.reason.description), worker], drop.count)
            }
            for message in messages {
                // Label names in alphabetical order throughout, so scripts can match a series as one string.
                add(&state, "fz_handshake_messages_total",
                    [("direction", message.1), ("message", message.0), worker], message.2)
            }
            add(&state, "fz_handshakes_failed_total", [worker], failed)
            record(&state, "fz_peers", [worker], snapshot.peers)
            record(&state, "fz_peers_with_session", [worker], snapshot.peersWithSession)
            // Items passed between workers (their peer lives on the other one): the exception path.
            add(&state, "fz_handoffs_total", [("direction", "sent"), worker], c.handedOff)
            add(&state, "fz_handoffs_total", [("direction", "received"), worker], c.handoffsReceived)
        }
    }

    private func add(_ state: inout State, _ name: String, _ labels: [(String, String)], _ value: UInt64) {
        let key = Self.seriesKey(name, labels)
        if let existing = state.counters[key] {
            // Counters only grow; a smaller reading would be a different tunnel, which never happens here.
            if value > existing.last {
                existing.counter.increment(by: Int64(clamping: value - existing.last))
                state.counters[key] = (existing.counter, value)
            }
        } else {
            let counter = CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
            if value > 0 { counter.increment(by: Int64(clamping: value)) }
            state.counters[key] = (counter, value)
        }
    }

    private func record(_ state: inout State, _ name: String, _ labels: [(String, String)], _ value: Int) {
        let key = Self.seriesKey(name, labels)
        let gauge = state.gauges[key] ?? CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory)
        state.gauges[key] = gauge
        gauge.record(value)
    }

    static func seriesKey(_ name: String, _ labels: [(String, String)]) -> String {
        labels.reduce(name) { $0 + "|" + $1.0 + "=" + $1.1 }
    }

    /// The per-peer byte counters, written per scrape: the set of peers changes, so they are not registered.
    static func peerSeries(_ transfers: [WireGuardPeerTransfer]) -> String {
        var received = "# TYPE fz_peer_received_bytes_total counter\n"
        var sent = "# TYPE fz_peer_sent_bytes_total counter\n"
        for peer in transfers {
            // Base64 has no quote, backslash or newline, so the key needs no escaping as a label value.
            let label = "{public_key=\"\(peer.publicKey.raw.base64)\"}"
            received += "fz_peer_received_bytes_total\(label) \(peer.receivedBytes)\n"
            sent += "fz_peer_sent_bytes_total\(label) \(peer.sentBytes)\n"
        }
        return received + sent
    }
}
