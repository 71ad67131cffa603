/// How a node reaches the portal and how hard it retries.
public struct PortalClientConfiguration: Sendable {
    /// `ws://HOST:PORT/gateway` or `/client`.
    public var endpoint: PortalEndpoint
    /// Sent as `Authorization: Bearer TOKEN`.
    public var token: String
    /// The first retry delay; it doubles per failed attempt up to `maximumBackoff`.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// A connection that stayed up this long resets the backoff to `initialBackoff`.
    public var stableConnection: Duration
    /// How often the client pings the portal when it has heard nothing.
    public var pingInterval: Duration
    /// No frame from the portal for this long: the connection is taken as dead and replaced.
    public var idleTimeout: Duration
    /// Limit for TCP connect plus the HTTP upgrade.
    public var connectTimeout: Duration
    /// The largest text message accepted from the portal, after joining fragments.
    public var maxMessageSize: Int

    public init(
        endpoint: PortalEndpoint,
        token: String,
        initialBackoff: Duration = .milliseconds(500),
        maximumBackoff: Duration = .seconds(30),
        stableConnection: Duration = .seconds(10),
        pingInterval: Duration = .seconds(15),
        idleTimeout: Duration = .seconds(45),
        connectTimeout: Duration = .seconds(10),
        maxMessageSize: Int = 1 << 20
    ) {
        self.endpoint = endpoint
        self.token = token
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.stableConnection = stableConnection
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.connectTimeout = connectTimeout
        self.maxMessageSize = maxMessageSize
    }
}

/// What a `PortalClient` tells its owner; each closure runs on the client's NIO thread, one at a time.
public struct PortalClientEvents: Sendable {
    /// The WebSocket is open: send `join` now (called again after every reconnect).
    public var connected: @Sendable () -> Void
    /// One whole text message from the portal.
    public var received: @Sendable (String) -> Void
    /// An open connection ended; a reconnect follows unless stopped.
    public var disconnected: @Sendable (String) -> Void
    /// The portal refused the token (HTTP 401 or 403): final, the client has stopped retrying.
    public var refused: @Sendable (Int) -> Void
    /// An attempt failed (reason) and the next one comes after the delay: for logs.
    public var retrying: @Sendable (String, Duration) -> Void

    public init(
        connected: @escaping @Sendable () -> Void = {},
        received: @escaping @Sendable (String) -> Void = { _ in },
        disconnected: @escaping @Sendable (String) -> Void = { _ in },
        refused: @escaping @Sendable (Int) -> Void = { _ in },
        retrying: @escaping @Sendable (String, Duration) -> Void = { _, _ in }
    ) {
        self.connected = connected
        self.received = received
        self.disconnected = disconnected
        self.refused = refused
        self.retrying = retrying
    }
}
