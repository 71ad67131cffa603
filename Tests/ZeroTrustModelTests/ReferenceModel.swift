import ControlProtocol
import DataPlane
import Portal

/// What SPEC and docs/zero-trust.md say should happen, written as plain dictionaries and loops.
///
/// It knows nothing of WireGuard: a Client that routes a Resource to a Gateway reaches it, a Gateway that
/// holds no authorization for the Client never completes a handshake. It follows the same order of control
/// messages as `RealSystem` (one at a time, depth first), which decides the connected-Gateway hints.
struct ReferenceModel {
    struct Holding: Equatable {
        var resource: WireResource
        var expiresAt: Int64?
        /// When the Gateway last heard of this expiry: a sweep runs within 1 s of that, then every second.
        var learnedAt: UInt64
    }

    struct FlowKey: Hashable, Comparable {
        var client: String
        var resource: String
        var gateway: String

        static func < (lhs: FlowKey, rhs: FlowKey) -> Bool {
            (lhs.client, lhs.resource, lhs.gateway) < (rhs.client, rhs.resource, rhs.gateway)
        }
    }

    let gatewayIDs: [String]
    let clientIDs: [String]
    let reauthorize: Bool
    var nanoseconds: UInt64 = 1_000_000_000
    var policy: PolicyFile

    // Portal
    var flows: [FlowKey: Int64?] = [:]
    // Clients
    var known: [String: [String: WireResource]] = [:]
    var routes: [String: [String: String]] = [:]
    /// The Gateways a Client has a peer for, and which instance (restart generation) of each.
    var peers: [String: [String: Int]] = [:]
    var lastRequest: [String: [String: UInt64]] = [:]
    var pending: [String: [String: [ModelPacket]]] = [:]
    var queued: [String: [(resource: String, hint: [String])]] = [:]
    var localBudget: [String: ModelErrorBudget] = [:]
    // Gateways
    var held: [String: [String: [String: Holding]]] = [:]
    var budget: [String: [String: ModelErrorBudget]] = [:]
    var generation: [String: Int] = [:]

    var observations = ModelObservations()

    init(scenario: ModelScenario) {
        gatewayIDs = scenario.gatewayIDs
        clientIDs = scenario.clientIDs
        reauthorize = scenario.reauthorizeOnProhibited
        policy = scenario.policy
        for gateway in gatewayIDs {
            held[gateway] = [:]
            budget[gateway] = [:]
            generation[gateway] = 0
        }
        for client in clientIDs { resetClient(client) }
    }

    var wall: Int64 { ModelScenario.wallOffset + Int64(nanoseconds / 1_000_000_000) }

    static func instant(ofWall seconds: Int64) -> UInt64 {
        UInt64(max(0, seconds - ModelScenario.wallOffset)) * 1_000_000_000
    }

    func isExpired(_ expiry: Int64?) -> Bool { expiry.map { $0 <= wall } ?? false }

    // MARK: Matching (SPEC Gateway 2-3: longest prefix; filters are the union over every containing Resource)

    static func allows(_ filters: [WireFilter], _ transport: ModelTransport) -> Bool {
        if filters.isEmpty { return true }
        return filters.contains { filter in
            switch (filter, transport) {
            case (.tcp(let ports), .tcp(let port)), (.udp(let ports), .udp(let port)): return ports.contains(port)
            case (.icmp, .icmpEcho): return true
            default: return false
            }
        }
    }

    /// The most specific Resource holding `address` (smallest id on a tie) and whether `transport` may pass.
    static func match(_ resources: [WireResource], _ address: IPAddress, _ transport: ModelTransport)
        -> (resource: String, allowed: Bool)? {
        let containing = resources.filter { $0.address.contains(address) }
        guard let longest = containing.map(\.address.prefixLength).max() else { return nil }
        let id = containing.filter { $0.address.prefixLength == longest }.map(\.id).min()!
        return (id, containing.contains { allows($0.filters, transport) })
    }

    // MARK: Steps

    mutating func send(_ packet: ModelPacket, from client: String) {
        let resources = Array(known[client]!.values)
        guard let match = Self.match(resources, packet.destination, packet.transport) else { return }
        guard match.allowed else {
            if localBudget[client]!.take(now: nanoseconds) {
                observations.errors.append("\(client) <- local prohibited #\(packet.tag)")
            }
            return
        }
        if let gateway = routes[client]![match.resource] {
            arrive(packet, from: client, at: gateway)
            return
        }
        var buffer = pending[client]![match.resource] ?? []
        if !buffer.contains(packet) {
            buffer.append(packet)
            if buffer.count > 128 { buffer.removeFirst() }
        }
        pending[client]![match.resource] = buffer
        requestFlow(client, match.resource)
    }

