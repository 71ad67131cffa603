import ArgumentParser
import ControlProtocol
import Crypto
import DataPlane
import EpollIO
import Foundation
import HostSetup
#if IOUring
import IOUringIO
#endif
import Logging
import MetricsExport
import NodeAgent
import PortalClient
import Tunnel
import WireGuardConfig

/// `fzctl gateway`: a zero-trust Gateway that joins the portal and enforces its authorizations.
struct GatewayDaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run a Gateway: join the portal, forward authorized Client traffic to Resources (root)."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var node: NodeOptions

    @Option(help: "Where Clients reach this Gateway's WireGuard socket, IP:PORT (sent to the portal).")
    var endpoint: String

    @Option(name: .customLong("listen-port"), help: "UDP port to listen on (default: the --endpoint port).")
    var listenPort: UInt16?

    @Flag(name: .customLong("no-masquerade"),
          help: "Do not masquerade Client traffic leaving through other interfaces; route 100.64.0.0/10 yourself.")
    var noMasquerade = false

    @Option(help: ArgumentHelp("Data-path workers, each with its own sockets, TUN queue and Clients "
                               + "(1...255; default: one per core)."))
    var threads: String?

    func run() throws {
        let context = try Runtime(global)
        let parsed: ConfigEndpoint
        do {
            parsed = try ConfigEndpoint(parsing: endpoint)
        } catch {
            throw FZCtlError.invalidInput("--endpoint: \(error)")
        }
        guard let announced = parsed.resolved else {
            throw FZCtlError.invalidInput("--endpoint '\(DisplayText.echo(endpoint))' must be an IP address and port")
        }
        let workers = try WorkerCount.resolve(threads)
        var prepared = try node.prepare(defaultInterface: "fz-gateway", context: context)
        prepared.options.threads = workers
        let info = try prepared.crypto()
        try NodeLauncher.runGateway(dispatching: info, prepared: prepared, endpoint: announced,
                                    listenPort: listenPort ?? announced.port, masquerade: !noMasquerade,
                                    logger: context.logger)
    }
}

/// `fzctl client`: a zero-trust Client that asks the portal for flows to its Resources.
struct ClientDaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Run a Client: join the portal, route its Resources into the tunnel, create flows on demand (root)."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var node: NodeOptions

    func run() throws {
        let context = try Runtime(global)
        let prepared = try node.prepare(defaultInterface: "fz-client", context: context)
        let reauthorize = context.flags.isEnabled(.icmpErrorUnreachableProhibitedCreateNewFlow)
        let info = try prepared.crypto()
        try NodeLauncher.runClient(dispatching: info, prepared: prepared, reauthorize: reauthorize,
                                   logger: context.logger)
    }
}

/// Options both node daemons take.
struct NodeOptions: ParsableArguments {
    @Option(help: "The portal's WebSocket address, ws://HOST:PORT.")
    var portal: String

    @Option(help: "This node's token from the policy file (default: $FZ_TOKEN).")
    var token: String?

    @Option(help: "TUN device name.")
    var interface: String?

    @Option(help: "Crypto backend: auto, sodium, swift, swift-avx2, ...")
    var crypto: String = "auto"

    @Option(help: "Packet I/O backend: auto, epoll or io-uring.")
    var io: String = "auto"

    @OptionGroup var offloadOptions: OffloadOptions

    @Option(name: .customLong("metrics-listen"),
            help: "Serve Prometheus metrics at http://HOST:PORT/metrics (IPv6: [::1]:9586); off by default.")
    var metricsListen: String?

    /// Validates everything that needs no privileges, then checks for root.
    func prepare(defaultInterface: String, context: Runtime) throws -> PreparedNode {
        let endpoint: PortalEndpoint
        do {
            endpoint = try PortalEndpoint(parsing: portal, scheme: .ws)
        } catch {
            throw FZCtlError.invalidInput("--portal: \(error)")
        }
        guard let token = token ?? Runtime.environment()["FZ_TOKEN"], !token.isEmpty else {
            throw FZCtlError.invalidInput(
                "a token is required: --token TOKEN or FZ_TOKEN (from the portal's policy file)")
        }
        let name = try InterfaceName.validate(interface ?? defaultInterface)
        try IOSelection.validate(io)
        let offloads = try offloadOptions.resolve()
        let metrics = try metricsListen.map { text in
            do { return try MetricsListenAddress(parsing: text) } catch { throw FZCtlError.invalidInput("\(error)") }
        }
        let named = crypto == "auto" ? nil : try CryptoSelection.resolve(crypto)
        let notifier = try ServiceNotifier.fromRuntime()
        guard geteuid() == 0 else {
            throw FZCtlError.invalidInput("this command needs root (CAP_NET_ADMIN) to create the TUN device \(name)")
        }
        let ioKind = try IOSelection.resolve(io, logger: context.logger)
        return PreparedNode(portal: endpoint, token: token, interface: name, cryptoName: crypto, named: named,
                            options: InterfaceOptions(io: ioKind, offloads: offloads, metrics: metrics,
                                                     notifier: notifier),
                            logger: context.logger)
    }
}

