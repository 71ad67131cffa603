import ControlProtocol
import Crypto
import DataPlane
import Portal

typealias ModelBackend = SodiumBackend
typealias RealGateway = GatewayNode<ModelBackend, AuthorizationTable>
typealias RealClient = ClientNode<ModelBackend, AuthorizationTable>

/// Something the harness itself got wrong (not a finding about the nodes).
struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
}

/// The real portal, Gateways and Clients over a simulated network and a controllable clock.
///
/// Portal messages go through `ControlMessage.encoded()` / `decode` and `ControlMapping`, as in the daemons.
/// Datagrams are delivered in order, at once. Control messages are handled one at a time: the portal's
/// queue first, then Gateway events, then Client events (Clients in id order), with datagrams pumped after
/// each, so the order is fixed and the model can follow it.
final class RealSystem {
    var nanoseconds: UInt64 = 1_000_000_000
    var portal: PortalState
    let gatewayIDs: [String]
    let clientIDs: [String]
    let reauthorize: Bool
    var gateways: [String: RealGateway] = [:]
    var clients: [String: RealClient] = [:]
    var connections: [NodeRef: ConnectionID] = [:]
    var nodeByConnection: [ConnectionID: NodeRef] = [:]
    var random: ModelRandom
    var observations = ModelObservations()
    /// Client events are held back while a step sends its packets.
    var holdClientEvents = false
    var failures: [String] = []

    init(scenario: ModelScenario, seed: UInt64) {
        random = ModelRandom(state: seed ^ 0xA5A5_5A5A_0F0F_F0F0)
        portal = PortalState(policy: scenario.policy, random: ModelRandom(state: seed ^ 0x1234_5678))
        gatewayIDs = scenario.gatewayIDs
        clientIDs = scenario.clientIDs
        reauthorize = scenario.reauthorizeOnProhibited
        for id in gatewayIDs { startGateway(id) }
        for id in clientIDs { startClient(id) }
        settle()
    }

    var now: WireGuardTime {
        WireGuardTime(
            monotonic: MonotonicInstant(nanoseconds: nanoseconds),
            wallClock: WallClockTime(unixSeconds: ModelScenario.wallOffset + Int64(nanoseconds / 1_000_000_000),
                                     nanoseconds: UInt32(nanoseconds % 1_000_000_000)))
    }

    var wallSeconds: UnixSeconds { UnixSeconds(now.wallClock.unixSeconds) }

    static func endpoint(gateway id: String) -> Endpoint {
        Endpoint(address: .v4(IPv4Address(198, 51, 100, id == "gw-1" ? 1 : 2)), port: 51820)
    }

    static func endpoint(client id: String) -> Endpoint {
        Endpoint(address: .v4(IPv4Address(192, 0, 2, id == "alice" ? 1 : 2)), port: 40000)
    }

    func makeDevice() -> WireGuardDevice<ModelBackend> {
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        return WireGuardDevice(privateKey: PrivateKey(raw: Key32(bytes)!).clamped,
                               random: ModelRandom(state: random.next()))
    }

    // MARK: Nodes and the portal connection

    func startGateway(_ id: String) {
        let gateway = RealGateway(device: makeDevice())
        gateways[id] = gateway
        join(NodeRef(.gateway, id), publicKey: gateway.device.publicKey!, endpoint: Self.endpoint(gateway: id))
    }

    func startClient(_ id: String) {
        let client = RealClient(device: makeDevice(), reauthorizeOnProhibited: reauthorize)
        clients[id] = client
        join(NodeRef(.client, id), publicKey: client.device.publicKey!, endpoint: nil)
    }

    /// A node restart: the old connection goes, a new node with a new key connects and joins.
    func restart(_ node: NodeRef) {
        disconnect(node)
        switch node.role {
        case .gateway: startGateway(node.id)
        case .client: startClient(node.id)
        }
        settle()
    }

    /// The Gateway's portal connection drops and comes back; the node and its key stay.
    func reconnect(gateway id: String) {
        disconnect(NodeRef(.gateway, id))
        join(NodeRef(.gateway, id), publicKey: gateways[id]!.device.publicKey!, endpoint: Self.endpoint(gateway: id))
        settle()
    }

