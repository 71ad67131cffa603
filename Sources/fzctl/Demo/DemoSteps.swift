import Foundation

/// The demo's claims, each shown with its evidence and checked: a step returns whether everything it
/// claimed held.
struct DemoSteps {
    let environment: DemoEnvironment
    let narrator: DemoNarrator

    private var web: DemoResource { .web }
    private var database: DemoResource { .database }
    private var alice: String { DemoPolicy.clientID }
    private static let flowMessages: Set<String> = [
        "reject_access", "create_flow", "authorize_flow", "flow_authorized", "flow_created", "flow_creation_failed",
    ]

    /// The crypto and packet I/O backends each node says it runs, from its startup line.
    func backendsInUse() -> Bool {
        var held = true
        for (name, log) in [("gateway", environment.gatewayLog), ("client", environment.clientLog)] {
            guard let line = log.entries().first(where: { $0.fields["crypto"] != nil && $0.fields["io"] != nil })
            else {
                held = narrator.verdict(false, "the \(name)'s startup log line names its crypto and io backends")
                    && held
                continue
            }
            let crypto = line.fields["crypto"] ?? "?"
            let implementation = line.fields["crypto_implementation"].map { " (\($0))" } ?? ""
            narrator.say("\(name): crypto \(crypto)\(implementation), packet I/O \(line.fields["io"] ?? "?")")
        }
        return held
    }

    func firstPacketCreatesFlow() throws -> Bool {
        narrator.say("alice's Client knows its Resources from the portal but has no tunnel to any Gateway yet.")
        narrator.say("Its first packet to web makes it ask the portal for a flow (create_flow); the portal tells")
        narrator.say("the Gateway to authorize alice (authorize_flow) and hands the Client the Gateway's key and a")
        narrator.say("fresh preshared key (flow_created). The packet waits in a buffer meanwhile and is then sent.")
        let mark = environment.portalLog.mark
        let ping = ["ping", "-c", "1", "-W", "5", web.host]
        narrator.command(ping, in: environment.client.name)
        let result = try environment.inClient(ping)
        narrator.quote(result.lines)
        var held = narrator.verdict(result.succeeded && result.output.contains("bytes from"),
                                    "the first packet to web got its answer")
        let created: [String: String] = ["message_type": "flow_created", "direction": "sent", "client_id": alice,
                                         "resource_id": web.id]
        _ = DemoEnvironment.poll(seconds: 2) { !environment.portalLog.entries(after: mark, matching: created).isEmpty }
        narrator.say("The portal's log (one JSON line per control message):")
        narrator.quote(flowLines(after: mark))
        let asked = environment.portalLog.entries(after: mark, matching: [
            "message_type": "create_flow", "direction": "received", "client_id": alice, "resource_id": web.id])
        held = narrator.verdict(asked.count == 1 && !environment.portalLog.entries(after: mark, matching: created)
            .isEmpty, "the portal received one create_flow from alice for web and sent flow_created") && held
        return held
    }

    func filteredPortIsProhibited() throws -> Bool {
        narrator.say("db allows only TCP 5432. The Client knows db's filters, so it answers anything else itself")
        narrator.say("with ICMP \"administratively prohibited\": no flow request, nothing sent to the Gateway.")
        let mark = environment.portalLog.mark
        let ping = ["ping", "-c", "1", "-W", "3", database.host]
        narrator.command(ping, in: environment.client.name)
        let pinged = try environment.inClient(ping)
        narrator.quote(pinged.lines)
        var held = narrator.verdict(pinged.output.contains("Packet filtered"), "ping to db shows \"Packet filtered\"")
        let connect = ["timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/\(database.host)/22"]
        narrator.command(connect, in: environment.client.name)
        let connected = try environment.inClient(connect)
        narrator.quote(connected.lines + [String(format: "(%.3f s)", connected.seconds)])
        held = narrator.verdict(!connected.succeeded && connected.output.contains("No route to host")
            && connected.seconds < 1, "TCP to db port 22 is refused at once (\"No route to host\")") && held
        // Give a flow request, were there one, time to reach the portal's log.
        Thread.sleep(forTimeInterval: 1)
        let asked = environment.portalLog.entries(after: mark, matching: [
            "message_type": "create_flow", "resource_id": database.id])
        held = narrator.verdict(asked.isEmpty, "the portal saw no create_flow for db: the Client answered itself")
            && held
        return held
    }

    func rejectAccessThenReauthorize() throws -> Bool {
        narrator.say("An operator forces re-authorization: reject-access makes the Gateway drop alice's access to")
        narrator.say("web now; the policy still allows it.")
        let mark = environment.portalLog.mark
        let gatewayMark = environment.gatewayLog.mark
        let (shown, rejected) = try environment.admin(["reject-access", "--client", alice, "--resource", web.id])
        narrator.command(shown, in: environment.gateway.name)
        narrator.quote(rejected.lines)
        var held = narrator.verdict(rejected.succeeded, "fzctl admin reject-access succeeded")
        let applied = DemoEnvironment.poll(seconds: 5) {
            !environment.gatewayLog.entries(after: gatewayMark, matching: [
                "message_type": "reject_access", "direction": "received", "client_id": alice,
                "resource_id": web.id]).isEmpty
        }
        held = narrator.verdict(applied, "the Gateway received reject_access for alice and web") && held
        // The Gateway logs the message as it reads it; its packet loop applies it a moment later.
        Thread.sleep(forTimeInterval: 0.3)
        let ping = ["ping", "-c", "1", "-W", "3", web.host]
        narrator.command(ping, in: environment.client.name)
        let filtered = try environment.inClient(ping)
        narrator.quote(filtered.lines)
        held = narrator.verdict(filtered.output.contains("Packet filtered"),
                                "the Gateway answered the next packet \"prohibited\" (\"Packet filtered\")") && held
        narrator.say("The Client runs with \(DemoSetup.reauthorizeFlag)=true: a \"prohibited\" from the Gateway for a")
        narrator.say("Resource alice may reach means the Gateway's view is out of date, so it asks the portal again.")
        let started = ContinuousClock.now
        let resumed = try DemoEnvironment.poll(seconds: 5) {
            try environment.inClient(["ping", "-c", "1", "-W", "1", web.host]).succeeded
        }
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        held = narrator.verdict(resumed, resumed ? String(format: "web answers again %.1f s later", seconds)
                                                 : "web answers again within 5 s") && held
        narrator.say("The portal's log since the reject:")
        narrator.quote(flowLines(after: mark))
        let asked = environment.portalLog.entries(after: mark, matching: [
            "message_type": "create_flow", "direction": "received", "client_id": alice, "resource_id": web.id])
        held = narrator.verdict(!asked.isEmpty, "the Client re-authorized: a new create_flow for web") && held
        return held
    }

    /// The portal's flow-related lines after `mark`, verbatim.
    private func flowLines(after mark: Int) -> [String] {
        environment.portalLog.entries(after: mark)
            .filter { Self.flowMessages.contains($0.fields["message_type"] ?? "") }
            .map(\.line)
    }
}
