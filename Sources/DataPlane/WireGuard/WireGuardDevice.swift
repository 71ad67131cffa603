/// A WireGuard interface as a pure state machine: peers, handshakes, sessions, timers and cryptokey
/// routing, with no I/O, clock or threads (sans-IO).
///
/// The driver feeds it datagrams from the network (`handleDatagram`), IP packets from the TUN device
/// (`encapsulate`) and the time (`updateTimers`), then polls `nextDatagram` until it returns nil and sleeps
/// until `nextDeadline`. Transport data is encrypted and decrypted in place in the caller's buffers, so
/// the data path does not allocate; handshakes, staged packets and configuration may. Generic over the
/// crypto backend so the per-packet code is specialized for it.
public final class WireGuardDevice<Backend: CryptoBackend> {
    typealias Peer = PeerState<Backend>

    /// Timing and size constants.
    public let configuration: WireGuardConfiguration
    /// The configuration's per-packet intervals in integer nanoseconds.
    let intervals: PacketPathIntervals
    /// Counters of dropped inputs by reason.
    // Unchecked exclusivity here and on the other state the packet path touches: only the driver's one
    // thread calls the device, and its methods never hold an access across a call back into it.
    @exclusivity(unchecked) public internal(set) var drops = WireGuardDropCounters()
    /// Force "under load" (MAC2 and cookies required for every handshake), e.g. when the driver's own
    /// queues are deep; the device is also under load whenever the handshake rate limit is exhausted.
    public var isUnderLoadOverride = false

    /// Our static private key, nil until set.
    public private(set) var privateKey: PrivateKey?
    /// Our static public key, derived from `privateKey`.
    public private(set) var publicKey: PublicKey?

    /// `HASH(HASH(C_i || IDENTIFIER) || our public key)`: the responder's starting hash.
    var responderInitialHash = Key32(bytes: .zero)
    var cookieChecker: CookieChecker?
    @exclusivity(unchecked) var peers: [PublicKey: Peer] = [:]
    /// Peers by `PeerID.index`; nil marks a free slot. Trailing free slots are trimmed, so its count is
    /// `peerSlotCount`.
    @exclusivity(unchecked) var slots: [Peer?] = []
    /// Every slot below this index is occupied: where the search for a free slot starts.
    var lowestFreeSlotHint = 0
    @exclusivity(unchecked) var allowedIPs = AllowedIPs<Peer>()
    @exclusivity(unchecked) var indices: [UInt32: IndexEntry<Backend>] = [:]
    @exclusivity(unchecked) var outbox: [OutboxItem<Backend>] = []
    @exclusivity(unchecked) var outboxHead = 0
    /// Peers by their next timer deadline: wake-ups cost what is due, not the number of peers.
    let schedule = TimerSchedule<Backend>()
    /// Cookie replies in the outbox: each answers a stranger, so their number is capped.
    var pendingCookieReplies = 0
    /// Cookie replies queued since the device was made (a flood shows here).
    public internal(set) var cookieRepliesQueued: UInt64 = 0
    /// Handshake messages sent and accepted since the device was made.
    public internal(set) var handshakes = WireGuardHandshakeCounters()
    var rateLimiter: HandshakeRateLimiter
    /// Handshake messages seen in the current turn: the datagrams a driver handles in one wake-up, which all
    /// carry the one `now` it read for that wake-up.
    var handshakesThisTurn = 0
    var turnTime: MonotonicInstant?
    /// Under load until then: a turn brought a backlog of handshakes.
    var underLoadUntil: MonotonicInstant?
    /// Per-source limit for handshakes admitted under load by a valid MAC2.
    var sourceRateLimiter = SourceRateLimiter()
    var random: any RandomNumberGenerator
    /// This device's share when several workers run the interface; nil when it runs alone.
    public let shard: WorkerShard?
    /// The worker this device is (0 alone).
    @usableFromInline let worker: Int

