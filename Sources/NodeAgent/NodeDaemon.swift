import ControlProtocol
import DataPlane
import Dispatch
import HostSetup
import Locks
import Logging
import MetricsExport
import PortalClient
import Tunnel
import WireGuardConfig

/// Runs one zero-trust node (Gateway or Client) until it is stopped or the portal refuses it.
///
/// Three parties meet here. The event-loop threads own the node and move packets; the portal connection
/// (swift-nio threads) decodes messages, logs them and posts them to the loops through their mailboxes; a serial
/// host queue runs the `ip` commands the messages ask for (addresses, routes), so neither a loop nor the
/// connection ever waits on a subprocess. Node events go the other way: a loop hands them to the connection,
/// which encodes and sends them. The portal may come and go; the data path keeps forwarding.
///
/// With several workers (a Gateway's `--threads`) each has its own node, backend (sockets on one port, a TUN
/// queue), tunnel and loop, as `fzctl up` runs them: every portal command goes to every worker, so each node holds
/// the whole state, and a peer's packets are handled on the worker it lives on. Worker 0 runs on the calling
/// thread, the others on threads of their own; the first to stop stops them all.
///
/// Generic over the packet I/O backend: fzctl picks the concrete backend at startup, so the loops and the
/// tunnels are specialized for it.
public final class NodeDaemon<Node: ControlledNode, IO: PacketIO>: @unchecked Sendable {
    // Safe: `refusal` and `portal` are behind locks; the rest is immutable after init.
    let role: NodeRole<Node>
    /// One node and one backend per worker, in worker order.
    let nodes: [Node]
    let ios: [IO]
    let listenPort: UInt16
    let interface: TunnelInterface
    let logger: Logger
    let identity: [String: String]
    let hostQueue = DispatchQueue(label: "fzctl.host-setup")
    let refusal = Locked<String?>(nil)
    let joinMessage: ControlMessage
    /// Called once, on the host queue, when the first tunnel addresses from the portal are on the interface.
    let ready: @Sendable () -> Void
    let readied = Locked(false)

    typealias Mailbox = ControlMailbox<NodeRequest<Node.Command>, InterfaceAnswer>

    /// - Parameters:
    ///   - nodes: one node per worker; with several, each over a device with its ``WorkerShard``.
    ///   - ios: the backends, one per worker and in the same order (`SO_REUSEPORT` sockets, TUN queues).
    ///   - join: the first message on every connection (our public key, a Gateway's endpoint).
    ///   - identity: fields added to every audit line (e.g. `gateway_id` once known is in the messages).
    ///   - listenPort: the UDP port the backend bound (for `wg show`).
    ///   - ready: called once when the portal's first tunnel addresses are on the interface (the node can carry
    ///     traffic from then on); a service manager's READY=1.
    public init(role: NodeRole<Node>, nodes: [Node], ios: [IO], listenPort: UInt16, interface: TunnelInterface,
                join: ControlMessage, logger: Logger, identity: [String: String] = [:],
                ready: @escaping @Sendable () -> Void = {}) {
        precondition(!nodes.isEmpty && nodes.count == ios.count, "one node and one backend per worker")
        self.role = role
        self.nodes = nodes
        self.ios = ios
        self.listenPort = listenPort
        self.interface = interface
        self.joinMessage = join
        self.logger = logger
        self.identity = identity
        self.ready = ready
    }

