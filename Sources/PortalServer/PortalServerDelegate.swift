/// The WebSocket endpoints a node can join: `/gateway` or `/client`.
public enum NodePath: String, Sendable, CaseIterable {
    case gateway = "/gateway"
    case client = "/client"
}

/// What the portal's logic implements to hear from the network.
///
/// Every call comes on the server's one event-loop thread, one after another, never concurrently: the portal
/// logic is not thread-safe and needs no lock of its own. A call must not block, since it holds up every
/// connection. Work from other threads (signals, timers) joins the same serial order through
/// `PortalServer.perform(_:)`.
public protocol PortalServerDelegate: AnyObject, Sendable {
    /// Decides a WebSocket upgrade at `path` from the bearer token (nil when the request had none).
    ///
    /// `false` answers HTTP 401 and closes the connection without upgrading.
    func webSocketRequested(path: NodePath, token: String?, remote: String) -> Bool

    /// A node's WebSocket is open; it stays valid until `closed(_:)` with the same connection.
    func opened(_ connection: PortalConnection, path: NodePath, token: String?)

    /// One whole text message from a node (fragments already joined).
    func received(_ text: String, on connection: PortalConnection)

    /// The connection is gone, whoever closed it; called once per `opened(_:path:token:)`.
    func closed(_ connection: PortalConnection)

    /// Answers one admin API request; the delegate checks the token.
    func admin(_ request: AdminRequest) -> AdminResponse
}