    func disconnect(_ node: NodeRef) {
        guard let connection = connections.removeValue(forKey: node) else { return }
        nodeByConnection[connection] = nil
        portal.disconnect(connection)
    }

    func join(_ node: NodeRef, publicKey: PublicKey, endpoint: Endpoint?) {
        guard let connection = portal.connect(role: node.role, token: "\(node.id)-token") else {
            failures.append("portal refused \(node)")
            return
        }
        connections[node] = connection
        nodeByConnection[connection] = node
        toPortal(.join(JoinPayload(publicKey: publicKey, endpoint: endpoint)), from: connection)
    }

    /// Every message crosses the wire encoding, as between processes.
    func toPortal(_ message: ControlMessage, from connection: ConnectionID) {
        guard let decoded = roundTrip(message) else { return }
        portal.receive(decoded, from: connection, now: wallSeconds)
    }

    func roundTrip(_ message: ControlMessage) -> ControlMessage? {
        do {
            let decoded = try ControlMessage.decode(message.encoded())
            if decoded != message { failures.append("\(message.eventName) changed on the wire") }
            return decoded
        } catch {
            failures.append("\(message.eventName) does not decode: \(error)")
            return nil
        }
    }

    /// Handles control messages until none is left, one at a time, pumping datagrams after each.
    func settle() {
        var rounds = 0
        while true {
            rounds += 1
            if rounds > 100_000 {
                failures.append("control messages never settle")
                return
            }
            while portal.nextConnectionToClose() != nil {}
            while portal.nextAuditEvent() != nil {}
            if let (connection, message) = portal.nextOutgoing() {
                deliver(message, on: connection)
                pump()
                continue
            }
            if let (id, event) = nextGatewayEvent() {
                if let message = ControlMapping.message(event), let connection = connections[NodeRef(.gateway, id)] {
                    toPortal(message, from: connection)
                }
                continue
            }
            if !holdClientEvents, let (id, event) = nextClientEvent() {
                switch event {
                case .createFlow(let resource, let hint):
                    observations.requests.append("\(id) create_flow \(resource) hint \(hint.map(\.rawValue))")
                case .reauthorizing(let resource, let gateway):
                    observations.requests.append("\(id) reauthorizing \(resource) via \(gateway)")
                }
                if let message = ControlMapping.message(event), let connection = connections[NodeRef(.client, id)] {
                    toPortal(message, from: connection)
                }
                continue
            }
            return
        }
    }

    func nextGatewayEvent() -> (String, GatewayEvent)? {
        for id in gatewayIDs {
            if let event = gateways[id]!.nextControlEvent() { return (id, event) }
        }
        return nil
    }

    func nextClientEvent() -> (String, ClientEvent)? {
        for id in clientIDs {
            if let event = clients[id]!.nextControlEvent() { return (id, event) }
        }
        return nil
    }

    func deliver(_ message: ControlMessage, on connection: ConnectionID) {
        guard let node = nodeByConnection[connection], let decoded = roundTrip(message) else { return }
        switch node.role {
        case .gateway:
            guard let command = ControlMapping.gatewayCommand(decoded) else {
                failures.append("gateway \(node.id) got \(decoded.eventName), which it does not take")
                return
            }
            gateways[node.id]!.handle(command, now: now)
        case .client:
            guard let command = ControlMapping.clientCommand(decoded) else {
                failures.append("client \(node.id) got \(decoded.eventName), which it does not take")
                return
            }
            clients[node.id]!.handle(command, now: now)
        }
    }

    // MARK: Packets

