/// A Gateway as a pure state machine: the WireGuard engine plus per-Client access authorizations.
///
/// Every packet a Client sends through its tunnel is checked (SPEC "Gateway" 2): the source must be the
/// Client's tunnel address, traffic to our own tunnel address passes, anything else must match an
/// authorized Resource whose filters (the union over overlapping Resources) allow it. A denied packet is
/// answered with an ICMP "prohibited" error through the tunnel, at most ``ErrorRateLimiter/burst`` at once
/// per Client. Replies from Resources must go to a Client's tunnel address and pass the same filters
/// (ICMP errors always pass). Authorizations expire by wall-clock time, swept every second; a Client left
/// with none is removed and the portal told (`goodbye`). Sans-IO like the engine: time is an argument,
/// outputs are polled. Per-Client state lives in arrays indexed by the engine's dense ``PeerID``.
///
/// With several workers (a device with a ``WorkerShard``) every worker runs one GatewayNode and applies every
/// portal command, so each holds every Client's authorizations; a Client's packets are filtered on the worker its
/// peer lives on (the others hand them there), and only that worker tells the portal about the Client, so each
/// event is sent once.
public final class GatewayNode<Backend: CryptoBackend, Policy: AccessPolicy>: TunnelNode {
    public typealias ControlEvent = GatewayEvent

    /// The WireGuard engine; one peer per authorized Client.
    public let device: WireGuardDevice<Backend>
    /// Our tunnel addresses, from `init`.
    public private(set) var addresses: TunnelAddresses?
    /// Packet decisions, for diagnostics and tests.
    public private(set) var counters = ZeroTrustCounters()

    struct ClientEntry {
        let id: ClientID
        let peer: PeerID
        var addresses: TunnelAddresses
        var policy: Policy
        var errors = ErrorRateLimiter()
    }

    /// Indexed by `PeerID.index`.
    var clients: [ClientEntry?] = []
    var peersByClient: [ClientID: PeerID] = [:]
    var events = EventQueue<GatewayEvent>()
    var errors = PacketRing(capacity: 64, slotSize: ICMPProhibited.maximumLength)
    /// When expiries are next checked; nil when no authorization expires.
    var nextSweep: MonotonicInstant?
    static var sweepInterval: Duration { .seconds(1) }

    /// A Gateway over `device` (which should have no peers: every peer is a Client the portal authorized).
    public init(device: WireGuardDevice<Backend>) {
        self.device = device
    }

    // MARK: - Control plane

    /// Applies one portal message.
    public func handle(_ command: GatewayCommand, now: WireGuardTime) {
        switch command {
        case .initialize(let addresses, let authorizations):
            self.addresses = addresses
            let keep = Set(authorizations.map(\.client))
            // Goodbye even here: the Client still has a session with us, and reuses it for its next flow unless
            // the portal tells it (`gateway_goodbye`) that we dropped its peer.
            for (client, _) in peersByClient where !keep.contains(client) { removeClient(client, goodbye: true) }
            var held: [ClientID: Set<ResourceID>] = [:]
            for authorization in authorizations {
                apply(authorization)
                held[authorization.client, default: []].insert(authorization.resource.id)
            }
            for (client, resources) in held {
                guard let peer = peersByClient[client], var entry = clients[Int(peer.index)] else { continue }
                for resource in entry.policy.resourceIDs where !resources.contains(resource) {
                    entry.policy.revoke(resource)
                }
                clients[Int(peer.index)] = entry
            }
        case .authorizeFlow(let authorization):
            apply(authorization)
            emit(.flowAuthorized(reference: authorization.reference, client: authorization.client,
                                 resource: authorization.resource.id), about: authorization.clientPublicKey)
        case .rejectAccess(let client, let resource):
            modify(client) { $0.policy.revoke(resource) }
        case .updateExpiry(let client, let resource, let expiresAt):
            modify(client) { _ = $0.policy.updateExpiry(resource, expiresAt: expiresAt) }
        case .updateResource(let resource):
            for index in clients.indices {
                guard var entry = clients[index] else { continue }
                if entry.policy.updateResource(resource) { clients[index] = entry }
            }
        }
        scheduleSweep(now: now.monotonic)
    }