    /// A device with no peers.
    ///
    /// - Parameters:
    ///   - privateKey: the interface key; may be set later with `setPrivateKey`.
    ///   - configuration: protocol constants, the paper's by default.
    ///   - random: the source of ephemeral keys, receiver indices, cookie secrets and jitter. Production
    ///     passes a CSPRNG; tests pass a seeded generator to be deterministic.
    ///   - shard: which worker of several this device is; nil (the default) when it runs the interface alone.
    public init(privateKey: PrivateKey?, configuration: WireGuardConfiguration = WireGuardConfiguration(),
                random: any RandomNumberGenerator, shard: WorkerShard? = nil) {
        self.configuration = configuration
        self.shard = shard
        worker = shard?.worker ?? 0
        intervals = PacketPathIntervals(configuration)
        self.random = random
        rateLimiter = HandshakeRateLimiter(ratePerSecond: configuration.handshakesPerSecond,
                                           burst: configuration.handshakeBurst)
        if let privateKey { setPrivateKey(privateKey) }
    }

    /// Replaces the interface key: every session and handshake ends, and a peer with our new public key
    /// is removed, as `wg set private-key` does.
    public func setPrivateKey(_ key: PrivateKey) {
        let clamped = key.clamped
        // `wg syncconf` always sends the key: the same key must not tear down every session.
        guard clamped != privateKey else { return }
        let ownPublic = Backend.publicKey(for: clamped)
        privateKey = clamped
        publicKey = ownPublic
        responderInitialHash = Noise.mixHash(Noise.initialHash, ownPublic.raw)
        cookieChecker = CookieChecker(publicKey: ownPublic, sharedSeed: shard?.cookieSeed)
        if peers[ownPublic] != nil { removePeer(ownPublic) }
        for case let peer? in slots where peer.home == worker {
            clearSessions(peer)
            peer.staticShared = try? Backend.sharedSecret(privateKey: clamped, publicKey: peer.publicKey).raw
        }
    }

    // MARK: - Peers

    /// Adds a peer and returns its id: the lowest free slot.
    @discardableResult
    public func addPeer(
        _ peerConfiguration: WireGuardPeerConfiguration
    ) throws(WireGuardConfigurationError) -> PeerID {
        let key = peerConfiguration.publicKey
        guard peers[key] == nil else { throw .duplicatePeer(key) }
        guard key != publicKey else { throw .ownPublicKey }
        let id = takeFreeSlot()
        let peer = Peer(configuration: peerConfiguration, id: id)
        peer.home = shard?.home(of: key) ?? 0
        // Only its home worker handshakes with it: the others skip the X25519 (10,000 peers, N workers).
        if let privateKey, peer.home == worker {
            peer.staticShared = try? Backend.sharedSecret(privateKey: privateKey, publicKey: key).raw
        }
        peers[key] = peer
        slots[Int(id.index)] = peer
        peer.schedule = schedule
        for network in peerConfiguration.allowedIPs { allowedIPs.insert(network, value: peer) }
        // Like the kernel, a persistent keepalive fires as soon as the peer is configured (on its home worker).
        if peer.persistentKeepalive != nil && peer.home == worker {
            peer.persistentKeepaliveDeadline = MonotonicInstant(nanoseconds: 0)
        }
        return id
    }

    /// Finds the lowest free slot (growing the table when none is free); the caller fills it.
    func takeFreeSlot() -> PeerID {
        var index = lowestFreeSlotHint
        while index < slots.count, slots[index] != nil { index += 1 }
        if index == slots.count { slots.append(nil) }
        lowestFreeSlotHint = index + 1
        return PeerID(index: UInt32(index))
    }

