/// The engine's state for one peer: keys, handshake, keypairs, timers, staged packets and statistics.
///
/// A class so the allowed-IPs table and the receiver-index table can point at it directly; it is made
/// when the peer is added, not per packet.
final class PeerState<Backend: CryptoBackend> {
    typealias PeerKeypair = Keypair<Backend.Cipher>

    let publicKey: PublicKey
    /// The device slot this peer occupies, so results name it without a key lookup.
    let id: PeerID
    @exclusivity(unchecked) var presharedKey: PresharedKey
    /// `DH(S_priv, S_pub_peer)`, computed once per private key: both roles need it in every handshake.
    var staticShared: Key32?
    // Unchecked exclusivity: the packet path reads and writes these on every packet, on the device's one
    // thread, and never holds an access across a call.
    @exclusivity(unchecked) var endpoint: Endpoint?
    /// Where the peer's latest authenticated datagram arrived; replies leave from there (see ``LocalSource``).
    @exclusivity(unchecked) var localSource: LocalSource?
    var persistentKeepalive: Duration? {
        didSet { persistentKeepaliveNanoseconds = persistentKeepalive?.wireGuardNanoseconds }
    }
    /// `persistentKeepalive` in integer nanoseconds, for the packet path.
    @exclusivity(unchecked) private(set) var persistentKeepaliveNanoseconds: UInt64?
    var cookies: CookieGenerator
    @exclusivity(unchecked) var isRemoved = false
    /// The worker this peer lives on (0 without a shard); elsewhere it is configuration only.
    @exclusivity(unchecked) var home = 0

    // Handshake state.
    var handshake: InitiatorHandshake?
    /// The newest timestamp accepted in an initiation from this peer.
    var latestTimestamp: TAI64N?
    /// The newest timestamp we put in an initiation to this peer; the next one must be greater.
    var lastTimestampSent: TAI64N?
    var lastInitiationConsumed: MonotonicInstant?
    var lastInitiationSent: MonotonicInstant?
    var handshakeStarted: MonotonicInstant?

    // Keypairs.
    @exclusivity(unchecked) var current: PeerKeypair?
    @exclusivity(unchecked) var previous: PeerKeypair?
    @exclusivity(unchecked) var next: PeerKeypair?

    // Timers (nil when not armed). Arming one earlier than the peer's entry in the device's schedule adds
    // an entry (see ``TimerSchedule``); the packet path pays one comparison.
    @exclusivity(unchecked) var retransmitDeadline: MonotonicInstant? { didSet { armed(retransmitDeadline) } }
    @exclusivity(unchecked) var keepaliveDeadline: MonotonicInstant? { didSet { armed(keepaliveDeadline) } }
    @exclusivity(unchecked) var newHandshakeDeadline: MonotonicInstant? { didSet { armed(newHandshakeDeadline) } }
    @exclusivity(unchecked) var zeroKeysDeadline: MonotonicInstant? { didSet { armed(zeroKeysDeadline) } }
    @exclusivity(unchecked) var persistentKeepaliveDeadline: MonotonicInstant? {
        didSet { armed(persistentKeepaliveDeadline) }
    }
    /// The device's timer schedule, set when the peer is added and cleared when it is removed. Unowned: the
    /// device owns both, and the schedule's entries keep peers alive, not the other way round.
    @exclusivity(unchecked) unowned(unsafe) var schedule: TimerSchedule<Backend>?
    /// The deadline of this peer's earliest entry in the schedule, nil when it has none.
    @exclusivity(unchecked) var scheduledAt: MonotonicInstant?

    @inline(__always)
    private func armed(_ deadline: MonotonicInstant?) {
        guard let deadline, let schedule else { return }
        if let scheduledAt, scheduledAt <= deadline { return }
        schedule.push(deadline, self)
    }

    /// Packets waiting for a session, oldest first.
    @exclusivity(unchecked) var staged: [[UInt8]] = []
    /// Whether a flush of `staged` is already in the outbox.
    var flushQueued = false

    // Statistics.
    var lastHandshake: WallClockTime?
    @exclusivity(unchecked) var receivedBytes: UInt64 = 0
    @exclusivity(unchecked) var sentBytes: UInt64 = 0

    init(configuration: WireGuardPeerConfiguration, id: PeerID) {
        publicKey = configuration.publicKey
        self.id = id
        presharedKey = configuration.presharedKey
        endpoint = configuration.endpoint
        persistentKeepalive = configuration.persistentKeepalive
        persistentKeepaliveNanoseconds = configuration.persistentKeepalive?.wireGuardNanoseconds
        cookies = CookieGenerator(peerPublicKey: configuration.publicKey)
    }

    /// The earliest armed timer.
    ///
    /// Computed without building an array: the loop asks for it on every wake-up.
    var nextDeadline: MonotonicInstant? {
        Self.earlier(
            Self.earlier(Self.earlier(retransmitDeadline, keepaliveDeadline), Self.earlier(newHandshakeDeadline,
                                                                                           zeroKeysDeadline)),
            persistentKeepaliveDeadline)
    }

    @inline(__always)
    static func earlier(_ a: MonotonicInstant?, _ b: MonotonicInstant?) -> MonotonicInstant? {
        guard let a else { return b }
        guard let b else { return a }
        return a < b ? a : b
    }
}