    /// Adds or refreshes the Client's peer and its authorization for one Resource.
    func apply(_ authorization: FlowAuthorization) {
        if let peer = peersByClient[authorization.client], let entry = clients[Int(peer.index)],
           device.publicKey(of: peer) != authorization.clientPublicKey
            || entry.addresses != authorization.clientAddresses {
            // The Client came back with a new key (a restart) or new addresses: start over with it.
            removeClient(authorization.client, goodbye: false)
        }
        let configuration = WireGuardPeerConfiguration(
            publicKey: authorization.clientPublicKey, presharedKey: authorization.presharedKey,
            allowedIPs: authorization.clientAddresses.hostNetworks)
        let peer: PeerID
        if let existing = peersByClient[authorization.client] {
            // Sessions stay up; the next handshake uses the newest flow's preshared key, as the Client will.
            try? device.updatePeer(configuration)
            peer = existing
        } else {
            if let stale = device.peerID(for: authorization.clientPublicKey) { removePeer(stale) }
            guard let added = try? device.addPeer(configuration) else { return }
            peer = added
            peersByClient[authorization.client] = added
            let index = Int(added.index)
            if clients.count <= index {
                clients.append(contentsOf: repeatElement(nil, count: index + 1 - clients.count))
            }
            clients[index] = ClientEntry(id: authorization.client, peer: added,
                                         addresses: authorization.clientAddresses, policy: Policy())
        }
        clients[Int(peer.index)]?.policy.authorize(authorization.resource, expiresAt: authorization.expiresAt)
    }

    /// Runs `change` on a Client's entry, then says goodbye if it holds nothing any more.
    func modify(_ client: ClientID, _ change: (inout ClientEntry) -> Void) {
        guard let peer = peersByClient[client], var entry = clients[Int(peer.index)] else { return }
        change(&entry)
        clients[Int(peer.index)] = entry
        if entry.policy.isEmpty { removeClient(client, goodbye: true) }
    }

    func removeClient(_ client: ClientID, goodbye: Bool) {
        guard let peer = peersByClient.removeValue(forKey: client) else { return }
        let key = device.publicKey(of: peer)
        removePeer(peer)
        if goodbye, let key { emit(.goodbye(client: client), about: key) }
    }

    func removePeer(_ peer: PeerID) {
        device.removePeer(peer)
        if Int(peer.index) < clients.count {
            if let id = clients[Int(peer.index)]?.id, peersByClient[id] == peer { peersByClient[id] = nil }
            clients[Int(peer.index)] = nil
        }
    }

    /// Queues `event` about the Client with public key `client`, on the one worker its peer lives on.
    func emit(_ event: GatewayEvent, about client: PublicKey) {
        guard device.isHome(of: client) else { return }
        events.push(event)
    }

    /// The next event for the portal, oldest first.
    public func nextControlEvent() -> GatewayEvent? {
        events.pop()
    }

    /// The Clients with a peer, and the Resources each may reach (for `list` and tests).
    public var authorizations: [ClientID: [ResourceID]] {
        var result: [ClientID: [ResourceID]] = [:]
        for entry in clients.compactMap({ $0 }) { result[entry.id] = entry.policy.resourceIDs }
        return result
    }

    /// The peer serving `client`, if it holds any authorization.
    public func peer(of client: ClientID) -> PeerID? { peersByClient[client] }

    // MARK: - Expiry

    func scheduleSweep(now: MonotonicInstant) {
        let anyExpiry = clients.contains { $0?.policy.earliestExpiry != nil }
        if !anyExpiry {
            nextSweep = nil
        } else if nextSweep == nil {
            nextSweep = now + Self.sweepInterval
        }
    }

    /// How much later than its home worker another worker lets a Client's authorizations expire.
    ///
    /// Each worker sweeps on its own timer. Were another worker to drop a Client first, an `updateExpiry` arriving
    /// in between would extend it on the home worker only, and replies the kernel put on the other worker's TUN
    /// queue would find no peer to be handed to. Filtering happens on the home worker, so the other workers' copy
    /// only has to outlive it; the grace is far above the sweep interval and a command's spread across workers.
    static var otherWorkerExpiryGrace: Int64 { 5 }

    func sweep(now: WireGuardTime) {
        let wall = UnixTime(seconds: now.wallClock.unixSeconds)
        let lagging = UnixTime(seconds: now.wallClock.unixSeconds - Self.otherWorkerExpiryGrace)
        for index in clients.indices {
            guard var entry = clients[index], let earliest = entry.policy.earliestExpiry else { continue }
            let cutoff = device.livesHere(entry.peer) ? wall : lagging
            guard earliest <= cutoff else { continue }
            let key = device.publicKey(of: entry.peer)
            for resource in entry.policy.removeExpired(now: cutoff) {
                if let key { emit(.authorizationExpired(client: entry.id, resource: resource), about: key) }
            }
            clients[index] = entry
            if entry.policy.isEmpty { removeClient(entry.id, goodbye: true) }
        }
        nextSweep = nil
        scheduleSweep(now: now.monotonic)
    }