    /// A packet the Client encrypted for `gateway`.
    mutating func arrive(_ packet: ModelPacket, from client: String, at gateway: String) {
        guard let holdings = held[gateway]![client], !holdings.isEmpty else { return }  // no peer: no handshake
        let resources = holdings.values.map(\.resource)
        if let match = Self.match(resources, packet.destination, packet.transport), match.allowed {
            observations.delivered.append("\(gateway) <- \(client) #\(packet.tag)")
            return
        }
        guard budget[gateway]![client, default: ModelErrorBudget()].take(now: nanoseconds) else { return }
        // The error's source is the original destination: the Client takes it only from the Gateway its
        // cryptokey routing (the routed Resource networks) and its Resource routes assign to that address.
        let routed = routes[client]!.compactMap { resource, via in known[client]![resource].map { ($0, via) } }
        let byNetwork = routed.filter { $0.0.address.contains(packet.destination) }
            .max { $0.0.address.prefixLength < $1.0.address.prefixLength }
        guard byNetwork?.1 == gateway,
              let match = Self.match(Array(known[client]!.values), packet.destination, packet.transport),
              routes[client]![match.resource] == gateway else { return }
        observations.errors.append("\(client) <- \(gateway) prohibited #\(packet.tag)")
        if reauthorize, requestFlow(client, match.resource) {
            observations.requests.append("\(client) reauthorizing \(match.resource) via \(gateway)")
        }
    }

    /// SPEC Client 2: a repeated request for the same Resource is suppressed for 2 s.
    @discardableResult
    mutating func requestFlow(_ client: String, _ resource: String) -> Bool {
        if let last = lastRequest[client]![resource], nanoseconds - last < 2_000_000_000 { return false }
        lastRequest[client]![resource] = nanoseconds
        queued[client]!.append((resource, peers[client]!.keys.sorted()))
        return true
    }

    /// Hands the Clients' held-back requests to the portal, in the order `RealSystem.settle()` does.
    mutating func settle() {
        while let client = clientIDs.first(where: { !queued[$0]!.isEmpty }) {
            let (resource, hint) = queued[client]!.removeFirst()
            observations.requests.append("\(client) create_flow \(resource) hint \(hint)")
            createFlow(client, resource, hint: hint)
        }
    }

    /// The portal's answer to `create_flow`, and what the Gateway and Client do with it.
    mutating func createFlow(_ client: String, _ resourceID: String, hint: [String]) {
        guard let resource = policy.resource(resourceID),
              let access = policy.policy(client: client, resource: resourceID),
              !isExpired(access.expiresAt?.rawValue),
              let gateway = resource.gatewayIDs.first(where: hint.contains) ?? resource.gatewayIDs.first
        else {
            pending[client]![resourceID] = nil  // flow_creation_failed drops what was buffered
            return
        }
        authorize(gateway, client, resource.resource, expiresAt: access.expiresAt?.rawValue)
        // updateValue: assigning a nil expiry through the subscript would remove the flow.
        let key = FlowKey(client: client, resource: resourceID, gateway: gateway)
        flows.updateValue(access.expiresAt?.rawValue, forKey: key)
        // flow_created
        guard known[client]![resourceID] != nil else { return }
        if let instance = peers[client]![gateway], instance != generation[gateway] {
            removeGatewayAtClient(client, gateway)  // a new key: a new Gateway
        }
        peers[client]![gateway] = generation[gateway]
        routes[client]![resourceID] = gateway
        for packet in pending[client]!.removeValue(forKey: resourceID) ?? [] {
            arrive(packet, from: client, at: gateway)
        }
    }

    mutating func authorize(_ gateway: String, _ client: String, _ resource: WireResource, expiresAt: Int64?) {
        if held[gateway]![client] == nil {
            held[gateway]![client] = [:]
            budget[gateway]![client] = ModelErrorBudget()
        }
        held[gateway]![client]![resource.id] = Holding(resource: resource, expiresAt: expiresAt, learnedAt: nanoseconds)
    }

