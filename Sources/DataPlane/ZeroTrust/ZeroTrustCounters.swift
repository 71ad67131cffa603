/// What the zero-trust layer did with packets, beyond the WireGuard engine's own counters.
public struct ZeroTrustCounters: Equatable, Sendable {
    /// Packets a policy let through (either direction).
    public var allowed: UInt64 = 0
    /// Packets a policy denied (either direction).
    public var denied: UInt64 = 0
    /// Decrypted packets with a source the sender may not use.
    public var spoofedSource: UInt64 = 0
    /// "Prohibited" errors made (sent into a tunnel or answered locally).
    public var prohibitedSent: UInt64 = 0
    /// "Prohibited" errors not sent because the per-Client limit was reached or the queue was full.
    public var prohibitedSuppressed: UInt64 = 0
    /// Packets that could not be parsed as IP with a transport header where one was needed.
    public var malformed: UInt64 = 0
    /// Client: packets buffered while a flow was pending.
    public var buffered: UInt64 = 0
    /// Client: buffered packets dropped (duplicates, overwritten, flow failed).
    public var bufferDropped: UInt64 = 0
    /// Client: "prohibited" errors from a Gateway that started a re-authorization.
    public var reauthorizations: UInt64 = 0

    public init() {}
}
