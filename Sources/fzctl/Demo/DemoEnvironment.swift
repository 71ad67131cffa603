import Foundation
import HostSetup

/// The running demo: its namespaces, the three nodes and their logs, and the commands the steps run.
struct DemoEnvironment {
    let lab: NamespaceLab
    let client: NetworkNamespace
    let gateway: NetworkNamespace
    let resources: NetworkNamespace
    /// This fzctl, which the nodes run as.
    let binary: String
    let policy: DemoPolicy
    let policyPath: String
    let portalLog: NodeLog
    let gatewayLog: NodeLog
    let clientLog: NodeLog
    let portal: SpawnedProcess
    let gatewayNode: SpawnedProcess
    let clientNode: SpawnedProcess

    /// Runs `command` in the client namespace, as alice's applications would.
    func inClient(_ command: [String]) throws -> CapturedOutput {
        try lab.capture(in: client, command)
    }

    /// The admin command line (as shown to the reader) and its result, run where the portal listens.
    func admin(_ arguments: [String]) throws -> (shown: [String], result: CapturedOutput) {
        let shown = ["fzctl", "admin", "--portal", DemoTopology.portalHTTP, "--token", "ADMIN_TOKEN"] + arguments
        let command = [binary, "admin", "--portal", DemoTopology.portalHTTP, "--token", policy.adminToken] + arguments
        return (shown, try lab.capture(in: gateway, command))
    }

    /// Which node died, if one did: a demo step blames the node, not the network.
    var stoppedNode: String? {
        for (name, process) in [("portal", portal), ("gateway", gatewayNode), ("client", clientNode)]
        where !process.isRunning {
            return name
        }
        return nil
    }

    /// Polls `condition` every 0.2 s until it holds (true) or `seconds` pass (false).
    static func poll(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            if try condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}