    /// Connects to the portal and runs the loops until `stop` or a refusal (worker 0 on the calling thread).
    ///
    /// - Parameters:
    ///   - makeLoop: the backend's event loop around a worker's tunnel.
    ///   - installStop: called once with worker 0's stop handle (the caller wires SIGINT/SIGTERM to it), before
    ///     any other worker's thread starts.
    /// - Returns: nil after a clean stop, or the portal's refusal.
    public func run<Loop: PacketEventLoop>(
        portal: PortalEndpoint, token: String, uapiName: String?, metrics: MetricsListenAddress? = nil,
        makeLoop: (IO, WireGuardTunnel<Node, IO>) throws -> Loop,
        installStop: (any LoopSignal) -> Void
    ) throws(NodeDaemonError) -> String? where Loop.Handler == WireGuardTunnel<Node, IO> {
        let workers = nodes.count
        let wakes = (0..<workers).map { _ in Locked<(any LoopSignal)?>(nil) }
        let control = InterfaceControl(mailboxes: wakes.map { wake in
            Mailbox(closedAnswer: .uapi(UAPIServer.closedAnswer)) { wake.withLock { $0?.signal() } }
        })
        let mailboxes = control.mailboxes
        let connection = Locked<PortalClient?>(nil)
        let listenPort = self.listenPort
        let exchange = workers > 1 ? WorkerExchange(workers: workers) : nil
        let tunnels = (0..<workers).map { worker in
            WireGuardTunnel<Node, IO>(
                node: nodes[worker], pool: ios[worker].pool, batchSize: 64, mailbox: mailboxes[worker],
                handler: { tunnel, request, time in
                    switch request {
                    case .portal(let command):
                        tunnel.node.handle(command, now: time)
                        return .uapi("")
                    case .uapi(let uapi):
                        return .uapi(tunnel.answerReadOnlyUAPI(uapi, now: time, listenPort: listenPort))
                    case .uapiSnapshot:
                        return .uapiSnapshot(tunnel.snapshot(now: time, listenPort: listenPort))
                    case .metrics(let limit):
                        return .metrics(tunnel.metricsSnapshot(now: time, peerLimit: limit))
                    }
                },
                exchange: exchange,
                events: { [role, logger, identity] event in
                    guard let message = role.message(event) else { return }
                    AuditLog.record(message, direction: .sent, logger: logger, extra: identity)
                    if connection.withLock({ $0?.send(message.encoded()) }) != true {
                        logger.warning("portal unreachable; message not sent", metadata: [
                            "message_type": "\(message.eventName)"])
                    }
                })
        }
        var loops: [Loop] = []
        for worker in 0..<workers {
            let loop: Loop
            do {
                loop = try makeLoop(ios[worker], tunnels[worker])
            } catch {
                throw .loop(workers > 1 ? "worker \(worker) of \(workers): \(error)" : "\(error)")
            }
            let wake = loop.wakeHandle
            wakes[worker].withLock { $0 = wake }
            exchange?.setWake(worker: worker) { wake.signal() }
            loops.append(loop)
        }
        let stop = loops[0].stopHandle
        installStop(stop)
        var threads: [WorkerLoopThread] = []
        defer {
            for (offset, thread) in threads.enumerated() {
                if let failure = thread.stopAndJoin() {
                    logger.error("worker stopped", metadata: ["worker": "\(offset + 1)", "error": "\(failure)"])
                }
            }
        }
        for worker in 1..<workers {
            do {
                threads.append(try WorkerLoopThread.start(loops[worker], index: worker) { stop.signal() })
            } catch {
                throw .loop("cannot start worker \(worker): \(error)")
            }
        }
        let mainLoop = loops[0]
        loops.removeAll()

        var uapi: UAPIServer?
        if let uapiName {
            do {
                let server = try UAPIServer(interface: uapiName) { control.answerUAPI($0) }
                try server.start()
                uapi = server
            } catch {
                logger.warning("wg show will not work: cannot serve the UAPI socket", metadata: ["error": "\(error)"])
            }
        }
        defer {
            control.close()
            uapi?.stop()
        }
        var metricsServer: MetricsHTTPServer?
        if let metrics {
            let exporter = TunnelMetricsExporter()
            do {
                metricsServer = try MetricsHTTPServer(address: metrics) { peers in
                    control.metrics(peerLimit: peers).map { exporter.render($0, peerLimit: peers) }
                }
            } catch {
                throw .metrics("\(error)")
            }
            logger.info("metrics served", metadata: ["metrics_listen": "\(metricsServer!.boundAddress)"])
        }
        defer { metricsServer?.stop() }
        // Runs before the line above: a scrape waiting on a stopped loop gets the closed answer, so stopping the
        // metrics server does not wait for it forever.
        defer { control.close() }

        let joinText = joinMessage.encoded()
        let client = PortalClient(
            configuration: PortalClientConfiguration(endpoint: portal.with(path: role.path), token: token),
            events: PortalClientEvents(
                connected: { [joinMessage, logger, identity] in
                    logger.info("connected to the portal", metadata: ["portal": "\(portal)"])
                    AuditLog.record(joinMessage, direction: .sent, logger: logger, extra: identity)
                    _ = connection.withLock { $0?.send(joinText) }
                },
                received: { [weak self] text in self?.received(text, mailboxes: mailboxes) },
                disconnected: { [logger] reason in
                    logger.warning("portal connection lost; reconnecting", metadata: ["reason": "\(reason)"])
                },
                refused: { [refusal, logger] status in
                    logger.error("the portal refused this node's token", metadata: ["status": "\(status)"])
                    refusal.withLock { $0 = "the portal refused the token (HTTP \(status)); check --token" }
                    stop.signal()
                },
                retrying: { [logger] reason, delay in
                    logger.info("portal unreachable; retrying", metadata: [
                        "reason": "\(reason)", "retry_in": "\(delay)"])
                }))
        connection.withLock { $0 = client }
        client.start()
        defer { client.stop() }

        do {
            try mainLoop.run()
        } catch {
            throw .loop("\(error)")
        }
        // Every worker stops with the first; their tunnels are read only once their threads have ended.
        for (offset, thread) in threads.enumerated() {
            if let failure = thread.stopAndJoin() { throw .loop("worker \(offset + 1) failed: \(failure)") }
        }
        threads.removeAll()
        if let failure = tunnels.lazy.compactMap(\.failure).first { throw .loop("\(failure)") }
        return refusal.withLock { $0 }
    }

