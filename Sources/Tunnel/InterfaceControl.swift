import DataPlane
import WireGuardConfig

/// The control side of a running interface: its workers' mailboxes, with requests fanned out to every worker
/// and their answers merged, so `wg`, the metrics endpoint and tests see one interface however many workers
/// run it.
///
/// Every worker's device holds the whole configuration, so a `wg set` goes to each of them in turn (each
/// applies it the same way); a `wg show` asks each for the peers living on it.
public final class InterfaceControl: Sendable {
    /// One mailbox per worker, in worker order.
    public let mailboxes: [ControlMailbox<InterfaceRequest, InterfaceAnswer>]

    public init(mailboxes: [ControlMailbox<InterfaceRequest, InterfaceAnswer>]) {
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
            var merged: UAPIDeviceSnapshot?
            for mailbox in mailboxes {
                guard case .uapiSnapshot(let snapshot) = mailbox.submit(.uapiSnapshot) else {
                    return UAPIServer.closedAnswer
                }
                if merged == nil { merged = snapshot } else { merged!.peers += snapshot.peers }
            }
            guard var merged else { return UAPIServer.closedAnswer }
            // Sorted by base64 key as one worker sorts them, each key encoded once.
            merged.peers = merged.peers.map { ($0.publicKey.raw.base64, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
            return merged.getResponse
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
