import ControlProtocol
import DataPlane
import Portal

/// One random step, applied to the real system and the model alike.
enum ModelStep: CustomStringConvertible {
    case traffic(client: String, packets: [ModelPacket])
    case wait(nanoseconds: UInt64)
    case rejectAccess(client: String, resource: String)
    case reload(PolicyFile, summary: String)
    case restartClient(String)
    case restartGateway(String)
    case reconnectGateway(String)

    var description: String {
        switch self {
        case .traffic(let client, let packets): return "traffic from \(client): \(packets)"
        case .wait(let nanoseconds): return "wait \(Double(nanoseconds) / 1e9) s"
        case .rejectAccess(let client, let resource): return "reject-access \(client) \(resource)"
        case .reload(_, let summary): return "reload: \(summary)"
        case .restartClient(let id): return "restart client \(id)"
        case .restartGateway(let id): return "restart gateway \(id)"
        case .reconnectGateway(let id): return "gateway \(id) reconnects to the portal"
        }
    }
}

/// Totals over a run, to show the steps reached every kind of outcome.
struct ModelTotals {
    var steps = 0
    var delivered = 0
    var localProhibited = 0
    var gatewayProhibited = 0
    var flowRequests = 0
    var reauthorizations = 0

    mutating func add(_ observations: ModelObservations) {
        delivered += observations.delivered.count
        localProhibited += observations.errors.filter { $0.contains("local prohibited") }.count
        gatewayProhibited += observations.errors.filter { $0.contains("gw-") }.count
        flowRequests += observations.requests.filter { $0.contains("create_flow") }.count
        reauthorizations += observations.requests.filter { $0.contains("reauthorizing") }.count
    }
}

/// One seeded case: a scenario, then `steps` random steps, comparing the real system with the model after each.
struct ModelCase {
    let seed: UInt64
    let steps: Int
    var random: ModelRandom
    let scenario: ModelScenario
    let real: RealSystem
    var model: ReferenceModel
    var history: [String] = []
    var nextTag: UInt32 = 1

    init(seed: UInt64, steps: Int) {
        self.seed = seed
        self.steps = steps
        random = ModelRandom(state: seed)
        scenario = ModelScenario(random: &random)
        real = RealSystem(scenario: scenario, seed: seed)
        model = ReferenceModel(scenario: scenario)
        for client in scenario.clientIDs { model.syncResources(client) }
    }

    /// Runs the case; returns a report of the first divergence, or nil.
    mutating func run(totals: inout ModelTotals) -> String? {
        history.append("scenario: gateways \(scenario.gatewayIDs), clients \(scenario.clientIDs), flag "
            + "\(scenario.reauthorizeOnProhibited)\n      \(Self.describe(scenario.policy))")
        if let problem = compareState() { return report("after setup", problem) }
        for index in 0..<steps {
            real.observations = ModelObservations()
            model.observations = ModelObservations()
            moveTime(by: random.pick([0, 0, 50_000_000, 120_000_000, 300_000_000, 1_100_000_000]))
            let step = makeStep()
            history.append("t=\(Double(model.nanoseconds) / 1e9) step \(index): \(step)")
            apply(step)
            let expected = model.observations.normalized
            let actual = real.observations.normalized
            totals.steps += 1
            totals.add(actual)
            if !real.failures.isEmpty { return report("step \(index)", real.failures.joined(separator: "; ")) }
            if expected != actual {
                return report("step \(index)", "observations differ\n  model:\n    \(expected)\n  real:\n    \(actual)")
            }
            if let problem = compareState() { return report("step \(index)", problem) }
        }
        return nil
    }

    func report(_ when: String, _ problem: String) -> String {
        """
        model divergence (replay: FZ_MODEL_SEED=\(seed) FZ_MODEL_CASES=1) \(when): \(problem)
        history:
          \(history.joined(separator: "\n  "))
        """
    }

    static func describe(_ policy: PolicyFile) -> String {
        let resources = policy.resources.map {
            "\($0.id) \($0.resource.address) \(filters($0.resource.filters)) via \($0.gatewayIDs)"
        }
        let access = policy.policies.map {
            "\($0.clientID)->\($0.resourceID)\($0.expiresAt.map { " until \($0)" } ?? "")"
        }
        return "resources: \(resources)\n      policies: \(access)"
    }

