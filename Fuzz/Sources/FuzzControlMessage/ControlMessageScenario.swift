import ControlProtocol
import DataPlane
import FuzzSupport
import Portal

/// A portal with one Gateway and one Client joined, and the real Gateway and Client nodes behind those
/// connections, all wired together in process.
///
/// Fuzzed messages reach the portal from both connections (whatever their role) and reach the nodes as
/// if the portal sent them. The portal's outgoing messages go to the node of their connection and the
/// nodes' events back to the portal, so decoded hostile values travel every way a real one would.
/// Properties: nothing traps; every message the portal or a node produces round-trips through the wire
/// encoding; every queue (portal outgoing, closing, audit; node datagrams, events) drains within a cap.
final class ControlMessageScenario<B: CryptoBackend> {
    static var policyJSON: String {
        """
        {"admin_token": "admin",
         "gateways": [{"id": "gw-1", "token": "g"}, {"id": "gw-2", "token": "g2"}],
         "clients": [{"id": "alice", "token": "a"}, {"id": "bob", "token": "b"}],
         "resources": [
           {"id": "web", "name": "Web", "address": "10.0.0.0/24", "gateways": ["gw-1", "gw-2"],
            "filters": [{"protocol": "tcp", "port_range_start": 80, "port_range_end": 443}]},
           {"id": "db6", "name": "DB", "address": "fd00:10::5/128", "gateways": ["gw-1"], "filters": []},
           {"id": "dns", "name": "DNS", "address": "10.0.1.53/32", "gateways": ["gw-2"],
            "filters": [{"protocol": "udp", "port_range_start": 53, "port_range_end": 53}, {"protocol": "icmp"}]}],
         "policies": [{"client": "alice", "resource": "web"}, {"client": "alice", "resource": "db6"},
                      {"client": "alice", "resource": "dns", "expires_at": 1700000030},
                      {"client": "bob", "resource": "web"}]}
        """
    }

    static var policy: PolicyFile {
        do {
            return try PolicyFile.parse(bytes: Array(policyJSON.utf8), fileName: "fuzz-policy.json")
        } catch {
            fatalError("the fuzz policy does not parse: \(error)")
        }
    }

    let pair = ZeroTrustPair<B>(reauthorize: true)
    var portal = PortalState(policy: ControlMessageScenario.policy, random: SeededRandom(seed: 3))
    let gatewayConnection: ConnectionID
    let clientConnection: ConnectionID
    var seconds: Int64 { ZeroTrustPair<B>.wallClockBase + Int64(pair.nanoseconds / 1_000_000_000) }
    var now: UnixSeconds { UnixSeconds(seconds) }
    static var relayCap: Int { 256 }

    init() {
        guard let gateway = portal.connect(role: .gateway, token: "g"),
              let client = portal.connect(role: .client, token: "a") else {
            fatalError("the fuzz policy's tokens are refused")
        }
        gatewayConnection = gateway
        clientConnection = client
        portal.receive(.join(JoinPayload(publicKey: pair.gateway.device.publicKey!, endpoint: pair.gatewayEndpoint)),
                       from: gateway, now: now)
        portal.receive(.join(JoinPayload(publicKey: pair.client.device.publicKey!)), from: client, now: now)
        relay()
    }

    /// `message` as a node would send it to the portal (from both connections) and as the portal would
    /// send it to both nodes; then everything that follows is relayed.
    func deliver(_ message: ControlMessage) {
        portal.receive(message, from: clientConnection, now: now)
        portal.receive(message, from: gatewayConnection, now: now)
        toNodes(message)
        relay()
    }

    /// Time moves past expiries and timers; a packet to each Resource makes the Client ask for flows.
    func finish() {
        for destination in ZeroTrustPair<B>.interestingAddresses {
            if case .v4(let address) = destination {
                pair.clientSends(PacketBuilder.ipv4(source: IPv4Address(100, 64, 0, 2), destination: address,
                                                    protocolNumber: 6, payloadCount: 4))
            } else if case .v6(let address) = destination {
                pair.clientSends(PacketBuilder.ipv6(source: IPv6Address(high: 0xfd00_2021_1111_0000, low: 2),
                                                    destination: address, protocolNumber: 17, payloadCount: 4))
            }
        }
        relay()
        pair.advance(nanoseconds: 40_000_000_000)
        portal.tick(now: now)
        relay()
        portal.disconnect(gatewayConnection)
        relay()
    }

    /// Hands `message` to the node that takes it.
    func toNodes(_ message: ControlMessage) {
        if let command = ControlMapping.gatewayCommand(message) { pair.gateway.handle(command, now: pair.now) }
        if let command = ControlMapping.clientCommand(message) { pair.client.handle(command, now: pair.now) }
    }

    /// Moves portal messages to the nodes and node events to the portal until both are quiet.
    func relay() {
        var moved = 0
        while true {
            var progress = false
            while let (connection, message) = portal.nextOutgoing() {
                checkRoundTrip(message)
                if connection == gatewayConnection, let command = ControlMapping.gatewayCommand(message) {
                    pair.gateway.handle(command, now: pair.now)
                } else if connection == clientConnection, let command = ControlMapping.clientCommand(message) {
                    pair.client.handle(command, now: pair.now)
                }
                progress = true
                moved += 1
                fuzzCheck(moved <= Self.relayCap, "the portal and nodes keep messaging each other")
            }
            for event in pair.events(pair.gateway) {
                guard let message = ControlMapping.message(event) else { continue }
                checkRoundTrip(message)
                portal.receive(message, from: gatewayConnection, now: now)
                progress = true
            }
            for event in pair.events(pair.client) {
                guard let message = ControlMapping.message(event) else { continue }
                checkRoundTrip(message)
                portal.receive(message, from: clientConnection, now: now)
                progress = true
            }
            if !progress { break }
        }
        var closed = 0
        while portal.nextConnectionToClose() != nil {
            closed += 1
            fuzzCheck(closed <= 4, "more connections to close than were opened")
        }
        var audit = 0
        while portal.nextAuditEvent() != nil {
            audit += 1
            fuzzCheck(audit <= 16 * Self.relayCap, "audit trail not bounded")
        }
        _ = portal.list()
        pair.pump()
    }
}