    /// `reject_access` at a Gateway; returns whether its last authorization for the Client went (goodbye).
    mutating func reject(_ gateway: String, _ client: String, _ resource: String) -> Bool {
        guard held[gateway]![client] != nil else { return false }
        held[gateway]![client]![resource] = nil
        guard held[gateway]![client]!.isEmpty else { return false }
        held[gateway]![client] = nil
        budget[gateway]![client] = nil
        return true
    }

    /// The portal hears `goodbye` and tells the Client `gateway_goodbye`.
    mutating func goodbye(_ gateway: String, _ client: String) {
        for key in flows.keys where key.gateway == gateway && key.client == client { flows[key] = nil }
        removeGatewayAtClient(client, gateway)
    }

    mutating func removeGatewayAtClient(_ client: String, _ gateway: String) {
        peers[client]![gateway] = nil
        for (resource, via) in routes[client]! where via == gateway {
            routes[client]![resource] = nil
            // The Gateway dropped the Client: its next packet for these Resources asks at once.
            lastRequest[client]![resource] = nil
        }
    }

    /// Admin `reject-access`: every Gateway holding the flow drops it.
    mutating func rejectAccess(client: String, resource: String) {
        var goodbyes: [(String, String)] = []
        for key in flows.keys.sorted() where key.client == client && key.resource == resource {
            flows[key] = nil
            if reject(key.gateway, client, resource) { goodbyes.append((key.gateway, client)) }
        }
        for (gateway, client) in goodbyes { goodbye(gateway, client) }
    }

    /// Policy reload: SPEC's diff, as docs/zero-trust.md and the issue describe it.
    mutating func reload(_ newPolicy: PolicyFile) {
        let old = policy
        policy = newPolicy
        var goodbyes: [(String, String)] = []
        for key in flows.keys.sorted() {
            let stillAllowed = newPolicy.policy(client: key.client, resource: key.resource) != nil
                && newPolicy.resource(key.resource)?.gatewayIDs.contains(key.gateway) == true
            guard !stillAllowed else { continue }
            flows[key] = nil
            if reject(key.gateway, key.client, key.resource) { goodbyes.append((key.gateway, key.client)) }
        }
        var updated: Set<[String]> = []
        for key in flows.keys.sorted() {
            if let resource = newPolicy.resource(key.resource),
               old.resource(key.resource)?.resource != resource.resource,
               updated.insert([key.gateway, key.resource]).inserted {
                for client in held[key.gateway]!.keys where held[key.gateway]![client]![key.resource] != nil {
                    held[key.gateway]![client]![key.resource]!.resource = resource.resource
                }
            }
            let expiresAt = newPolicy.policy(client: key.client, resource: key.resource)?.expiresAt?.rawValue
            if expiresAt != flows[key]! {
                flows.updateValue(expiresAt, forKey: key)
                if held[key.gateway]![key.client]?[key.resource] != nil {
                    held[key.gateway]![key.client]![key.resource]!.expiresAt = expiresAt
                    held[key.gateway]![key.client]![key.resource]!.learnedAt = nanoseconds
                }
            }
        }
        for client in clientIDs { syncResources(client) }
        for (gateway, client) in goodbyes { goodbye(gateway, client) }
    }

    /// The Resources a Client may see now, told as differences (a deleted one drops its route and buffer).
    mutating func syncResources(_ client: String) {
        let visible = visibleResources(client)
        let ids = Set(visible.map(\.id))
        for id in known[client]!.keys.sorted() where !ids.contains(id) {
            known[client]![id] = nil
            routes[client]![id] = nil
            pending[client]![id] = nil
            lastRequest[client]![id] = nil
        }
        for resource in visible { known[client]![resource.id] = resource }
    }

    func visibleResources(_ client: String) -> [WireResource] {
        let allowed = Set(policy.policies.filter { $0.clientID == client && !isExpired($0.expiresAt?.rawValue) }
            .map(\.resourceID))
        return policy.resources.filter { allowed.contains($0.id) }.map(\.resource)
    }

    mutating func resetClient(_ client: String) {
        known[client] = [:]
        routes[client] = [:]
        peers[client] = [:]
        lastRequest[client] = [:]
        pending[client] = [:]
        queued[client] = []
        localBudget[client] = ModelErrorBudget()
    }

    /// A Client restarted with a new key: the portal rejects everything its old instance held.
    mutating func restartClient(_ client: String) {
        var goodbyes: [(String, String)] = []
        for key in flows.keys.sorted() where key.client == client {
            flows[key] = nil
            if reject(key.gateway, client, key.resource) { goodbyes.append((key.gateway, client)) }
        }
        resetClient(client)
        syncResources(client)
        // The goodbyes reach the new instance, which has no peers: nothing changes.
        for (gateway, client) in goodbyes { goodbye(gateway, client) }
    }

