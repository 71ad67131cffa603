/// A Client as a pure state machine: the WireGuard engine plus Resources, flows and Gateways.
///
/// A packet for a Resource with no Gateway yet is buffered and a flow is asked for (SPEC "Client" 1-3);
/// `flow_created` makes the Gateway a peer (or reuses it), routes the Resource's address to it and sends
/// what was buffered. Traffic the Resource's own filters deny is answered locally with "prohibited", so it
/// never reaches a Gateway. Packets from a Gateway must come from its tunnel address or a Resource routed
/// through it. With `reauthorizeOnProhibited` (the feature flag
/// `icmp_error_unreachable_prohibited_create_new_flow`), a "prohibited" error from a Gateway for an enabled
/// Resource starts a new flow request while traffic keeps going to the current Gateway; the error is still
/// delivered. Sans-IO: time is an argument, outputs are polled.
public final class ClientNode<Backend: CryptoBackend, Policy: AccessPolicy>: TunnelNode {
    public typealias ControlEvent = ClientEvent

    /// The WireGuard engine; one peer per Gateway in use.
    public let device: WireGuardDevice<Backend>
    /// The feature flag's value.
    public let reauthorizeOnProhibited: Bool
    /// Our tunnel addresses, from `init`.
    public private(set) var addresses: TunnelAddresses?
    /// Packet decisions, for diagnostics and tests.
    public private(set) var counters = ZeroTrustCounters()
    /// Resources the portal said have no Gateway online.
    public private(set) var offline: Set<ResourceID> = []
    /// How long a repeated flow request for one Resource is suppressed.
    public static var requestDebounce: Duration { .seconds(2) }
    /// Sent to Gateways: the Client initiates, and NATs between must keep the mapping.
    public static var persistentKeepalive: Duration { .seconds(25) }

    struct GatewayEntry {
        let id: GatewayID
        let peer: PeerID
        var addresses: TunnelAddresses
    }

    /// The Resources we may reach, with their filters (the union rule applies here as on the Gateway).
    var resources = Policy()
    /// Indexed by `PeerID.index`.
    var gatewaysByPeer: [GatewayEntry?] = []
    var peersByGateway: [GatewayID: PeerID] = [:]
    /// Which Gateway serves each Resource with a flow.
    var routes: [ResourceID: GatewayID] = [:]
    var pending: [ResourceID: PendingFlow] = [:]
    var lastRequest: [ResourceID: MonotonicInstant] = [:]
    /// Buffered packets released by `flow_created`, waiting to be encrypted.
    var released: [(peer: PeerID, packet: [UInt8])] = []
    var releasedHead = 0
    var events = EventQueue<ClientEvent>()
    var localErrors = PacketRing(capacity: 64, slotSize: ICMPProhibited.maximumLength)
    var localErrorLimiter = ErrorRateLimiter()

    /// A Client over `device` (with no peers: every peer is a Gateway from `flow_created`).
    public init(device: WireGuardDevice<Backend>, reauthorizeOnProhibited: Bool) {
        self.device = device
        self.reauthorizeOnProhibited = reauthorizeOnProhibited
    }

    // MARK: - Control plane

    /// Applies one portal message.
    public func handle(_ command: ClientCommand, now: WireGuardTime) {
        switch command {
        case .initialize(let addresses, let list):
            self.addresses = addresses
            let keep = Set(list.map(\.id))
            for id in resources.resourceIDs where !keep.contains(id) { removeResource(id) }
            for resource in list { upsert(resource) }
        case .upsertResource(let resource):
            upsert(resource)
        case .removeResource(let id):
            removeResource(id)
        case .flowCreated(let flow):
            flowCreated(flow)
        case .flowCreationFailed(let resource, let reason):
            if let dropped = pending.removeValue(forKey: resource) {
                counters.bufferDropped &+= UInt64(dropped.count)
            }
            if reason == .offline { offline.insert(resource) }
        case .gatewayGoodbye(let gateway):
            removeGateway(gateway)
        }
    }

    func upsert(_ resource: ResourceDescription) {
        let previous = resources.resource(resource.id)
        if previous == nil {
            resources.authorize(resource, expiresAt: nil)
        } else {
            resources.updateResource(resource)
        }
        guard let previous, previous.address != resource.address, let gateway = routes[resource.id],
              let peer = peersByGateway[gateway] else { return }
        // The address moved: so does the route to its Gateway.
        device.removeAllowedIP(previous.address)
        device.addAllowedIP(resource.address, to: peer)
    }

