import ArgumentParser
import Foundation

/// `fzctl demo`: the zero-trust layer end to end on this machine, in network namespaces, narrated with the
/// nodes' own logs as evidence.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show the zero-trust layer end to end in network namespaces on this machine (root).",
        discussion: """
            Creates three network namespaces (client, gateway, resources), writes a built-in policy, runs \
            fzctl portal, fzctl gateway and fzctl client in them, and shows, with the nodes' own log lines: a \
            flow created on the first packet, a filtered port answered "prohibited" by the Client, a \
            reject-access and the Client's re-authorization. Removes the namespaces and stops the nodes at \
            the end, also on Ctrl-C. Exits 0 only if every step behaved.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Crypto backend for the Gateway and the Client: auto, sodium, swift, swift-avx2, ...")
    var crypto: String = "auto"

    @Option(help: "Packet I/O backend for the Gateway and the Client: auto or epoll.")
    var io: String = "auto"

    @Option(name: .customLong("log-dir"),
            help: "Keep the policy and the nodes' logs here (default: a temporary directory, removed on success).")
    var logDirectory: String?

    func run() throws {
        _ = try Runtime(global)
        try IOSelection.validate(io)
        if crypto != "auto" { _ = try CryptoSelection.resolve(crypto) }
        try DemoPreflight.check()
        let binary = try DemoPreflight.ownExecutable()
        let directory = try logDirectory.map(DemoPreflight.prepare(directory:)) ?? DemoPreflight.temporaryDirectory()
        let temporary = logDirectory == nil
        let lab = NamespaceLab()
        let narrator = DemoNarrator()
        InterruptWatcher.install { signal in
            narrator.headline("\ninterrupted (signal \(signal)): cleaning up")
            for line in lab.tearDown() { narrator.say(line) }
            if temporary { try? FileManager.default.removeItem(atPath: directory) }
        }
        narrator.headline("fzctl demo: the portal, a Gateway, a Client and two Resources in network namespaces")
        let topology = DemoTopology(processID: getpid())
        let total = 5
        var failed: [String] = []
        var setupError: Error?
        do {
            narrator.step(1, of: total, "Starting the portal, the Gateway and the Client")
            let setup = DemoSetup(lab: lab, topology: topology, binary: binary, directory: directory, io: io,
                                  crypto: crypto, narrator: narrator)
            let environment = try setup.build()
            let steps = DemoSteps(environment: environment, narrator: narrator)
            narrator.say("Backends in use (from the nodes' startup log lines):")
            if !steps.backendsInUse() { failed.append("backends in use") }
            let plan: [(String, () throws -> Bool)] = [
                ("A flow is created on the first packet", steps.firstPacketCreatesFlow),
                ("A filtered port is answered \"prohibited\", with no flow request", steps.filteredPortIsProhibited),
                ("reject-access, and the Client re-authorizes", steps.rejectAccessThenReauthorize),
            ]
            for (index, (title, step)) in plan.enumerated() {
                narrator.step(index + 2, of: total, title)
                if !run(step, in: environment, narrator: narrator) { failed.append(title) }
            }
        } catch {
            narrator.verdict(false, "\(error)")
            setupError = error
        }
        narrator.step(total, of: total, "Cleaning up")
        for line in lab.tearDown() { narrator.say(line) }
        if temporary && failed.isEmpty && setupError == nil {
            try? FileManager.default.removeItem(atPath: directory)
            narrator.say("removed \(directory)")
        } else {
            narrator.say("the policy and the nodes' logs are in \(directory)")
        }
        if let setupError { throw setupError }
        guard failed.isEmpty else { throw DemoError.stepsFailed(failed) }
        narrator.headline("\nEvery step behaved.")
    }

    /// Runs one step; a command that cannot even run fails the step, not the demo, and a node that died is named.
    private func run(_ step: () throws -> Bool, in environment: DemoEnvironment, narrator: DemoNarrator) -> Bool {
        var held: Bool
        do {
            held = try step()
        } catch {
            held = narrator.verdict(false, "\(error)")
        }
        if let node = environment.stoppedNode {
            held = narrator.verdict(false, "the \(node) is still running")
            let log = [environment.portalLog, environment.gatewayLog, environment.clientLog]
                .first { $0.path.hasSuffix("/\(node).log") }
            if let log {
                narrator.say("last lines of \(log.path):")
                narrator.quote(log.tail())
            }
        }
        return held
    }
}
