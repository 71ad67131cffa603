import ControlProtocol
import DataPlane
import Portal
import Testing

/// Reload diffs and the admin's reject-access, starting from alice holding "web" on gw-1 and "db" on gw-2.
@Suite struct PortalReloadTests {
    static func started() -> PortalHarness {
        var harness = PortalHarness()
        harness.join(.gateway, "gw-1", key: 1)
        harness.join(.gateway, "gw-2", key: 3)
        harness.join(.client, "alice", key: 2)
        harness.join(.client, "bob", key: 4)
        _ = harness.drain()
        _ = harness.createFlow("alice", "web", hint: ["gw-1"])
        _ = harness.createFlow("alice", "db")
        _ = harness.auditEvents()
        return harness
    }

    static func edited(_ change: (inout PolicyFile) -> Void) -> PolicyFile {
        var policy = Fixtures.policy
        change(&policy)
        return policy
    }

    @Test func reloadingTheSamePolicySendsNothing() {
        var harness = Self.started()
        harness.portal.reload(Fixtures.policy, now: harness.now)
        #expect(harness.drain().isEmpty)
    }

    @Test func aRemovedPolicyIsRejectedAtTheGatewayAndDeletedAtTheClient() {
        var harness = Self.started()
        harness.portal.reload(Self.edited { $0.policies.removeAll { $0.resourceID == "web" } }, now: harness.now)
        let sent = harness.drain()
        #expect(sent.map(\.0) == ["gw-1", "alice"])
        #expect(sent.map(\.1) == [
            .rejectAccess(RejectAccessPayload(clientID: "alice", resourceID: "web")),
            .resourceDeleted(ResourceDeletedPayload(resourceID: "web")),
        ])
        #expect(harness.portal.list().flows.map(\.resourceID) == ["db"])
        #expect(harness.createFlow("alice", "web") == [
            .flowCreationFailed(FlowCreationFailedPayload(resourceID: "web", reason: .forbidden)),
        ])
    }

    @Test func changedFiltersUpdateTheGatewaysAndTheClientsHoldingTheResource() {
        var harness = Self.started()
        let policy = Self.edited { $0.resources[0].resource.filters = [.tcp(22...22)] }
        harness.portal.reload(policy, now: harness.now)
        let updated = ResourcePayload(resource: policy.resources[0].resource)
        let sent = harness.drain()
        #expect(sent.map(\.0) == ["gw-1", "alice"])
        #expect(sent.map(\.1) == [.resourceUpdated(updated), .resourceCreatedOrUpdated(updated)])
    }

    @Test func aChangedNameOrAddressIsAnUpdateToo() {
        var harness = Self.started()
        let moved = Self.edited { $0.resources[1].resource.address = Fixtures.network("fd00:dc::/64") }
        harness.portal.reload(moved, now: harness.now)
        #expect(harness.drainSummary() == ["gw-2: resource_updated", "alice: resource_created_or_updated",
                                           "bob: resource_created_or_updated"])
        harness.portal.reload(Self.edited { $0.resources[0].resource.name = "Intranet" }, now: harness.now)
        #expect(harness.drainSummary().contains("gw-1: resource_updated"))
    }

    @Test func aChangedExpiryIsSentToTheGatewayHoldingIt() {
        var harness = Self.started()
        harness.portal.reload(Self.edited { $0.policies[0].expiresAt = UnixSeconds(5000) }, now: harness.now)
        let sent = harness.drain()
        #expect(sent.map(\.0) == ["gw-1"])
        #expect(sent.map(\.1) == [.accessAuthorizationExpiryUpdated(
            AccessAuthorizationExpiryUpdatedPayload(clientID: "alice", resourceID: "web", expiresAt: UnixSeconds(5000))
        )])
        #expect(harness.portal.list().flows.first { $0.resourceID == "web" }?.expiresAt == 5000)
        harness.portal.reload(Self.edited { $0.policies[0].expiresAt = nil }, now: harness.now)
        #expect(harness.drain().map(\.1) == [.accessAuthorizationExpiryUpdated(
            AccessAuthorizationExpiryUpdatedPayload(clientID: "alice", resourceID: "web", expiresAt: nil)
        )])
    }

    @Test func aNewPolicyLetsTheClientSeeTheResource() {
        var harness = Self.started()
        harness.portal.reload(Self.edited {
            $0.policies.append(PolicyFile.Policy(clientID: "bob", resourceID: "web"))
        }, now: harness.now)
        #expect(harness.drain(for: "bob") == [.resourceCreatedOrUpdated(ResourcePayload(resource: Fixtures.web))])
        #expect(harness.createFlow("bob", "web").first?.eventName == "flow_created")
    }

    @Test func aRemovedResourceIsHandledAsRemovedPolicies() {
        var harness = Self.started()
        harness.portal.reload(Self.edited {
            $0.resources.removeAll { $0.id == "db" }
            $0.policies.removeAll { $0.resourceID == "db" }
        }, now: harness.now)
        #expect(harness.drainSummary() == ["gw-2: reject_access", "alice: resource_deleted", "bob: resource_deleted"])
    }

    @Test func aGatewayDroppedFromTheResourcesListLosesItsAuthorizations() {
        var harness = Self.started()
        harness.portal.reload(Self.edited { $0.resources[0].gatewayIDs = ["gw-2"] }, now: harness.now)
        #expect(harness.drainSummary() == ["gw-1: reject_access"])
        #expect(harness.createFlow("alice", "web").first?.eventName == "flow_created")
        #expect(harness.portal.list().flows.map(\.gatewayID) == ["gw-2", "gw-2"])
    }

    @Test func aRemovedClientIsDisconnectedAndItsAuthorizationsRejected() {
        var harness = Self.started()
        harness.portal.reload(Self.edited {
            $0.clients.removeAll { $0.id == "alice" }
            $0.policies.removeAll { $0.clientID == "alice" }
        }, now: harness.now)
        #expect(harness.portal.nextConnectionToClose() == harness.connections["alice"])
        #expect(harness.drainSummary() == ["gw-2: reject_access", "gw-1: reject_access"])
        #expect(harness.portal.connect(role: .client, token: "alice-token") == nil)
        #expect(harness.portal.list().nodes.map(\.id) == ["bob", "gw-1", "gw-2"])
    }

    @Test func aRemovedGatewayIsDisconnectedAndItsClientsToldGoodbye() {
        var harness = Self.started()
        harness.portal.reload(Self.edited {
            $0.gateways.removeAll { $0.id == "gw-1" }
            $0.resources[0].gatewayIDs = ["gw-2"]
        }, now: harness.now)
        #expect(harness.portal.nextConnectionToClose() == harness.connections["gw-1"])
        #expect(harness.drainSummary() == ["alice: gateway_goodbye"])
        #expect(harness.portal.list().flows.map(\.gatewayID) == ["gw-2"])
    }

    @Test func changedTokensApplyFromTheNextConnection() {
        var harness = Self.started()
        harness.portal.reload(Self.edited { $0.clients[1].token = "bob-new" }, now: harness.now)
        #expect(harness.portal.nextConnectionToClose() == nil)
        #expect(harness.portal.node(for: harness.connections["bob"]!) == NodeRef(.client, "bob"))
        #expect(harness.portal.connect(role: .client, token: "bob-token") == nil)
        #expect(harness.portal.connect(role: .client, token: "bob-new") != nil)
        #expect(harness.portal.nextConnectionToClose() == harness.connections["bob"])
    }

    @Test func rejectAccessTellsTheGatewayAndKeepsThePolicy() {
        var harness = Self.started()
        #expect(harness.portal.rejectAccess(client: "alice", resource: "web") == 1)
        #expect(harness.drain().map(\.1) == [.rejectAccess(RejectAccessPayload(clientID: "alice", resourceID: "web"))])
        #expect(harness.portal.list().flows.map(\.resourceID) == ["db"])
        #expect(harness.portal.rejectAccess(client: "alice", resource: "web") == 0)
        #expect(harness.drain().isEmpty)
        #expect(harness.createFlow("alice", "web").first?.eventName == "flow_created", "the policy still allows it")
        #expect(harness.auditEvents().contains { $0.message == "access rejected" && $0.fields["gateways_told"] == "0" })
    }

    @Test func rejectAccessReachesEveryGatewayHoldingTheFlow() {
        var harness = Self.started()
        _ = harness.createFlow("alice", "web", hint: ["gw-2"])
        #expect(harness.portal.rejectAccess(client: "alice", resource: "web") == 2)
        #expect(harness.drainSummary() == ["gw-1: reject_access", "gw-2: reject_access"])
    }

    @Test func anExpiredPolicyDisappearsFromTheClientOnTick() {
        var harness = Self.started()
        harness.portal.tick(now: UnixSeconds(1999))
        #expect(harness.drain().isEmpty)
        #expect(harness.portal.nextDeadline(after: UnixSeconds(1999)) == UnixSeconds(2000))
        harness.portal.tick(now: UnixSeconds(2000))
        #expect(harness.drainSummary() == ["alice: resource_deleted"])
        #expect(harness.portal.list().flows.map(\.resourceID) == ["db"])
        #expect(harness.portal.nextDeadline(after: UnixSeconds(2000)) == nil)
    }

    @Test func aPendingAuthorizationRemovedByReloadFailsAsForbidden() {
        var harness = Self.started()
        harness.send(.createFlow(CreateFlowPayload(resourceID: "web", connectedGatewayIDs: ["gw-2"])), from: "alice")
        _ = harness.drain()
        harness.portal.reload(Self.edited { $0.policies.removeAll { $0.resourceID == "web" } }, now: harness.now)
        #expect(harness.drainSummary() == [
            "alice: flow_creation_failed", "gw-1: reject_access", "gw-2: reject_access", "alice: resource_deleted",
        ])
    }
}
