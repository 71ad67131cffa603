import DataPlane
import WireGuardConfig

extension WireGuardTunnel {
    /// Answers `wg show` for a node whose peers the portal manages; `wg set` is refused with EPERM, since a
    /// peer added by hand would bypass the access authorizations.
    public func answerReadOnlyUAPI(_ request: UAPIRequest, now: WireGuardTime, listenPort: UInt16) -> String {
        switch request {
        case .get: return snapshot(now: now, listenPort: listenPort).getResponse
        case .set: return "errno=-1\n\n"
        }
    }
}