    /// Changes a peer's preshared key, allowed IPs (replaced), endpoint and persistent keepalive;
    /// sessions are kept.
    public func updatePeer(_ peerConfiguration: WireGuardPeerConfiguration) throws(WireGuardConfigurationError) {
        guard let peer = peers[peerConfiguration.publicKey] else { throw .unknownPeer(peerConfiguration.publicKey) }
        peer.presharedKey = peerConfiguration.presharedKey
        if let endpoint = peerConfiguration.endpoint, endpoint != peer.endpoint {
            // A new endpoint may be reached from another address: let the kernel choose until it answers.
            peer.endpoint = endpoint
            peer.localSource = nil
        }
        let wasKeepingAlive = peer.persistentKeepalive != nil
        peer.persistentKeepalive = peerConfiguration.persistentKeepalive
        if peer.persistentKeepalive == nil {
            peer.persistentKeepaliveDeadline = nil
        } else if !wasKeepingAlive && peer.home == worker {
            peer.persistentKeepaliveDeadline = MonotonicInstant(nanoseconds: 0)
        }
        allowedIPs.removeAll(routedTo: peer)
        for network in peerConfiguration.allowedIPs { allowedIPs.insert(network, value: peer) }
    }

    /// Removes a peer with its sessions, staged packets and routes; returns whether it existed.
    @discardableResult
    public func removePeer(_ key: PublicKey) -> Bool {
        guard let peer = peers[key] else { return false }
        remove(peer)
        return true
    }

    /// Removes the peer in slot `peer`, as `removePeer(_:)` by key; returns whether it existed. The slot
    /// becomes free and the next peer added may get this id.
    @discardableResult
    public func removePeer(_ peer: PeerID) -> Bool {
        guard let state = self.peer(peer) else { return false }
        remove(state)
        return true
    }

    func remove(_ peer: Peer) {
        peers[peer.publicKey] = nil
        let index = Int(peer.id.index)
        slots[index] = nil
        lowestFreeSlotHint = min(lowestFreeSlotHint, index)
        while let last = slots.last, last == nil { slots.removeLast() }
        clearSessions(peer)
        peer.staged.removeAll()
        peer.isRemoved = true
        // Its entries in the schedule are dropped when they reach the top (or at the next compaction).
        peer.schedule = nil
        allowedIPs.removeAll(routedTo: peer)
    }

    /// The peer in slot `id`, or nil if the slot is free.
    @inline(__always)
    func peer(_ id: PeerID) -> Peer? {
        let index = Int(id.index)
        return index < slots.count ? slots[index] : nil
    }

    /// The id of the peer with public key `key`, or nil if there is none.
    public func peerID(for key: PublicKey) -> PeerID? {
        peers[key]?.id
    }

    /// The public key of the peer in slot `peer`, or nil if the slot is free.
    public func publicKey(of peer: PeerID) -> PublicKey? {
        self.peer(peer)?.publicKey
    }

    /// Whether the peer in slot `peer` lives on this worker (always without a shard); false for a free slot.
    public func livesHere(_ peer: PeerID) -> Bool {
        guard let state = self.peer(peer) else { return false }
        return state.home == worker
    }

    /// Whether a peer with public key `key` lives (or would live) on this worker: always without a shard.
    public func isHome(of key: PublicKey) -> Bool {
        shard.map { $0.home(of: key) == $0.worker } ?? true
    }

    /// One more than the highest slot index in use (0 with no peers): arrays of this size can hold
    /// per-peer state for every current `PeerID`.
    public var peerSlotCount: Int { slots.count }

    /// The ids of all peers, in slot order.
    public var peerIDs: [PeerID] { slots.compactMap { $0?.id } }

    /// Receiver indices in use (handshakes and keypairs of every peer): bounded by the peers, not by traffic.
    public var receiverIndexCount: Int { indices.count }

    /// The public keys of all peers.
    public var peerPublicKeys: [PublicKey] { Array(peers.keys) }

