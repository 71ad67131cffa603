/// The protocol's timing and size constants, grouped so tests and Firezone can adjust them.
///
/// Defaults are the WireGuard paper's values (section 6.1). Firezone shortens `rekeyAttemptTime` to
/// 15 s for its client; tests shrink the message limits to reach them quickly.
public struct WireGuardConfiguration: Sendable {
    /// Rekey when the current keypair (made as initiator) is this old: REKEY_AFTER_TIME.
    public var rekeyAfterTime: Duration = .seconds(120)
    /// Never use a keypair older than this: REJECT_AFTER_TIME.
    public var rejectAfterTime: Duration = .seconds(180)
    /// Give up retrying a handshake after this long: REKEY_ATTEMPT_TIME.
    public var rekeyAttemptTime: Duration = .seconds(90)
    /// Retransmit an unanswered initiation after this (plus jitter): REKEY_TIMEOUT.
    public var rekeyTimeout: Duration = .seconds(5)
    /// Upper bound of the random jitter added to each retransmission.
    public var rekeyTimeoutJitter: Duration = .milliseconds(333)
    /// Send a keepalive when data arrived but nothing was sent for this long: KEEPALIVE_TIMEOUT.
    public var keepaliveTimeout: Duration = .seconds(10)
    /// Rekey after sending this many messages with one keypair: REKEY_AFTER_MESSAGES.
    public var rekeyAfterMessages: UInt64 = 1 << 60
    /// Never send or accept a counter at or above this: REJECT_AFTER_MESSAGES.
    public var rejectAfterMessages: UInt64 = UInt64.max - (1 << 13)
    /// How often the cookie secret changes.
    public var cookieSecretLifetime: Duration = .seconds(120)
    /// How long a received cookie is used for MAC2 (the secret's lifetime minus a latency margin).
    public var cookieLifetime: Duration = .seconds(115)
    /// Minimum spacing of initiations accepted from one peer (the kernel's 50 per second).
    public var minimumInitiationInterval: Duration = .milliseconds(20)
    /// The device goes under load when this many handshake messages arrive within one turn of the driver
    /// (one wake-up, up to 16 batches of datagrams, all handled at the same `now`): a backlog of handshakes
    /// waiting in the socket, as the
    /// kernel and wireguard-go judge by their handshake queue's depth. It stays under load for
    /// `underLoadHoldTime` after the last such turn.
    public var handshakeBacklogThreshold: Int = 64
    /// How long the device stays under load after a backlog was seen (the kernel's and wireguard-go's 1 s).
    public var underLoadHoldTime: Duration = .seconds(1)
    /// A backstop on handshake work, all peers together: beyond this many per second the device is under load
    /// even without a backlog. Set well above what real peers make (10,000 Clients rekeying every 120 s make
    /// about 83 per second); at about 180 us of Diffie-Hellman each, 2,000 per second is at most a third of a core.
    public var handshakesPerSecond: Int = 2000
    /// Handshake messages that may be processed in a burst before the rate applies.
    public var handshakeBurst: Int = 500
    /// Packets held per peer while a handshake is in progress; the oldest is dropped when full.
    public var stagedPacketLimit: Int = 128
    /// Cookie replies that may wait in the outbox at once; beyond that, initiations needing a cookie are
    /// dropped unanswered until the driver has sent the backlog.
    public var cookieReplyBacklogLimit: Int = 1024
    /// When set, padding never makes a plaintext longer than this (the tunnel MTU).
    public var mtu: Int? = nil

    /// The paper's values.
    public init() {}
}
