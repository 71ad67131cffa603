import Foundation
import HostSetup

/// Builds the demo's namespaces and starts the portal, the Gateway and the Client in them, waiting until each
/// is really up (listening, joined, routes in place) before the next one starts.
struct DemoSetup {
    let lab: NamespaceLab
    let topology: DemoTopology
    let binary: String
    let directory: String
    let io: String
    let crypto: String
    let narrator: DemoNarrator

    static let reauthorizeFlag = "FZFF_ICMP_ERROR_UNREACHABLE_PROHIBITED_CREATE_NEW_FLOW"

    func build() throws -> DemoEnvironment {
        let client = try lab.addNamespace(topology.client)
        let gateway = try lab.addNamespace(topology.gateway)
        let resources = try lab.addNamespace(topology.resources)
        try lab.link(client, "to-gateway", to: gateway, "to-client")
        try lab.link(gateway, "to-resources", to: resources, "to-gateway")
        let prefix = DemoTopology.underlayPrefix
        try lab.addAddress("\(DemoTopology.clientAddress)/\(prefix)", interface: "to-gateway", in: client)
        try lab.addAddress("\(DemoTopology.gatewayAddress)/\(prefix)", interface: "to-client", in: gateway)
        for resource in DemoResource.all {
            try lab.addAddress("\(resource.gatewaySide)/24", interface: "to-resources", in: gateway)
            try lab.addAddress("\(resource.host)/24", interface: "to-gateway", in: resources)
        }
        narrator.say("namespaces: \(client.name) (Client), \(gateway.name) (portal and Gateway), "
            + "\(resources.name) (Resources)")

        let policy = DemoPolicy()
        let policyPath = directory + "/policy.json"
        try policy.write(to: policyPath)
        narrator.say("policy \(policyPath): \(DemoPolicy.clientID) may reach "
            + DemoResource.all.map { "\($0.id) \($0.network) (\($0.summary))" }.joined(separator: " and "))

        let portalLog = NodeLog(path: directory + "/portal.log")
        let portal = try lab.start("portal", in: gateway, [
            binary, "portal", "--policy", policyPath, "--listen",
            "\(DemoTopology.gatewayAddress):\(DemoTopology.portalPort)", "--log-format", "json",
        ], logPath: portalLog.path)
        try waitFor("the portal to listen on \(DemoTopology.portalHTTP)", process: portal, log: portalLog) {
            try lab.capture(in: gateway, ["bash", "-c",
                "exec 3<>/dev/tcp/\(DemoTopology.gatewayAddress)/\(DemoTopology.portalPort)"]).succeeded
        }
        narrator.verdict(true, "portal listening on \(DemoTopology.portalHTTP) (log \(portalLog.path))")

        let gatewayLog = NodeLog(path: directory + "/gateway.log")
        let gatewayNode = try lab.start("gateway", in: gateway, [
            binary, "gateway", "--portal", DemoTopology.portalWebSocket, "--token", policy.gatewayToken,
            "--endpoint", "\(DemoTopology.gatewayAddress):\(DemoTopology.wireGuardPort)",
            "--interface", DemoTopology.gatewayTunnel, "--io", io, "--crypto", crypto, "--log-format", "json",
        ], logPath: gatewayLog.path)
        try waitFor("the Gateway to join the portal", process: gatewayNode, log: gatewayLog) {
            !portalLog.messages(matching: ["message_type": "init", "gateway_id": DemoPolicy.gatewayID]).isEmpty
        }
        narrator.verdict(true, "Gateway \(DemoPolicy.gatewayID) joined (log \(gatewayLog.path))")

        let clientLog = NodeLog(path: directory + "/client.log")
        let clientNode = try lab.start("client", in: client, [
            binary, "client", "--portal", DemoTopology.portalWebSocket, "--token", policy.clientToken,
            "--interface", DemoTopology.clientTunnel, "--io", io, "--crypto", crypto, "--log-format", "json",
        ], environment: [Self.reauthorizeFlag: "true"], logPath: clientLog.path)
        try waitFor("the Client to join and route the Resources", process: clientNode, log: clientLog) {
            let joined = !portalLog.messages(matching: ["message_type": "init", "client_id": DemoPolicy.clientID])
                .isEmpty
            return try joined && DemoResource.all.allSatisfy { resource in
                try lab.capture(in: client, ["ip", "route", "get", resource.host]).output
                    .contains("dev \(DemoTopology.clientTunnel) ")
            }
        }
        narrator.verdict(true, "Client \(DemoPolicy.clientID) joined, with \(Self.reauthorizeFlag)=true, and routes "
            + DemoResource.all.map(\.network).joined(separator: ", ") + " into \(DemoTopology.clientTunnel) "
            + "(log \(clientLog.path))")

        return DemoEnvironment(
            lab: lab, client: client, gateway: gateway, resources: resources, binary: binary, policy: policy,
            policyPath: policyPath, portalLog: portalLog, gatewayLog: gatewayLog, clientLog: clientLog,
            portal: portal, gatewayNode: gatewayNode, clientNode: clientNode)
    }

    /// Waits up to 20 s for `ready`; fails at once, with the node's last log lines, if the node exits.
    private func waitFor(_ what: String, process: SpawnedProcess, log: NodeLog, _ ready: () throws -> Bool) throws {
        var exited = false
        let became = try DemoEnvironment.poll(seconds: 20) {
            if try ready() { return true }
            exited = !process.isRunning
            return exited
        }
        guard became, !exited else {
            narrator.say("last lines of \(log.path):")
            narrator.quote(log.tail())
            throw DemoError.setup(exited ? "the node exited while waiting for \(what)"
                                         : "waited 20 s for \(what)")
        }
    }
}
