import ArgumentParser
import Dispatch
import Foundation
import Portal
import PortalServer
import PortalService
import WireGuardConfig

/// `fzctl portal`: the embedded control plane, serving Gateways, Clients and the admin API.
struct PortalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portal",
        abstract: "Run the control plane: WebSocket at /gateway and /client, admin API, policy from a JSON file."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The policy file (JSON): tokens, Resources, policies. Reloaded on SIGHUP and `fzctl admin reload`.")
    var policy: String

    @Option(help: "Address to listen on, HOST:PORT (IPv6 in brackets).")
    var listen: String

    func run() throws {
        // Blocked before any thread exists (swift-nio starts its own), so only the sigwait below sees them.
        let signals = PortalSignals.block()
        let context = try Runtime(global)
        let (host, port) = try Self.parseListen(listen)
        let loaded: PolicyFile
        do {
            loaded = try PolicyFile.load(path: policy)
        } catch {
            throw FZCtlError.invalidInput("\(error)")
        }
        let service = PortalService(policy: loaded, policyPath: policy, logger: context.logger)
        let server = PortalServer(configuration: PortalServerConfiguration(host: host, port: port), delegate: service)
        do {
            try server.start()
        } catch {
            throw FZCtlError.invalidInput("cannot listen on \(listen): \(error)")
        }
        context.logger.info("portal up", metadata: [
            "listen": "\(host):\(server.port ?? port)", "policy": "\(policy)",
            "gateways": "\(loaded.gateways.count)", "clients": "\(loaded.clients.count)",
            "resources": "\(loaded.resources.count)", "policies": "\(loaded.policies.count)",
        ])
        let ticker = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "fzctl.portal.tick"))
        ticker.schedule(deadline: .now() + 1, repeating: 1)
        ticker.setEventHandler { server.perform { service.tick() } }
        ticker.resume()
        defer { ticker.cancel() }
        // SIGHUP reloads on the server's thread; SIGINT or SIGTERM end the loop.
        signals.wait { server.perform { service.reload() } }
        context.logger.info("portal stopping")
        server.stop()
    }

    /// `HOST:PORT` or `[IPv6]:PORT`.
    static func parseListen(_ text: String) throws -> (String, Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]"),
           text[text.index(after: close)...].hasPrefix(":") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            throw FZCtlError.invalidInput("--listen '\(DisplayText.echo(text))' must be HOST:PORT ([IPv6]:PORT)")
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw FZCtlError.invalidInput("--listen '\(DisplayText.echo(text))' must be HOST:PORT with a port 0-65535")
        }
        return (String(host), port)
    }
}

/// SIGHUP, SIGINT and SIGTERM for the portal, taken synchronously by the main thread.
struct PortalSignals {
    let set: sigset_t

    static func block() -> PortalSignals {
        for signal in [SIGHUP, SIGINT, SIGTERM] { Glibc.signal(signal, SIG_DFL) }
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGHUP, SIGINT, SIGTERM] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        return PortalSignals(set: set)
    }

    /// Calls `reload` on each SIGHUP and returns on SIGINT or SIGTERM.
    func wait(reload: () -> Void) {
        var set = self.set
        while true {
            var received: Int32 = 0
            guard sigwait(&set, &received) == 0 else { continue }
            if received == SIGHUP {
                reload()
                continue
            }
            return
        }
    }
}