    /// What `wg show` reports for a peer, or nil if there is no such peer.
    public func statistics(for key: PublicKey, now: MonotonicInstant) -> WireGuardPeerStatistics? {
        guard let peer = peers[key] else { return nil }
        return statistics(of: peer, allowedIPs: allowedIPs.networks(routedTo: peer), now: now)
    }

    /// The peer that `address` routes to by the allowed-IPs table.
    public func peer(routing address: IPAddress) -> PeerID? {
        allowedIPs.lookup(address)?.id
    }

    /// Routes `network` to `peer` (replacing its previous owner, if any) without touching the peer's other
    /// allowed IPs; does nothing if the slot is free. The Gateway adds a Client's tunnel addresses this way.
    public func addAllowedIP(_ network: IPNetwork, to peer: PeerID) {
        guard let state = self.peer(peer) else { return }
        allowedIPs.insert(network, value: state)
    }

    /// Removes exactly `network` from the allowed IPs, whichever peer owns it.
    public func removeAllowedIP(_ network: IPNetwork) {
        allowedIPs.remove(network)
    }

    /// Replaces every allowed IP of `peer` with `networks`; does nothing if the slot is free.
    public func setAllowedIPs(_ networks: [IPNetwork], of peer: PeerID) {
        guard let state = self.peer(peer) else { return }
        allowedIPs.removeAll(routedTo: state)
        for network in networks { allowedIPs.insert(network, value: state) }
    }

    /// The allowed IPs of `peer`, IPv4 first, longest prefix first; empty if the slot is free.
    public func allowedIPs(of peer: PeerID) -> [IPNetwork] {
        guard let state = self.peer(peer) else { return [] }
        return allowedIPs.networks(routedTo: state)
    }

    /// What `wg show` reports for the peer in slot `peer`, or nil if the slot is free.
    public func statistics(of peer: PeerID, now: MonotonicInstant) -> WireGuardPeerStatistics? {
        guard let state = self.peer(peer) else { return nil }
        return statistics(of: state, allowedIPs: allowedIPs.networks(routedTo: state), now: now)
    }

    // MARK: - Output

    /// Writes the next pending datagram (handshake message, cookie reply, keepalive or flushed staged
    /// packet) at the start of `buffer` and returns its size and destination, or nil when none is left.
    ///
    /// `buffer` should hold the largest staged packet plus 48 bytes (header, padding, tag); a staged
    /// packet that does not fit is dropped and counted.
    public func nextDatagram(into buffer: UnsafeMutableRawBufferPointer, now: WireGuardTime) -> WireGuardDatagram? {
        // The outbox is emptied as soon as its last item is taken, not on a later call: a driver that
        // stops polling once `hasPendingDatagrams` is false must not leave consumed items behind.
        defer { compactOutboxIfDrained() }
        while outboxHead < outbox.count {
            switch outbox[outboxHead] {
            case .message(let bytes, let endpoint, let source, let peer):
                outboxHead += 1
                if peer == nil { pendingCookieReplies -= 1 }
                if peer?.isRemoved == true { continue }
                guard bytes.count <= buffer.count else {
                    drops.record(.insufficientBufferSpace)
                    continue
                }
                bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                return WireGuardDatagram(count: bytes.count, endpoint: endpoint, source: source)
            case .keepalive(let peer):
                outboxHead += 1
                guard !peer.isRemoved, let endpoint = peer.endpoint,
                      let keypair = usableSendKeypair(peer, now: now.monotonic),
                      buffer.count >= TransportDataLayout.minimumSize else { continue }
                let range = seal(keypair, buffer: buffer, payload: TransportDataLayout.headerSize..<16, padded: 0)
                didSend(peer, keypair: keypair, bytes: range.count, isData: false, now: now)
                return WireGuardDatagram(count: range.count, endpoint: endpoint, source: peer.localSource)
            case .flush(let peer):
                guard !peer.isRemoved, !peer.staged.isEmpty, let endpoint = peer.endpoint,
                      let keypair = usableSendKeypair(peer, now: now.monotonic) else {
                    peer.flushQueued = false
                    outboxHead += 1
                    continue
                }
                let packet = peer.staged.removeFirst()
                if peer.staged.isEmpty {
                    peer.flushQueued = false
                    outboxHead += 1
                }
                let header = TransportDataLayout.headerSize
                let padded = paddedLength(packet.count)
                guard header + padded + TransportDataLayout.tagSize <= buffer.count else {
                    drops.record(.insufficientBufferSpace)
                    continue
                }
                packet.withUnsafeBytes {
                    (buffer.baseAddress! + header).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
                }
                let range = seal(keypair, buffer: buffer, payload: header..<(header + packet.count), padded: padded)
                didSend(peer, keypair: keypair, bytes: range.count, isData: true, now: now)
                return WireGuardDatagram(count: range.count, endpoint: endpoint, source: peer.localSource)
            }
        }
        return nil
    }