    static func filters(_ list: [WireFilter]) -> String {
        list.isEmpty ? "all" : list.map { filter -> String in
            switch filter {
            case .tcp(let ports): return "tcp \(ports.lowerBound)-\(ports.upperBound)"
            case .udp(let ports): return "udp \(ports.lowerBound)-\(ports.upperBound)"
            case .icmp: return "icmp"
            }
        }.joined(separator: ",")
    }

    /// Advances both clocks; first past any expiry whose sweep may not have run, so the Gateway's view is
    /// settled whenever packets flow (SPEC only promises a sweep within a second).
    mutating func moveTime(by duration: UInt64) {
        let target = model.nanoseconds + duration
        real.advance(to: target)
        model.nanoseconds = target
        while let done = model.sweepsDone, done > model.nanoseconds {
            real.advance(to: done)
            model.nanoseconds = done
        }
        model.timePassed(to: model.nanoseconds)
    }

    mutating func apply(_ step: ModelStep) {
        switch step {
        case .traffic(let client, let packets):
            real.holdClientEvents = true
            for packet in packets {
                real.send(packet, from: client)
                model.send(packet, from: client)
            }
            real.holdClientEvents = false
            real.settle()
            model.settle()
        case .wait(let nanoseconds):
            moveTime(by: nanoseconds)
        case .rejectAccess(let client, let resource):
            _ = real.portal.rejectAccess(client: client, resource: resource)
            real.settle()
            model.rejectAccess(client: client, resource: resource)
        case .reload(let policy, _):
            real.portal.reload(policy, now: real.wallSeconds)
            real.settle()
            model.reload(policy)
        case .restartClient(let id):
            real.restart(NodeRef(.client, id))
            model.restartClient(id)
        case .restartGateway(let id):
            real.restart(NodeRef(.gateway, id))
            model.restartGateway(id)
        case .reconnectGateway(let id):
            real.reconnect(gateway: id)
            model.reconnectGateway(id)
        }
    }

    /// Half the time a packet the Client's own view allows, so most reach a Gateway and its view is tested.
    mutating func makePacket(from client: String) -> ModelPacket {
        defer { nextTag += 1 }
        let known = Array(model.known[client]!.values)
        let candidates = scenario.destinations.flatMap { destination in
            ModelScenario.transports.compactMap { transport in
                ReferenceModel.match(known, destination, transport)?.allowed == true ? (destination, transport) : nil
            }
        }
        if !candidates.isEmpty, random.chance(0.5) {
            let (destination, transport) = random.pick(candidates)
            return ModelPacket(tag: nextTag, destination: destination, transport: transport)
        }
        return ModelPacket(tag: nextTag, destination: random.pick(scenario.destinations),
                           transport: random.pick(ModelScenario.transports))
    }

    mutating func makeStep() -> ModelStep {
        let roll = Double.random(in: 0..<1, using: &random)
        let client = random.pick(scenario.clientIDs)
        let gateway = random.pick(scenario.gatewayIDs)
        switch roll {
        case ..<0.40:
            return .traffic(client: client, packets: [makePacket(from: client)])
        case ..<0.50:
            // Several packets before the portal answers: buffering while pending, one request per Resource.
            let count = Int.random(in: 2...5, using: &random)
            return .traffic(client: client, packets: (0..<count).map { _ in makePacket(from: client) })
        case ..<0.54:
            // A flood of one kind of packet: the "prohibited" budget (10, then 1 per 100 ms) shows.
            let first = makePacket(from: client)
            let packets = (0..<Int.random(in: 8...14, using: &random)).map { offset in
                ModelPacket(tag: first.tag + UInt32(offset), destination: first.destination, transport: first.transport)
            }
            nextTag = packets.last!.tag + 1
            return .traffic(client: client, packets: packets)
        case ..<0.64:
            return .wait(nanoseconds: random.pick([500_000_000, 1_500_000_000, 2_500_000_000, 7_000_000_000,
                                                   20_000_000_000, 45_000_000_000]))
        case ..<0.72:
            // Mostly an authorization that is held, so the rejection has something to cut.
            let held = model.flows.keys.sorted()
            if !held.isEmpty, random.chance(0.8) {
                let key = random.pick(held)
                return .rejectAccess(client: key.client, resource: key.resource)
            }
            return .rejectAccess(client: client, resource: random.pick(scenario.policy.resources.map(\.id)))
        case ..<0.88:
            return makeReload()
        case ..<0.93:
            return .restartClient(client)
        case ..<0.97:
            return .restartGateway(gateway)
        default:
            return .reconnectGateway(gateway)
        }
    }