    func removeResource(_ id: ResourceID) {
        guard let resource = resources.resource(id) else { return }
        resources.revoke(id)
        if routes.removeValue(forKey: id) != nil { device.removeAllowedIP(resource.address) }
        if let dropped = pending.removeValue(forKey: id) { counters.bufferDropped &+= UInt64(dropped.count) }
        lastRequest[id] = nil
        offline.remove(id)
    }

    func flowCreated(_ flow: FlowCreated) {
        guard let resource = resources.resource(flow.resource) else { return }
        offline.remove(flow.resource)
        var configuration = WireGuardPeerConfiguration(
            publicKey: flow.gatewayPublicKey, presharedKey: flow.presharedKey, endpoint: flow.gatewayEndpoint,
            persistentKeepalive: Self.persistentKeepalive)
        if let existing = peersByGateway[flow.gateway], device.publicKey(of: existing) != flow.gatewayPublicKey {
            removeGateway(flow.gateway)
        }
        let peer: PeerID
        if let existing = peersByGateway[flow.gateway] {
            // Reuse the connection; the next handshake uses the newest preshared key, as the Gateway will.
            configuration.allowedIPs = device.allowedIPs(of: existing)
            try? device.updatePeer(configuration)
            peer = existing
        } else {
            if let stale = device.peerID(for: flow.gatewayPublicKey) { device.removePeer(stale) }
            configuration.allowedIPs = flow.gatewayAddresses.hostNetworks
            guard let added = try? device.addPeer(configuration) else { return }
            peer = added
            peersByGateway[flow.gateway] = added
            let index = Int(added.index)
            if gatewaysByPeer.count <= index {
                gatewaysByPeer.append(contentsOf: repeatElement(nil, count: index + 1 - gatewaysByPeer.count))
            }
            gatewaysByPeer[index] = GatewayEntry(id: flow.gateway, peer: added, addresses: flow.gatewayAddresses)
        }
        if let previous = routes[flow.resource], previous != flow.gateway {
            device.removeAllowedIP(resource.address)
        }
        routes[flow.resource] = flow.gateway
        device.addAllowedIP(resource.address, to: peer)
        if var waiting = pending.removeValue(forKey: flow.resource) {
            for packet in waiting.takeAll() { released.append((peer, packet)) }
        }
    }

    func removeGateway(_ gateway: GatewayID) {
        guard let peer = peersByGateway.removeValue(forKey: gateway) else { return }
        device.removePeer(peer)
        if Int(peer.index) < gatewaysByPeer.count { gatewaysByPeer[Int(peer.index)] = nil }
        for (resource, serving) in routes where serving == gateway {
            routes[resource] = nil
            // The Gateway dropped us: the next packet must ask at once, not wait out an old request's debounce.
            lastRequest[resource] = nil
        }
        released.removeAll { $0.peer == peer }
        releasedHead = min(releasedHead, released.count)
    }

    func emit(_ event: ClientEvent) {
        events.push(event)
    }

    /// The next event for the portal, oldest first.
    public func nextControlEvent() -> ClientEvent? {
        events.pop()
    }

    /// Asks for a flow unless one was asked for within the debounce.
    func requestFlow(_ resource: ResourceID, now: MonotonicInstant) {
        if let last = lastRequest[resource], !now.hasElapsed(Self.requestDebounce, since: last) { return }
        lastRequest[resource] = now
        emit(.createFlow(resource: resource, connectedGateways: peersByGateway.keys.sorted()))
    }

    /// The Resources we know, sorted by id.
    public var resourceIDs: [ResourceID] { resources.resourceIDs }

    /// The Gateway serving `resource`, if a flow exists.
    public func gateway(for resource: ResourceID) -> GatewayID? { routes[resource] }

    /// Packets buffered for `resource` while its flow is pending.
    public func pendingCount(for resource: ResourceID) -> Int { pending[resource]?.count ?? 0 }

    // MARK: - Packets

