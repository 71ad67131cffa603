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

    // Timers (nil when not armed).
    @exclusivity(unchecked) var retransmitDeadline: MonotonicInstant?
    @exclusivity(unchecked) var keepaliveDeadline: MonotonicInstant?
    @exclusivity(unchecked) var newHandshakeDeadline: MonotonicInstant?
    @exclusivity(unchecked) var zeroKeysDeadline: MonotonicInstant?
    @exclusivity(unchecked) var persistentKeepaliveDeadline: MonotonicInstant?

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