    mutating func makeReload() -> ModelStep {
        var policy = model.policy
        var changes: [String] = []
        let wall = model.wall
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                let index = Int.random(in: 0..<policy.resources.count, using: &random)
                policy.resources[index].resource.filters = random.pick(ModelScenario.filterChoices)
                let resource = policy.resources[index]
                changes.append("\(resource.id) filters \(Self.filters(resource.resource.filters))")
            case 1:
                guard !policy.policies.isEmpty else { continue }
                let removed = policy.policies.remove(at: Int.random(in: 0..<policy.policies.count, using: &random))
                changes.append("remove \(removed.clientID)->\(removed.resourceID)")
            case 2:
                let client = random.pick(scenario.clientIDs)
                let resource = random.pick(policy.resources.map(\.id))
                guard policy.policy(client: client, resource: resource) == nil else { continue }
                let expiry = random.chance(0.3) ? UnixSeconds(wall + Int64.random(in: 2...30, using: &random)) : nil
                policy.policies.append(PolicyFile.Policy(clientID: client, resourceID: resource, expiresAt: expiry))
                changes.append("add \(client)->\(resource) until \(expiry.map(\.description) ?? "never")")
            case 3:
                guard !policy.policies.isEmpty else { continue }
                let index = Int.random(in: 0..<policy.policies.count, using: &random)
                let expiry: UnixSeconds? = random.pick([
                    nil, UnixSeconds(wall + Int64.random(in: 1...30, using: &random)),
                    UnixSeconds(wall - Int64.random(in: 0...3, using: &random)),
                ])
                policy.policies[index].expiresAt = expiry
                changes.append("\(policy.policies[index].clientID)->\(policy.policies[index].resourceID) "
                    + "until \(expiry.map(\.description) ?? "never")")
            default:
                let index = Int.random(in: 0..<policy.resources.count, using: &random)
                policy.resources[index].gatewayIDs = ModelScenario.gatewayList(scenario.gatewayIDs, &random)
                changes.append("\(policy.resources[index].id) via \(policy.resources[index].gatewayIDs)")
            }
        }
        return .reload(policy, summary: changes.joined(separator: ", ") + " (wall \(wall))")
    }

    /// The nodes' and the portal's state against the model's: Resources and routes at each Client,
    /// authorizations at each Gateway, active flows at the portal.
    func compareState() -> String? {
        for client in scenario.clientIDs {
            let node = real.clients[client]!
            let realKnown = node.resourceIDs.map(\.rawValue)
            let modelKnown = model.known[client]!.keys.sorted()
            if realKnown != modelKnown { return "client \(client) knows \(realKnown), model \(modelKnown)" }
            for resource in modelKnown {
                let realRoute = node.gateway(for: ResourceID(resource))?.rawValue
                if realRoute != model.routes[client]![resource] {
                    return "client \(client) routes \(resource) via \(realRoute ?? "none"), "
                        + "model \(model.routes[client]![resource] ?? "none")"
                }
            }
        }
        for gateway in scenario.gatewayIDs {
            let realHeld = real.gateways[gateway]!.authorizations.mapValues { $0.map(\.rawValue) }
                .reduce(into: [String: [String]]()) { $0[$1.key.rawValue] = $1.value }
            let modelHeld = model.held[gateway]!.mapValues { $0.keys.sorted() }.filter { !$0.value.isEmpty }
            if realHeld != modelHeld { return "gateway \(gateway) holds \(realHeld), model \(modelHeld)" }
        }
        let realFlows = real.portal.list().flows.map { "\($0.clientID)/\($0.resourceID)/\($0.gatewayID)" }.sorted()
        let modelFlows = model.flows.keys.sorted().map { "\($0.client)/\($0.resource)/\($0.gateway)" }
        if realFlows != modelFlows { return "portal flows \(realFlows), model \(modelFlows)" }
        return nil
    }
}