    /// Encrypts a packet from the TUN device for the Gateway of its Resource, or buffers it and asks for a flow.
    public func encapsulate(
        buffer: UnsafeMutableRawBufferPointer, packet: Range<Int>, now: WireGuardTime
    ) -> WireGuardOutboundResult {
        guard packet.lowerBound >= 0, packet.upperBound <= buffer.count else {
            return .dropped(.invalidInnerPacket)
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[packet])
        guard let flow = try? PacketFlow(parsing: bytes) else {
            counters.malformed &+= 1
            return .dropped(.invalidInnerPacket)
        }
        guard let match = resources.match(flow.destination) else {
            // Not a Resource: a Gateway's own tunnel address still routes through the engine.
            return device.encapsulate(buffer: buffer, packet: packet, now: now)
        }
        guard match.filters.allows(flow) else {
            counters.denied &+= 1
            if !flow.isICMPError {
                if localErrorLimiter.allow(now: now.monotonic) {
                    let before = localErrors.count
                    localErrors.append(peer: PeerID(index: 0)) { ICMPProhibited.build(replyingTo: bytes, into: $0) }
                    if localErrors.count > before { counters.prohibitedSent &+= 1 }
                } else {
                    counters.prohibitedSuppressed &+= 1
                }
            }
            return .dropped(.notAuthorized)
        }
        if let gateway = routes[match.resource], let peer = peersByGateway[gateway] {
            counters.allowed &+= 1
            return device.encapsulate(to: peer, buffer: buffer, packet: packet, now: now)
        }
        let (stored, overwritten) = pending[match.resource, default: PendingFlow()].buffer(bytes)
        if stored { counters.buffered &+= 1 } else { counters.bufferDropped &+= 1 }
        counters.bufferDropped &+= UInt64(overwritten)
        requestFlow(match.resource, now: now.monotonic)
        return .dropped(.awaitingFlow)
    }

    /// Decrypts a datagram; a packet is delivered only if its source may come through that Gateway.
    public func handleDatagram(
        _ bytes: UnsafeMutableRawBufferPointer, from source: Endpoint, to local: LocalSource?, now: WireGuardTime
    ) -> WireGuardInboundResult {
        let result = device.handleDatagram(bytes, from: source, to: local, now: now)
        guard case .packet(let range, let peer) = result else { return result }
        let index = Int(peer.index)
        guard index < gatewaysByPeer.count, let gateway = gatewaysByPeer[index] else {
            return .dropped(.notAuthorized)
        }
        let packet = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard let flow = try? PacketFlow(parsing: packet) else {
            counters.malformed &+= 1
            return .dropped(.invalidInnerPacket)
        }
        if !gateway.addresses.contains(flow.source) {
            guard let match = resources.match(flow.source), routes[match.resource] == gateway.id else {
                counters.spoofedSource &+= 1
                return .dropped(.disallowedSource)
            }
        }
        if reauthorizeOnProhibited, flow.isICMPError,
           let destination = ICMPProhibited.prohibitedDestination(in: packet),
           let match = resources.match(destination) {
            counters.reauthorizations &+= 1
            let before = events.count
            requestFlow(match.resource, now: now.monotonic)
            if events.count > before { emit(.reauthorizing(resource: match.resource, gateway: gateway.id)) }
        }
        counters.allowed &+= 1
        return result
    }

    public var hasPendingDatagrams: Bool { device.hasPendingDatagrams || releasedHead < released.count }

    /// Handshakes and keepalives first, then packets released by `flow_created`.
    public func nextDatagram(into buffer: UnsafeMutableRawBufferPointer, now: WireGuardTime) -> WireGuardDatagram? {
        while true {
            if let datagram = device.nextDatagram(into: buffer, now: now) { return datagram }
            guard releasedHead < released.count else {
                if !released.isEmpty {
                    released.removeAll(keepingCapacity: true)
                    releasedHead = 0
                }
                return nil
            }
            let (peer, packet) = released[releasedHead]
            releasedHead += 1
            let sealed = packet.withUnsafeBytes { device.sealCopy(of: $0, to: peer, into: buffer, now: now) }
            if let sealed { return sealed }
        }
    }

    public var hasPendingTunPackets: Bool { !localErrors.isEmpty }

    /// The next locally made "prohibited" answer for the TUN device, written at the start of `buffer`.
    public func nextTunPacket(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        localErrors.removeFirst { _, packet -> Int in
            let count = min(packet.count, buffer.count)
            buffer.baseAddress!.copyMemory(from: packet.baseAddress!, byteCount: count)
            return count
        }
    }

    public func updateTimers(now: WireGuardTime) {
        device.updateTimers(now: now)
        // A request that got no answer (the portal was away, or the answer was lost) is repeated once its
        // debounce runs out while packets still wait: they were buffered to be sent, not to sit.
        for resource in pending.keys.sorted() {
            if let last = lastRequest[resource], now.monotonic.hasElapsed(Self.requestDebounce, since: last) {
                requestFlow(resource, now: now.monotonic)
            }
        }
    }

    public var nextDeadline: MonotonicInstant? {
        var earliest = device.nextDeadline
        for resource in pending.keys {
            guard let last = lastRequest[resource] else { continue }
            let due = last + Self.requestDebounce
            if earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }
}
