/// Where the portal listens and how it guards its connections.
public struct PortalServerConfiguration: Sendable {
    /// An IPv4 or IPv6 literal (without brackets) or a name.
    public var host: String
    /// 0 picks a free port; `PortalServer.port` tells which.
    public var port: Int
    /// How often the server pings each node, so a dead peer or a NAT that forgot the flow is noticed.
    public var pingInterval: Duration
    /// A node from which nothing (not even a pong) came for this long is disconnected; an HTTP connection that
    /// has not upgraded or finished its request by then is closed too.
    public var idleTimeout: Duration
    /// The largest text message, after joining fragments; a bigger one closes the connection (1009).
    public var maxMessageSize: Int
    /// The largest admin request body; a bigger one gets 413.
    public var maxAdminBodySize: Int

    public init(
        host: String,
        port: Int,
        pingInterval: Duration = .seconds(15),
        idleTimeout: Duration = .seconds(45),
        maxMessageSize: Int = 1 << 20,
        maxAdminBodySize: Int = 64 << 10
    ) {
        self.host = host
        self.port = port
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.maxMessageSize = maxMessageSize
        self.maxAdminBodySize = maxAdminBodySize
    }
}