    /// A text frame from the portal: decoded, logged, host changes queued, command posted to every worker's loop.
    func received(_ text: String, mailboxes: [Mailbox]) {
        let message: ControlMessage
        do {
            message = try ControlMessage.decode(text)
        } catch {
            logger.warning("ignoring a malformed portal message", metadata: ["error": "\(error)"])
            return
        }
        AuditLog.record(message, direction: .received, logger: logger, extra: identity)
        guard let command = role.command(message) else {
            logger.warning("ignoring a portal message meant for another role", metadata: [
                "message_type": "\(message.eventName)"])
            return
        }
        let assigned = role.addresses(message)
        if let addresses = assigned {
            logger.info("tunnel addresses assigned", metadata: [
                "ipv4": "\(addresses.ipv4)", "ipv6": "\(IPAddressText.format(.v6(addresses.ipv6)))"])
        }
        // Host changes first on their own queue, then the node: a route may appear a moment after the node
        // knows the Resource, never the other way round for long.
        let interface = self.interface
        let role = self.role
        let logger = self.logger
        let ready = self.ready
        let readied = self.readied
        let assignsAddresses = assigned != nil
        hostQueue.async {
            do {
                try role.hostChanges(message, interface)
                if assignsAddresses, !readied.withLock({ done in defer { done = true }; return done }) { ready() }
            } catch {
                logger.error("cannot apply a host change", metadata: [
                    "message_type": "\(message.eventName)", "error": "\(error)"])
            }
        }
        for mailbox in mailboxes { mailbox.post(.portal(command)) }
    }

    /// Waits for queued host changes, then undoes them (routes; the device goes when its descriptor closes).
    public func cleanUp() {
        hostQueue.sync { interface.removeRoutes() }
    }
}

/// Why a node daemon stopped with an error.
public enum NodeDaemonError: Error, CustomStringConvertible {
    /// The event loop could not start or failed.
    case loop(String)
    /// The metrics endpoint could not be served (the text names the address and why).
    case metrics(String)

    public var description: String {
        switch self {
        case .loop(let text): return "event loop failed: \(text)"
        case .metrics(let text): return text
        }
    }
}