    /// Forgets the consumed items once all are consumed; the storage is kept for the next burst, and is
    /// bounded because cookie replies (the only items a stranger can cause) are capped.
    @inline(__always)
    func compactOutboxIfDrained() {
        guard outboxHead > 0, outboxHead == outbox.count else { return }
        outbox.removeAll(keepingCapacity: true)
        outboxHead = 0
    }

    /// Whether `nextDatagram` has something to return.
    public var hasPendingDatagrams: Bool { outboxHead < outbox.count }

    /// Items waiting in the outbox (for tests and diagnostics: it stays small when the driver polls).
    public var pendingDatagramCount: Int { outbox.count - outboxHead }

    /// Items the outbox's storage can hold without growing: stays at the largest burst between polls, not at
    /// the number of datagrams ever sent (for tests: memory that depends on the process is too noisy).
    public var outboxStorageCapacity: Int { outbox.capacity }

    /// Entries in the timer schedule, stale ones included (for tests: it must stay near the number of peers
    /// however many are added and removed).
    public var timerScheduleEntryCount: Int { schedule.heap.count }

    /// The earliest time `updateTimers` has work to do, or nil if no timer is armed.
    public var nextDeadline: MonotonicInstant? {
        schedule.earliest()
    }

    func enqueue(_ item: OutboxItem<Backend>) {
        outbox.append(item)
    }

    /// Whether another cookie reply may be queued: a flood of initiations faster than the driver sends must
    /// not grow memory, so at most `cookieReplyBacklogLimit` wait at once.
    var hasRoomForCookieReply: Bool { pendingCookieReplies < configuration.cookieReplyBacklogLimit }

    /// Queues a cookie reply; the caller checked ``hasRoomForCookieReply`` before building it.
    func enqueueCookieReply(_ reply: [UInt8], to source: Endpoint, from local: LocalSource?) {
        pendingCookieReplies += 1
        cookieRepliesQueued &+= 1
        outbox.append(.message(reply, source, local, nil))
    }

    // MARK: - Helpers

    /// A fresh random receiver index not in use.
    func newLocalIndex() -> UInt32 {
        while true {
            var candidate = UInt32(truncatingIfNeeded: random.next())
            if let shard { candidate = shard.claim(candidate) }
            if indices[candidate] == nil { return candidate }
        }
    }

    /// Forgets every keypair and the handshake in progress of `peer`.
    func clearSessions(_ peer: Peer) {
        retire(peer.current)
        retire(peer.previous)
        retire(peer.next)
        peer.current = nil
        peer.previous = nil
        peer.next = nil
        if let handshake = peer.handshake { indices[handshake.localIndex] = nil }
        peer.handshake = nil
    }

    /// Removes a keypair's receiver index so its packets are no longer accepted.
    func retire(_ keypair: Keypair<Backend.Cipher>?) {
        guard let keypair else { return }
        if case .keypair(_, let registered) = indices[keypair.localIndex], registered === keypair {
            indices[keypair.localIndex] = nil
        }
    }
}
