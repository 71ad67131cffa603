import ControlProtocol
import DataPlane
import Portal
import Testing

/// Scripted cases on the model test's real system, for sequences the random steps keep away from on purpose.
@Suite struct GatewayReconnectTests {
    /// A Gateway whose portal connection comes back while an expired authorization is not yet swept drops the
    /// Client through `init`; the Client must hear of it, or it keeps a session the Gateway no longer knows and
    /// its next flow to that Gateway goes nowhere.
    @Test func clientDroppedByAGatewaysInitCanReachItAgain() {
        var random = ModelRandom(state: 1)
        var scenario = ModelScenario(random: &random)
        scenario.gatewayIDs = ["gw-1"]
        scenario.clientIDs = ["alice"]
        scenario.reauthorizeOnProhibited = false
        let expiry = UnixSeconds(ModelScenario.wallOffset + 6)
        scenario.policy = PolicyFile(
            adminToken: "admin", gateways: [PolicyFile.Node(id: "gw-1", token: "gw-1-token")],
            clients: [PolicyFile.Node(id: "alice", token: "alice-token")],
            resources: [
                PolicyFile.Resource(
                    resource: WireResource(id: "web", name: "Web", address: ModelScenario.network("10.1.0.0/16"),
                                           filters: []),
                    gatewayIDs: ["gw-1"]),
                PolicyFile.Resource(
                    resource: WireResource(id: "v6", name: "V6", address: ModelScenario.network("fd00:10::/64"),
                                           filters: []),
                    gatewayIDs: ["gw-1"]),
            ],
            policies: [PolicyFile.Policy(clientID: "alice", resourceID: "web", expiresAt: expiry),
                       PolicyFile.Policy(clientID: "alice", resourceID: "v6")])
        let real = RealSystem(scenario: scenario, seed: 7)
        // Authorized at t = 1.5 s: sweeps run at 2.5 s, 3.5 s, ..., so the expiry at 6 s is swept at 6.5 s.
        real.advance(to: 1_500_000_000)
        real.send(ModelPacket(tag: 1, destination: .v4(IPv4Address(10, 1, 2, 5)), transport: .icmpEcho), from: "alice")
        real.settle()
        #expect(real.observations.delivered == ["gw-1 <- alice #1"])
        real.advance(to: 6_200_000_000)
        real.reconnect(gateway: "gw-1")
        #expect(real.gateways["gw-1"]!.authorizations.isEmpty)
        real.observations = ModelObservations()
        let v6 = IPAddress.v6(IPv6Address(groups: [0xfd00, 0x10, 0, 0, 0, 0, 0, 5]))
        real.send(ModelPacket(tag: 2, destination: v6, transport: .icmpEcho), from: "alice")
        real.settle()
        #expect(real.observations.delivered == ["gw-1 <- alice #2"])
        #expect(real.failures.isEmpty)
    }
}