    /// The Client's application sends `packet`; datagrams are pumped, Client events held for `settle()`.
    func send(_ packet: ModelPacket, from client: String) {
        let node = clients[client]!
        guard let addresses = node.addresses else {
            failures.append("client \(client) has no addresses")
            return
        }
        let bytes = packet.bytes(from: addresses)
        let headroom = 16
        var buffer = [UInt8](repeating: 0, count: headroom + bytes.count + 64)
        buffer.replaceSubrange(headroom..<(headroom + bytes.count), with: bytes)
        let result = buffer.withUnsafeMutableBytes {
            node.encapsulate(buffer: $0, packet: headroom..<(headroom + bytes.count), now: now)
        }
        if case .send(let range, let endpoint, _) = result {
            carry(Array(buffer[range]), from: Self.endpoint(client: client), to: endpoint)
        }
        pump()
    }

    /// Moves queued datagrams and local TUN packets until every node is quiet.
    func pump() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<1000 {
            var moved = false
            for id in gatewayIDs {
                while let datagram = buffer.withUnsafeMutableBytes({ gateways[id]!.nextDatagram(into: $0, now: now) }) {
                    moved = true
                    carry(Array(buffer[..<datagram.count]), from: Self.endpoint(gateway: id), to: datagram.endpoint)
                }
            }
            for id in clientIDs {
                let client = clients[id]!
                while let datagram = buffer.withUnsafeMutableBytes({ client.nextDatagram(into: $0, now: now) }) {
                    moved = true
                    carry(Array(buffer[..<datagram.count]), from: Self.endpoint(client: id), to: datagram.endpoint)
                }
                while let count = buffer.withUnsafeMutableBytes({ client.nextTunPacket(into: $0) }) {
                    moved = true
                    let packet = Array(buffer[..<count])
                    if let tag = ModelPacket.prohibitedTag(of: packet) {
                        observations.errors.append("\(id) <- local prohibited #\(tag)")
                    } else {
                        observations.errors.append("\(id) <- local unexpected \(packet.prefix(8))")
                    }
                }
            }
            if !moved { return }
        }
        failures.append("datagrams never settle")
    }

    func carry(_ datagram: [UInt8], from source: Endpoint, to destination: Endpoint) {
        var datagram = datagram
        if let id = gatewayIDs.first(where: { Self.endpoint(gateway: $0) == destination }) {
            let sender = clientIDs.first { Self.endpoint(client: $0) == source } ?? "?"
            let result = datagram.withUnsafeMutableBytes { gateways[id]!.handleDatagram($0, from: source, now: now) }
            if case .packet(let range, _) = result {
                let packet = Array(datagram[range])
                let tag = ModelPacket.tag(of: packet).map(String.init) ?? "?"
                observations.delivered.append("\(id) <- \(sender) #\(tag)")
            }
        } else if let id = clientIDs.first(where: { Self.endpoint(client: $0) == destination }) {
            let sender = gatewayIDs.first { Self.endpoint(gateway: $0) == source } ?? "?"
            let result = datagram.withUnsafeMutableBytes { clients[id]!.handleDatagram($0, from: source, now: now) }
            if case .packet(let range, _) = result {
                let packet = Array(datagram[range])
                if let tag = ModelPacket.prohibitedTag(of: packet) {
                    observations.errors.append("\(id) <- \(sender) prohibited #\(tag)")
                } else {
                    observations.errors.append("\(id) <- \(sender) unexpected packet")
                }
            }
        }
    }

    // MARK: Time

    /// Moves the clock to `target`, stopping at every node deadline on the way so timers (expiry sweeps,
    /// handshakes) run when they are due; the portal ticks at each stop, as its 1 s timer would.
    func advance(to target: UInt64) {
        for _ in 0..<100_000 {
            let deadlines = gateways.values.compactMap(\.nextDeadline) + clients.values.compactMap(\.nextDeadline)
            guard let next = deadlines.min(), next.nanoseconds <= target else { break }
            nanoseconds = max(nanoseconds + 1_000, next.nanoseconds)
            if nanoseconds > target { break }
            timersFired()
        }
        nanoseconds = max(nanoseconds, target)
        timersFired()
    }

    func timersFired() {
        for id in gatewayIDs { gateways[id]!.updateTimers(now: now) }
        for id in clientIDs { clients[id]!.updateTimers(now: now) }
        portal.tick(now: wallSeconds)
        pump()
        settle()
    }
}
