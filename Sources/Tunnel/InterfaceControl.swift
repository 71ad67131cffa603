import DataPlane
import WireGuardConfig

/// The requests every worker of an interface answers for its control side: `wg` requests, `wg show` snapshots
/// and metrics. ``InterfaceRequest`` (`fzctl up`) and a node daemon's requests both have them.
public protocol InterfaceControlRequest: Sendable {
    static func uapi(_ request: UAPIRequest) -> Self
    static var uapiSnapshot: Self { get }
    static func metrics(peerLimit: Int) -> Self
}

extension InterfaceRequest: InterfaceControlRequest {}

/// The control side of a running interface: its workers' mailboxes, with requests fanned out to every worker
/// and their answers merged, so `wg`, the metrics endpoint and tests see one interface however many workers
/// run it.
///
/// Every worker's device holds the whole configuration, so a `wg set` goes to each of them in turn (each
/// applies it the same way); a `wg show` asks each for the peers living on it.
public final class InterfaceControl<Request: InterfaceControlRequest>: Sendable {
    /// One mailbox per worker, in worker order.
    public let mailboxes: [ControlMailbox<Request, InterfaceAnswer>]

    public init(mailboxes: [ControlMailbox<Request, InterfaceAnswer>]) {
        precondition(!mailboxes.isEmpty, "an interface has at least one worker")
        self.mailboxes = mailboxes
    }

    /// Answers one UAPI request for the whole interface.
    public func answerUAPI(_ request: UAPIRequest) -> String {
        if mailboxes.count == 1 {
            guard case .uapi(let text) = mailboxes[0].submit(.uapi(request)) else { return UAPIServer.closedAnswer }
            return text
        }
        switch request {
        case .get:
            var snapshots: [UAPIDeviceSnapshot] = []
            for mailbox in mailboxes {
                guard case .uapiSnapshot(let snapshot) = mailbox.submit(.uapiSnapshot) else {
                    return UAPIServer.closedAnswer
                }
                snapshots.append(snapshot)
            }
            return Self.mergedGetResponse(snapshots) ?? UAPIServer.closedAnswer
        case .set:
            var answer: String?
            for mailbox in mailboxes {
                guard case .uapi(let text) = mailbox.submit(.uapi(request)) else { return UAPIServer.closedAnswer }
                // Every worker applies the same request to the same configuration: the first error is the answer.
                if answer == nil || (answer == UAPIServer.successAnswer && text != UAPIServer.successAnswer) {
                    answer = text
                }
            }
            return answer ?? UAPIServer.closedAnswer
        }
    }

    /// The `wg show` answer for an interface whose workers gave `snapshots` (each with the peers living on it),
    /// or nil for none.
    static func mergedGetResponse(_ snapshots: [UAPIDeviceSnapshot]) -> String? {
        guard var merged = snapshots.first else { return nil }
        for snapshot in snapshots.dropFirst() { merged.peers += snapshot.peers }
        // Sorted by base64 key as one worker sorts them, each key encoded once.
        merged.peers = merged.peers.map { ($0.publicKey.raw.base64, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        return merged.getResponse
    }

    /// One metrics snapshot per worker, or nil once the interface is stopping.
    public func metrics(peerLimit: Int) -> [TunnelMetricsSnapshot]? {
        var snapshots: [TunnelMetricsSnapshot] = []
        for mailbox in mailboxes {
            guard case .metrics(let snapshot) = mailbox.submit(.metrics(peerLimit: peerLimit)) else { return nil }
            snapshots.append(snapshot)
        }
        return snapshots
    }

    /// Refuses further requests once the loops have stopped.
    public func close() {
        for mailbox in mailboxes { mailbox.close() }
    }
}