    // MARK: - Packets

    /// Decrypts a datagram; a Client's packet is delivered only if its authorizations allow it.
    public func handleDatagram(
        _ bytes: UnsafeMutableRawBufferPointer, from source: Endpoint, to local: LocalSource?, now: WireGuardTime
    ) -> WireGuardInboundResult {
        let result = device.handleDatagram(bytes, from: source, to: local, now: now)
        guard case .packet(let range, let peer) = result else { return result }
        let index = Int(peer.index)
        guard index < clients.count, let entry = clients[index] else {
            counters.denied &+= 1
            return .dropped(.notAuthorized)
        }
        let packet = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard let flow = try? PacketFlow(parsing: packet) else {
            counters.malformed &+= 1
            return .dropped(.invalidInnerPacket)
        }
        guard entry.addresses.contains(flow.source) else {
            counters.spoofedSource &+= 1
            return .dropped(.disallowedSource)
        }
        if let addresses, addresses.contains(flow.destination) {
            counters.allowed &+= 1
            return result
        }
        guard entry.policy.allowsOutbound(flow) else {
            counters.denied &+= 1
            if !flow.isICMPError { prohibit(packet, client: index, now: now.monotonic) }
            return .dropped(.notAuthorized)
        }
        counters.allowed &+= 1
        return result
    }

    /// Queues a "prohibited" error for the Client at `index`, within its rate limit.
    func prohibit(_ packet: UnsafeRawBufferPointer, client index: Int, now: MonotonicInstant) {
        guard clients[index]!.errors.allow(now: now) else {
            counters.prohibitedSuppressed &+= 1
            return
        }
        let before = errors.count
        errors.append(peer: clients[index]!.peer) { ICMPProhibited.build(replyingTo: packet, into: $0) }
        if errors.count > before {
            counters.prohibitedSent &+= 1
        } else {
            counters.prohibitedSuppressed &+= 1
        }
    }

    /// Encrypts a reply from a Resource for the Client whose tunnel address it is sent to.
    public func encapsulate(
        buffer: UnsafeMutableRawBufferPointer, packet: Range<Int>, now: WireGuardTime
    ) -> WireGuardOutboundResult {
        guard packet.lowerBound >= 0, packet.upperBound <= buffer.count,
              let flow = try? PacketFlow(parsing: UnsafeRawBufferPointer(rebasing: buffer[packet])) else {
            counters.malformed &+= 1
            return .dropped(.invalidInnerPacket)
        }
        guard let peer = device.peer(routing: flow.destination), Int(peer.index) < clients.count,
              let entry = clients[Int(peer.index)], entry.addresses.contains(flow.destination) else {
            return .dropped(.noRoute)
        }
        // Filtered and counted once, where the Client's session lives.
        guard device.livesHere(peer) else {
            return device.encapsulate(to: peer, buffer: buffer, packet: packet, now: now)
        }
        let fromGateway = addresses?.contains(flow.source) ?? false
        guard fromGateway || flow.isICMPError || entry.policy.allowsReply(flow) else {
            counters.denied &+= 1
            return .dropped(.notAuthorized)
        }
        counters.allowed &+= 1
        return device.encapsulate(to: peer, buffer: buffer, packet: packet, now: now)
    }

    public var hasPendingDatagrams: Bool { device.hasPendingDatagrams || !errors.isEmpty }

    /// Handshakes and keepalives first, then the queued "prohibited" errors, each encrypted for its Client.
    public func nextDatagram(into buffer: UnsafeMutableRawBufferPointer, now: WireGuardTime) -> WireGuardDatagram? {
        while true {
            if let datagram = device.nextDatagram(into: buffer, now: now) { return datagram }
            guard !errors.isEmpty else { return nil }
            // An error staged behind a handshake goes out with the engine's own datagrams later.
            let sealed = errors.removeFirst { peer, packet in
                device.sealCopy(of: packet, to: peer, into: buffer, now: now)
            }
            if let datagram = sealed ?? nil { return datagram }
        }
    }

    public var hasPendingTunPackets: Bool { false }

    public func nextTunPacket(into buffer: UnsafeMutableRawBufferPointer) -> Int? { nil }

    public func updateTimers(now: WireGuardTime) {
        device.updateTimers(now: now)
        if let nextSweep, now.monotonic >= nextSweep { sweep(now: now) }
    }

    public var nextDeadline: MonotonicInstant? {
        switch (device.nextDeadline, nextSweep) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b): return b
        }
    }
}
