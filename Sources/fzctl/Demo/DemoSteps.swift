import Foundation

/// The demo's claims, each shown with its evidence and checked: a step returns whether everything it
/// claimed held.
///
/// Log lines are matched by message type, which names the direction (the portal only receives create_flow
/// and flow_authorized, and only sends the others), and read one per control message.
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
        narrator.say("Its first packet to a Resource makes it ask the portal for a flow (create_flow); the portal")
        narrator.say("tells the Gateway to authorize alice (authorize_flow) and hands the Client the Gateway's key")
        narrator.say("and a fresh preshared key (flow_created). The packet waits in a buffer meanwhile.")
        var held = true
        for resource in [web, database] {
            let mark = environment.portalLog.mark
            let ping = ["ping", "-c", "1", "-W", "5", resource.host]
            narrator.command(ping, in: environment.client.name)
            let result = try environment.inClient(ping)
            narrator.quote(result.lines)
            held = narrator.verdict(result.succeeded && result.output.contains("bytes from"),
                                    "the first packet to \(resource.id) got its answer") && held
            let created = ["message_type": "flow_created", "client_id": alice, "resource_id": resource.id]
            _ = DemoEnvironment.poll(seconds: 2) {
                !environment.portalLog.messages(after: mark, matching: created).isEmpty
            }
            narrator.say("The portal's log (JSON, one line per control message):")
            narrator.quote(flowLines(after: mark))
            let asked = environment.portalLog.messages(after: mark, matching: [
                "message_type": "create_flow", "client_id": alice, "resource_id": resource.id])
            let answered = environment.portalLog.messages(after: mark, matching: created)
            held = narrator.verdict(asked.count == 1 && answered.count == 1,
                                    "one create_flow from alice for \(resource.id), answered by flow_created") && held
        }
        return held
    }

    func filteredPortIsProhibited() throws -> Bool {
        narrator.say("db allows only TCP 5432 and ping. The Client knows db's filters, so it answers anything else")
        narrator.say("itself with ICMP \"administratively prohibited\": no flow request, nothing sent to the Gateway.")
        let mark = environment.portalLog.mark
        let connect = ["timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/\(database.host)/22"]
        narrator.command(connect, in: environment.client.name)
        let connected = try environment.inClient(connect)
        narrator.quote(connected.lines + [String(format: "(%.3f s)", connected.seconds)])
        var held = narrator.verdict(!connected.succeeded && connected.output.contains("No route to host")
            && connected.seconds < 1, "TCP to db port 22 is refused at once (\"No route to host\")")
        // Give a flow request, were there one, time to reach the portal's log.
        Thread.sleep(forTimeInterval: 1)
        let asked = environment.portalLog.messages(after: mark, matching: ["message_type": "create_flow"])
        held = narrator.verdict(asked.isEmpty, "the portal saw no create_flow: the Client answered itself") && held
        return held
    }

    func rejectAccessThenReauthorize() throws -> Bool {
        narrator.say("An operator forces re-authorization: reject-access makes the Gateway drop alice's access to")
        narrator.say("web now (the policy still allows it); alice keeps her access to db.")
        let mark = environment.portalLog.mark
        let gatewayMark = environment.gatewayLog.mark
        let (shown, rejected) = try environment.admin(["reject-access", "--client", alice, "--resource", web.id])
        narrator.command(shown, in: environment.gateway.name)
        narrator.quote(rejected.lines)
        var held = narrator.verdict(rejected.succeeded, "fzctl admin reject-access succeeded")
        let applied = DemoEnvironment.poll(seconds: 5) {
            !environment.gatewayLog.messages(after: gatewayMark, matching: [
                "message_type": "reject_access", "client_id": alice, "resource_id": web.id]).isEmpty
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
        narrator.say("The Client runs with \(DemoSetup.reauthorizeFlag)=true: a \"prohibited\" from the")
        narrator.say("Gateway for a Resource alice may reach means the Gateway's view is out of date, so it asks")
        narrator.say("the portal again (at most every 2 s per Resource).")
        let started = ContinuousClock.now
        let resumed = try DemoEnvironment.poll(seconds: 6) {
            try environment.inClient(["ping", "-c", "1", "-W", "1", web.host]).succeeded
        }
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        held = narrator.verdict(resumed, resumed ? String(format: "web answers again, %.1f s later", seconds)
                                                 : "web answers again within 6 s") && held
        narrator.say("The portal's log since the reject:")
        narrator.quote(flowLines(after: mark))
        let asked = environment.portalLog.messages(after: mark, matching: [
            "message_type": "create_flow", "client_id": alice, "resource_id": web.id])
        held = narrator.verdict(!asked.isEmpty, "the Client re-authorized: a new create_flow for web") && held
        let database = ["ping", "-c", "1", "-W", "2", self.database.host]
        narrator.command(database, in: environment.client.name)
        let stillThere = try environment.inClient(database)
        narrator.quote(stillThere.lines.filter { $0.contains("bytes from") || $0.contains("packets transmitted") })
        held = narrator.verdict(stillThere.succeeded, "db was never touched: it still answers") && held
        return held
    }

    /// The portal's flow-related messages after `mark`, one line each, verbatim.
    private func flowLines(after mark: Int) -> [String] {
        environment.portalLog.messages(after: mark)
            .filter { Self.flowMessages.contains($0.fields["message_type"] ?? "") }
            .map(\.line)
    }
}