/// A node's validated options.
struct PreparedNode {
    let portal: PortalEndpoint
    let token: String
    let interface: String
    let cryptoName: String
    let named: CryptoBackendInfo?
    var options: InterfaceOptions
    let logger: Logger

    func crypto() throws -> CryptoBackendInfo {
        try named ?? CryptoSelection.resolve(cryptoName, logger: logger)
    }
}

/// Opens the node's device and runs its daemon, specialized for one crypto backend.
enum NodeLauncher {
    /// MTU of both node kinds' TUN devices: IPv6's minimum, so no path inside the tunnel needs fragmentation.
    static let mtu = 1280

    static func runGateway<B: CryptoBackend>(
        _ backend: B.Type, info: CryptoBackendInfo, prepared: PreparedNode, endpoint: Endpoint, listenPort: UInt16,
        masquerade: Bool, logger: Logger
    ) throws {
        // One key for every worker's device: they are one Gateway to the Clients.
        let privateKey = SecureRandom.privateKey()
        let nodes = WorkerCount.shards(prepared.options.threads).map { shard in
            GatewayNode<B, AuthorizationTable>(device: WireGuardDevice<B>(
                privateKey: privateKey, random: SystemRandomNumberGenerator(), shard: shard))
        }
        let join = ControlMessage.join(JoinPayload(publicKey: nodes[0].device.publicKey!, endpoint: endpoint))
        try run(nodes: nodes, role: NodeRole<GatewayNode<B, AuthorizationTable>>.gateway(), join: join, info: info,
                prepared: prepared, port: listenPort, logger: logger) { interface in
            let forwarding = GatewayForwarding(interface: interface, masquerade: masquerade)
            do {
                try forwarding.apply()
            } catch {
                throw FZCtlError.invalidInput("cannot set up forwarding: \(error)")
            }
            logger.info("forwarding enabled", metadata: [
                "masquerade": "\(masquerade)", "nftables_table": "\(masquerade ? forwarding.tableName : "")"])
            return { forwarding.restore() }
        }
    }

    static func runClient<B: CryptoBackend>(
        _ backend: B.Type, info: CryptoBackendInfo, prepared: PreparedNode, reauthorize: Bool, logger: Logger
    ) throws {
        let device = WireGuardDevice<B>(privateKey: SecureRandom.privateKey(), random: SystemRandomNumberGenerator())
        let node = ClientNode<B, AuthorizationTable>(device: device, reauthorizeOnProhibited: reauthorize)
        let join = ControlMessage.join(JoinPayload(publicKey: device.publicKey!))
        logger.info("feature flag", metadata: [
            "flag": "\(FeatureFlag.icmpErrorUnreachableProhibitedCreateNewFlow.rawValue)", "enabled": "\(reauthorize)"])
        try run(nodes: [node], role: NodeRole<ClientNode<B, AuthorizationTable>>.client(), join: join, info: info,
                prepared: prepared, port: nil, logger: logger) { _ in {} }
    }

    /// Opens the TUN device and sockets, sets up the host, runs until stopped, and undoes the host changes.
    static func run<Node: ControlledNode>(
        nodes: [Node], role: NodeRole<Node>, join: ControlMessage, info: CryptoBackendInfo, prepared: PreparedNode,
        port: UInt16?, logger: Logger, hostSetup: (String) throws -> () -> Void
    ) throws {
        switch prepared.options.io {
        case .epoll:
            try run(nodes: nodes, on: EpollInterface.self, makeLoop: { try EpollEventLoop(io: $0, handler: $1) },
                    role: role, join: join, info: info, prepared: prepared, port: port, logger: logger,
                    hostSetup: hostSetup)
        case .ioUring:
            #if IOUring
            try run(nodes: nodes, on: IOUringInterface.self, makeLoop: { try IOUringEventLoop(io: $0, handler: $1) },
                    role: role, join: join, info: info, prepared: prepared, port: port, logger: logger,
                    hostSetup: hostSetup)
            #else
            throw FZCtlError.unavailableBackend(kind: "I/O", name: "io-uring", reason: ioUringNotInBuild)
            #endif
        }
    }

