/// One admin API call, routed and with its body read, for the delegate to authorize and answer.
public struct AdminRequest: Sendable, Equatable {
    /// The admin operations the listener routes; anything else under `/admin/` is answered 404 by the server.
    public enum Endpoint: String, Sendable, CaseIterable {
        /// `GET /admin/list`
        case list
        /// `POST /admin/reload`
        case reload
        /// `POST /admin/reject-access` with `{"client": ID, "resource": ID}`
        case rejectAccess = "reject-access"

        /// The HTTP method the endpoint takes; another gets 405.
        public var method: String { self == .list ? "GET" : "POST" }
    }

    public let endpoint: Endpoint
    /// The bearer token from `Authorization`, nil when absent or not a bearer token.
    public let token: String?
    /// The request body as UTF-8 text (empty when none); the server caps its size.
    public let body: String
    /// The peer's address, for logs.
    public let remote: String

    public init(endpoint: Endpoint, token: String?, body: String, remote: String) {
        self.endpoint = endpoint
        self.token = token
        self.body = body
        self.remote = remote
    }
}

/// The delegate's answer to an admin call: a status and a JSON body.
public struct AdminResponse: Sendable, Equatable {
    public var status: Int
    /// Sent as `application/json`.
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}