    /// A Gateway restarted with a new key: its flows are forgotten and their Clients told goodbye.
    mutating func restartGateway(_ gateway: String) {
        generation[gateway]! += 1
        var clients: Set<String> = []
        for key in flows.keys where key.gateway == gateway {
            flows[key] = nil
            clients.insert(key.client)
        }
        held[gateway] = [:]
        budget[gateway] = [:]
        for client in clients.sorted() { removeGatewayAtClient(client, gateway) }
    }

    /// The Gateway's portal connection came back (same node, same key): `init` lists the portal's flows.
    mutating func reconnectGateway(_ gateway: String) {
        let listed = flows.keys.filter { $0.gateway == gateway }.sorted()
        let clients = Set(listed.map(\.client))
        var goodbyes: [String] = []
        for client in held[gateway]!.keys.sorted() where !clients.contains(client) {
            held[gateway]![client] = nil
            budget[gateway]![client] = nil
            goodbyes.append(client)
        }
        for key in listed {
            guard let resource = policy.resource(key.resource) else { continue }
            authorize(gateway, key.client, resource.resource, expiresAt: flows[key]!)
        }
        for client in clients {
            let keep = Set(listed.filter { $0.client == client }.map(\.resource))
            for resource in held[gateway]![client]!.keys where !keep.contains(resource) {
                held[gateway]![client]![resource] = nil
            }
        }
        // A Client the list leaves out hears goodbye, so it drops the session the Gateway no longer knows.
        for client in goodbyes { goodbye(gateway, client) }
    }

    // MARK: Time

    /// When every Gateway is sure to have swept what has expired by now; nil if nothing has.
    var sweepsDone: UInt64? {
        var latest: UInt64?
        for (_, clients) in held {
            for (_, holdings) in clients {
                for holding in holdings.values {
                    guard let expiry = holding.expiresAt else { continue }
                    let expiredAt = Self.instant(ofWall: expiry)
                    guard expiredAt <= nanoseconds else { continue }
                    let done = max(expiredAt, holding.learnedAt) + 1_000_000_000
                    latest = max(latest ?? 0, done)
                }
            }
        }
        return latest
    }

    /// Time moved to `nanoseconds` (after every expired authorization was swept): the portal forgot expired
    /// flows and told Clients, and Gateways dropped expired authorizations, saying goodbye for the last one.
    mutating func timePassed(to target: UInt64) {
        // A buffered flow whose request got no answer is asked again when its debounce runs out, in time order.
        while let (due, client, resource) = nextRetry(before: target) {
            expire(at: due)
            if pending[client]![resource] != nil, requestFlow(client, resource) { settle() }
        }
        expire(at: target)
    }

    /// The earliest re-request of a buffered flow due by `target`.
    func nextRetry(before target: UInt64) -> (UInt64, String, String)? {
        var best: (UInt64, String, String)?
        for client in clientIDs {
            for resource in pending[client]!.keys.sorted() where !(pending[client]![resource]?.isEmpty ?? true) {
                guard let last = lastRequest[client]![resource] else { continue }
                let due = last + 2_000_000_000
                guard due <= target else { continue }
                if best.map({ (due, client, resource) < ($0.0, $0.1, $0.2) }) ?? true { best = (due, client, resource) }
            }
        }
        return best
    }

    /// Expiry at `target`: the portal forgets expired flows and tells Clients, Gateways drop expired
    /// authorizations, saying goodbye for the last one.
    mutating func expire(at target: UInt64) {
        nanoseconds = max(nanoseconds, target)
        for (key, expiry) in flows where isExpired(expiry) { flows[key] = nil }
        for client in clientIDs { syncResources(client) }
        var goodbyes: [(String, String)] = []
        for gateway in gatewayIDs {
            for (client, holdings) in held[gateway]! {
                for (resource, holding) in holdings where isExpired(holding.expiresAt) {
                    held[gateway]![client]![resource] = nil
                }
                if held[gateway]![client]!.isEmpty {
                    held[gateway]![client] = nil
                    budget[gateway]![client] = nil
                    goodbyes.append((gateway, client))
                }
            }
        }
        for (gateway, client) in goodbyes.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) { goodbye(gateway, client) }
    }
}