    /// The node on one concrete packet I/O backend, one node per worker (sockets on one port with
    /// `SO_REUSEPORT` and the receiver-index steering program, one queue each of a multi-queue TUN).
    static func run<Node: ControlledNode, Backend: InterfaceBackend, Loop: PacketEventLoop>(
        nodes: [Node], on backend: Backend.Type,
        makeLoop: (Backend.IO, WireGuardTunnel<Node, Backend.IO>) throws -> Loop,
        role: NodeRole<Node>, join: ControlMessage, info: CryptoBackendInfo,
        prepared: PreparedNode, port: UInt16?, logger: Logger, hostSetup: (String) throws -> () -> Void
    ) throws where Loop.Handler == WireGuardTunnel<Node, Backend.IO> {
        let workers = nodes.count
        var ios: [Backend.IO] = []
        var bindPort = port
        for worker in 0..<workers {
            let opened: (io: Backend.IO, ipv6Unavailable: Backend.Failure?)
            do {
                opened = try Backend.openInterface(name: prepared.interface, port: bindPort, mtu: mtu,
                                                   offloads: prepared.options.offloads, shared: workers > 1)
            } catch {
                let share = workers > 1 ? " for worker \(worker) of \(workers) (its own UDP socket on the port, one "
                    + "queue of a multi-queue TUN device)" : ""
                throw FZCtlError.invalidInput("cannot open the interface \(prepared.interface)\(share): \(error)")
            }
            if ios.isEmpty, let reason = opened.ipv6Unavailable {
                logger.warning("IPv6 is unavailable; listening on IPv4 only", metadata: ["error": "\(reason)"])
            }
            // The other workers bind the port the first one got (an ephemeral one when none was asked).
            bindPort = Backend.listenPort(of: opened.io)
            ios.append(opened.io)
        }
        let steering = workers > 1 ? UpCommand.attachSteering(Backend.udpFileDescriptors(of: ios[0]),
                                                              workers: workers, logger: logger) : "none"
        let interface = TunnelInterface(name: prepared.interface)
        do {
            try interface.bringUp(mtu: mtu)
        } catch {
            throw FZCtlError.invalidInput("cannot configure \(prepared.interface): \(error)")
        }
        let undoHost = try hostSetup(prepared.interface)
        defer { undoHost() }
        let listenPort = Backend.listenPort(of: ios[0])
        let notifier = prepared.options.notifier
        let status = "\(role.name) \(prepared.interface) up, tunnel addresses assigned by the portal"
        let daemon = NodeDaemon(role: role, nodes: nodes, ios: ios, listenPort: listenPort, interface: interface,
                                join: join, logger: logger) { notifier.tell(.ready(status: status), logger: logger) }
        defer { daemon.cleanUp() }
        logger.info("\(role.name) up", metadata: [
            "interface": "\(prepared.interface)",
            "listen_port": .stringConvertible(Int(listenPort)),
            "public_key": "\(nodes[0].device.publicKey?.raw.base64 ?? "")", "portal": "\(prepared.portal)",
            "crypto": "\(info.name)", "crypto_implementation": "\(info.implementation)", "io": "\(Backend.name)",
            "offloads": "\(ios[0].offloads)", "threads": .stringConvertible(workers), "steering": "\(steering)",
        ])
        let refusal: String?
        do {
            refusal = try daemon.run(
                portal: prepared.portal, token: prepared.token, uapiName: prepared.interface,
                metrics: prepared.options.metrics, makeLoop: makeLoop,
                installStop: { SignalWatcher.stopOnTermination($0) })
        } catch {
            throw FZCtlError.invalidInput("\(role.name) stopped: \(error)")
        }
        notifier.tell(.stopping(status: "\(role.name) \(prepared.interface) stopping"), logger: logger)
        if let refusal { throw FZCtlError.invalidInput(refusal) }
        logger.info("\(role.name) down", metadata: ["interface": "\(prepared.interface)"])
    }
}
