import ArgumentParser
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
import PacketLoopSupport
import Tunnel
import WireGuardConfig

/// `fzctl up CONFIG`: runs a WireGuard interface from a wg-quick style file until SIGINT or SIGTERM.
struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run a WireGuard interface from a wg-quick style config file (needs root).",
        discussion: """
            Creates the TUN device, sets its addresses, MTU and routes for the peers' AllowedIPs, serves \
            the WireGuard userspace API on /var/run/wireguard/NAME.sock (so `wg show`, `wg showconf` and \
            `wg set` work) and runs until SIGINT or SIGTERM. Default routes (0.0.0.0/0, ::/0) are not \
            installed: they would carry the tunnel's own datagrams.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The config file ([Interface] and [Peer] sections, as wg-quick reads them).")
    var config: String

    @Option(help: "Interface name (default: the config file's name without .conf).")
    var interface: String?

    @Option(help: "Crypto backend: auto, sodium, swift, swift-avx2, ...")
    var crypto: String = "auto"

    @Option(help: "Packet I/O backend: auto, epoll or io-uring.")
    var io: String = "auto"

    @OptionGroup var offloadOptions: OffloadOptions

    @Option(help: "Data-path workers, each with its own sockets, TUN queue and peers (1...255; default: one per core).")
    var threads: String?

    @Option(name: .customLong("metrics-listen"),
            help: "Serve Prometheus metrics at http://HOST:PORT/metrics (IPv6: [::1]:9586); off by default.")
    var metricsListen: String?

    func run() throws {
        let context = try Runtime(global)
        let workerCount = try WorkerCount.resolve(threads)
        let file = try loadConfig()
        for warning in file.warnings {
            context.logger.warning("config: \(warning)")
        }
        let name = try interfaceName()
        let testTimers = try TestTimerScale.fromEnvironment(Runtime.environment())
        try IOSelection.validate(io)
        let offloads = try offloadOptions.resolve()
        let metrics = try metricsListen.map { text in
            do { return try MetricsListenAddress(parsing: text) } catch { throw FZCtlError.invalidInput("\(error)") }
        }
        // Everything that can be checked without side effects is, before the root check and before `auto`
        // logs its calibration: a mistake in the input is the one line on stderr, whoever runs it.
        let named = crypto == "auto" ? nil : try CryptoSelection.resolve(crypto)
        let notifier = try ServiceNotifier.fromRuntime()
        try rejectOwnPublicKey(file)
        let peers = try file.peers.map { try peerConfiguration($0) }
        guard geteuid() == 0 else {
            throw FZCtlError.invalidInput("fzctl up needs root (CAP_NET_ADMIN) to create the TUN device \(name)")
        }
        let info = try named ?? CryptoSelection.resolve(crypto, logger: context.logger)
        let ioKind = try IOSelection.resolve(io, logger: context.logger)
        if let testTimers {
            context.logger.warning("TEST ONLY: protocol timers shortened; never set this outside tests", metadata: [
                "variable": "\(TestTimerScale.variable)",
                "rekey_after_seconds": .stringConvertible(testTimers.rekeyAfterSeconds)])
        }
        let options = InterfaceOptions(io: ioKind, offloads: offloads, metrics: metrics, threads: workerCount,
                                       notifier: notifier)
        try runInterface(dispatching: info, file: file, peers: peers, name: name, options: options,
                         testTimers: testTimers, logger: context.logger)
    }

    func loadConfig() throws -> WireGuardConfigFile {
        let bytes = try ConfigFileReading.read(config)
        do {
            return try WireGuardConfigFile.parse(bytes: bytes, fileName: config)
        } catch {
            throw FZCtlError.invalidInput("\(error)")
        }
    }

    /// A peer with the interface's own key would be a tunnel to ourselves; the engine refuses it, so say
    /// where it is before anything is set up.
    func rejectOwnPublicKey(_ file: WireGuardConfigFile) throws {
        // The portable Swift X25519 runs on every host and needs no calibration.
        let own = SwiftCryptoBackend<PortableKernelSet>.publicKey(for: file.interface.privateKey)
        if let peer = file.peers.first(where: { $0.publicKey == own }) {
            throw FZCtlError.invalidInput("\(config):\(peer.publicKeyLine): PublicKey: this is the interface's own "
                + "public key (from its PrivateKey); a [Peer] takes the other side's public key")
        }
    }

    func interfaceName() throws -> String {
        let base = URL(fileURLWithPath: config).lastPathComponent
        return try InterfaceName.validate(interface ?? (base.hasSuffix(".conf") ? String(base.dropLast(5)) : base))
    }

    func peerConfiguration(_ section: PeerSection) throws -> WireGuardPeerConfiguration {
        var peer = WireGuardPeerConfiguration(publicKey: section.publicKey)
        if let psk = section.presharedKey { peer.presharedKey = psk }
        peer.allowedIPs = section.allowedIPs
        if let keepalive = section.persistentKeepalive, keepalive > 0 {
            peer.persistentKeepalive = .seconds(Int(keepalive))
        }
        if let endpoint = section.endpoint {
            peer.endpoint = try resolve(endpoint, line: section.endpointLine)
        }
        return peer
    }

    /// Turns a config endpoint into an address, resolving a host name once at startup as wg does.
    func resolve(_ endpoint: ConfigEndpoint, line: Int) throws -> Endpoint {
        switch endpoint.host {
        case .address(let address):
            return Endpoint(address: address, port: endpoint.port)
        case .name(let host):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            guard status == 0, let first = result else {
                throw FZCtlError.invalidInput(
                    "\(config):\(line): Endpoint: cannot resolve '\(host)': \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(result) }
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            var v6: Endpoint?
            while let info = cursor {
                if info.pointee.ai_family == AF_INET, let raw = info.pointee.ai_addr {
                    let v4 = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    let bytes = withUnsafeBytes(of: v4) { Array($0) }
                    return Endpoint(address: .v4(IPv4Address(bytes[0], bytes[1], bytes[2], bytes[3])),
                                    port: endpoint.port)
                }
                if info.pointee.ai_family == AF_INET6, v6 == nil, let raw = info.pointee.ai_addr {
                    var address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    v6 = withUnsafeBytes(of: &address) { bytes in
                        Endpoint(address: .v6(IPv6Address(loadingFrom: bytes.baseAddress!)), port: endpoint.port)
                    }
                }
                cursor = info.pointee.ai_next
            }
            // IPv4 first, as wg does; an IPv6-only name is fine too.
            if let v6 { return v6 }
            throw FZCtlError.invalidInput("\(config):\(line): Endpoint: '\(host)' has no IPv4 or IPv6 address")
        }
    }

    /// Opens the TUN device and the UDP sockets of `Backend`; buffers fit the MTU (or offloaded trains).
    func openIO<Backend: InterfaceBackend>(
        _ backend: Backend.Type, name: String, port: UInt16?, mtu: Int, offloads: PacketOffloads, shared: Bool,
        logger: Logger
    ) throws -> Backend.IO {
        do {
            let opened = try Backend.openInterface(name: name, port: port, mtu: mtu, offloads: offloads,
                                                   shared: shared)
            if let reason = opened.ipv6Unavailable {
                logger.warning("IPv6 is unavailable; listening on IPv4 only", metadata: ["error": "\(reason)"])
            }
            return opened.io
        } catch {
            throw FZCtlError.invalidInput("cannot open the interface \(name): \(error)")
        }
    }

    /// Everything from here on is specialized for one crypto backend.
    func runInterface<B: CryptoBackend>(
        _ backend: B.Type, info: CryptoBackendInfo, file: WireGuardConfigFile,
        peers: [WireGuardPeerConfiguration], name: String, options: InterfaceOptions,
        testTimers: TestTimerScale? = nil, logger: Logger
    ) throws {
        switch options.io {
        case .epoll:
            try runInterface(B.self, on: EpollInterface.self, makeLoop: { try EpollEventLoop(io: $0, handler: $1) },
                             info: info, file: file, peers: peers, name: name, options: options,
                             testTimers: testTimers, logger: logger)
        case .ioUring:
            #if IOUring
            try runInterface(B.self, on: IOUringInterface.self,
                             makeLoop: { try IOUringEventLoop(io: $0, handler: $1) },
                             info: info, file: file, peers: peers, name: name, options: options,
                             testTimers: testTimers, logger: logger)
            #else
            throw FZCtlError.unavailableBackend(kind: "I/O", name: "io-uring", reason: ioUringNotInBuild)
            #endif
        }
    }

    /// Everything from here on is specialized for one crypto backend and one packet I/O backend.
    ///
    /// With several workers each has its own sockets (one port, `SO_REUSEPORT`), TUN queue, device and loop;
    /// worker 0 runs on this thread, the others on threads of their own, and the first to stop stops them all.
    func runInterface<B: CryptoBackend, Backend: InterfaceBackend, Loop: PacketEventLoop>(
        _ crypto: B.Type, on backend: Backend.Type,
        makeLoop: (Backend.IO, WireGuardTunnel<WireGuardDevice<B>, Backend.IO>) throws -> Loop,
        info: CryptoBackendInfo, file: WireGuardConfigFile,
        peers: [WireGuardPeerConfiguration], name: String, options: InterfaceOptions,
        testTimers: TestTimerScale?, logger: Logger
    ) throws where Loop.Handler == WireGuardTunnel<WireGuardDevice<B>, Backend.IO> {
        typealias Tunnel = WireGuardTunnel<WireGuardDevice<B>, Backend.IO>
        let workers = options.threads
        // The UAPI socket first: if another process serves this interface name (perhaps in another network
        // namespace), stop before creating anything. It accepts connections once the loops can answer them.
        let wakes = (0..<workers).map { _ in LockedBox<(any LoopSignal)?>(nil) }
        let control = InterfaceControl(mailboxes: wakes.map { wake in
            ControlMailbox<InterfaceRequest, InterfaceAnswer>(closedAnswer: .uapi(UAPIServer.closedAnswer)) {
                wake.value?.signal()
            }
        })
        let server: UAPIServer
        do {
            server = try UAPIServer(interface: name) { control.answerUAPI($0) }
        } catch {
            throw FZCtlError.invalidInput("cannot serve the WireGuard UAPI: \(error)")
        }
        defer {
            control.close()
            server.stop()
        }
        let offloads = options.offloads

        let mtu = file.interface.mtu ?? 1420
        var ios = [try openIO(Backend.self, name: name, port: file.interface.listenPort, mtu: mtu,
                              offloads: offloads, shared: workers > 1, logger: logger)]
        let boundPort = Backend.listenPort(of: ios[0])
        for _ in 1..<max(workers, 1) {
            ios.append(try openIO(Backend.self, name: name, port: boundPort, mtu: mtu, offloads: offloads,
                                  shared: true, logger: logger))
        }
        let steering = workers > 1 ? Self.attachSteering(Backend.udpFileDescriptors(of: ios[0]), workers: workers,
                                                         logger: logger) : "none"
        var protocolConfiguration = WireGuardConfiguration()
        // Padding stops at the MTU, as the paper and the kernel do: a full-size packet must not grow past it.
        protocolConfiguration.mtu = mtu
        testTimers?.apply(to: &protocolConfiguration)
        let exchange = workers > 1 ? WorkerExchange(workers: workers) : nil
        let shards = WorkerCount.shards(workers)
        var tunnels: [Tunnel] = []
        for worker in 0..<workers {
            let device = WireGuardDevice<B>(
                privateKey: file.interface.privateKey, configuration: protocolConfiguration,
                random: SystemRandomNumberGenerator(), shard: shards[worker])
            for (peer, section) in zip(peers, file.peers) {
                do {
                    try device.addPeer(peer)
                } catch {
                    throw FZCtlError.invalidInput("\(config):\(section.publicKeyLine): PublicKey: \(error)")
                }
            }
            tunnels.append(Tunnel(
                node: device, pool: ios[worker].pool, batchSize: 64, mailbox: control.mailboxes[worker],
                handler: { tunnel, request, time in tunnel.answer(request, now: time, listenPort: boundPort) },
                exchange: exchange))
        }
        var loops: [Loop] = []
        for worker in 0..<workers {
            let loop = try Self.startingLoop { try makeLoop(ios[worker], tunnels[worker]) }
            let wake = loop.wakeHandle
            wakes[worker].value = wake
            exchange?.setWake(worker: worker) { wake.signal() }
            loops.append(loop)
        }
        let mainStop = loops[0].stopHandle
        // Before any other thread exists, so SIGINT/SIGTERM reach only the watcher.
        SignalWatcher.stopOnTermination(mainStop)
        var threads: [WorkerLoopThread] = []
        defer {
            for (offset, thread) in threads.enumerated() {
                if let failure = thread.stopAndJoin() {
                    logger.error("worker stopped", metadata: ["worker": "\(offset + 1)", "error": "\(failure)"])
                }
            }
        }
        for worker in 1..<max(workers, 1) {
            do {
                threads.append(try WorkerLoopThread.start(loops[worker], index: worker) { mainStop.signal() })
            } catch {
                throw FZCtlError.invalidInput("cannot start worker \(worker): \(error)")
            }
        }
        let mainLoop = loops[0]
        loops.removeAll()
        try InterfaceSetup.apply(name: name, file: file, logger: logger)

        do {
            try server.start()
        } catch {
            throw FZCtlError.invalidInput("cannot serve the WireGuard UAPI: \(error)")
        }
        let metricsServer = try options.metrics.map { try Self.serveMetrics(at: $0, control: control, logger: logger) }
        defer { metricsServer?.stop() }
        // Runs before the line above: a scrape waiting on a stopped loop gets the closed answer, so stopping the
        // metrics server does not wait for it forever.
        defer { control.close() }

        logger.info("interface up", metadata: [
            "interface": "\(name)", "listen_port": .stringConvertible(Int(boundPort)),
            "public_key": "\(tunnels[0].device.publicKey?.raw.base64 ?? "")", "peers": .stringConvertible(peers.count),
            "crypto": "\(info.name)", "crypto_implementation": "\(info.implementation)", "io": "\(Backend.name)",
            "offloads": "\(ios[0].offloads)", "uapi": "\(server.path)", "threads": .stringConvertible(workers),
            "steering": "\(steering)",
        ])
        options.notifier.tell(.ready(status: "interface \(name) up"), logger: logger)
        do {
            try mainLoop.run()
        } catch {
            throw FZCtlError.invalidInput("event loop failed: \(error)")
        }
        options.notifier.tell(.stopping(status: "interface \(name) stopping"), logger: logger)
        // Every worker stops with the first; their tunnels are read only once their threads have ended.
        for thread in threads {
            if let failure = thread.stopAndJoin() {
                throw FZCtlError.invalidInput("interface \(name) stopped: a worker failed: \(failure)")
            }
        }
        threads.removeAll()
        if let failure = tunnels.lazy.compactMap(\.failure).first {
            throw FZCtlError.invalidInput("interface \(name) stopped: \(failure)")
        }
        var total = TunnelCounters()
        for tunnel in tunnels {
            total.datagramsReceived &+= tunnel.counters.datagramsReceived
            total.datagramsSent &+= tunnel.counters.datagramsSent
            total.dropped &+= tunnel.counters.dropped
        }
        logger.info("interface down", metadata: [
            "interface": "\(name)",
            "datagrams_received": .stringConvertible(total.datagramsReceived),
            "datagrams_sent": .stringConvertible(total.datagramsSent),
            "dropped": .stringConvertible(total.dropped),
        ])
    }

    /// Attaches the receiver-index steering program to the workers' port; says what steers datagrams.
    static func attachSteering(_ sockets: [Int32], workers: Int, logger: Logger) -> String {
        do {
            for fd in sockets { try WorkerSteering.attach(to: fd, workers: workers) }
            return "receiver-index"
        } catch {
            // Still correct, only slower: a datagram at the wrong worker is handed to the right one.
            logger.warning("no steering program; datagrams at the wrong worker are handed on",
                           metadata: ["error": "\(error)"])
            return "kernel-hash"
        }
    }
}

extension ParsableCommand {
    /// Runs `body`, which makes an event loop, and turns its failure into one line for the user.
    static func startingLoop<Loop>(_ body: () throws -> Loop) throws -> Loop {
        do {
            return try body()
        } catch {
            throw FZCtlError.invalidInput("cannot start the event loop: \(error)")
        }
    }
}

/// The packet I/O choices of an interface: the backend and the offloads asked for.
struct InterfaceOptions {
    var io: IOBackendKind
    var offloads: PacketOffloads
    /// Where to serve Prometheus metrics; nil: not at all.
    var metrics: MetricsListenAddress? = nil
    /// Data-path workers (`--threads`).
    var threads = 1
    /// The service manager to tell when the interface is up and when it stops (`NOTIFY_SOCKET`).
    var notifier = ServiceNotifier.disabled
}

extension ServiceNotifier {
    /// From fzctl's environment; a `NOTIFY_SOCKET` that names no socket is an input error.
    static func fromRuntime() throws -> ServiceNotifier {
        do {
            return try ServiceNotifier(environment: Runtime.environment())
        } catch {
            throw FZCtlError.invalidInput("\(error)")
        }
    }

    /// Tells the service manager `state`; a manager that cannot be reached is worth a warning, not a stop.
    func tell(_ state: ServiceState, logger: Logger) {
        do {
            try notify(state)
        } catch {
            logger.warning("service manager not notified", metadata: ["error": "\(error)"])
        }
    }
}

extension UpCommand {
    /// Serves `/metrics` from snapshots the loop takes when asked through `mailbox`.
    static func serveMetrics(
        at address: MetricsListenAddress, control: InterfaceControl<InterfaceRequest>, logger: Logger
    ) throws -> MetricsHTTPServer {
        let exporter = TunnelMetricsExporter()
        let server: MetricsHTTPServer
        do {
            server = try MetricsHTTPServer(address: address) { peers in
                guard let snapshots = control.metrics(peerLimit: peers) else { return nil }
                return exporter.render(snapshots, peerLimit: peers)
            }
        } catch {
            throw FZCtlError.invalidInput("\(error)")
        }
        logger.info("metrics served", metadata: ["metrics_listen": "\(server.boundAddress)",
                                                 "url": "http://\(server.boundAddress)/metrics"])
        return server
    }
}

/// Addresses, MTU, link state and routes of the TUN device, as wg-quick sets them, over rtnetlink.
enum InterfaceSetup {
    static func apply(name: String, file: WireGuardConfigFile, logger: Logger) throws {
        let mtu = file.interface.mtu ?? 1420
        let link: InterfaceNetlink
        do {
            link = try InterfaceNetlink(interface: name)
            try link.setLink(mtu: mtu, up: false)
            for address in file.interface.addresses {
                try link.replaceAddress(address.address, prefixLength: address.prefixLength)
            }
            try link.setLink(mtu: nil, up: true)
        } catch {
            throw FZCtlError.invalidInput("cannot configure \(name): \(error)")
        }
        let connected = file.interface.addresses.map(\.network)
        var routes: [IPNetwork] = []
        var seen = Set<IPNetwork>()
        for peer in file.peers {
            for network in peer.allowedIPs {
                if network.prefixLength == 0 {
                    logger.warning("not installing a default route through the tunnel", metadata: [
                        "allowed_ip": "\(network)"])
                    continue
                }
                // A prefix inside an interface address's subnet is already reachable through the connected route.
                if connected.contains(where: {
                    $0.prefixLength <= network.prefixLength && $0.contains(network.address)
                }) {
                    continue
                }
                if seen.insert(network).inserted { routes.append(network) }
            }
        }
        for (network, reason) in link.replaceRoutes(routes) {
            logger.warning("cannot add route", metadata: ["route": "\(network)", "error": "\(reason)"])
        }
    }
}

/// SIGINT and SIGTERM stop the event loop; the main thread then cleans up and exits 0.
enum SignalWatcher {
    static func stopOnTermination(_ stop: any LoopSignal) {
        // Blocked in this thread and every thread started later, so only `sigwait` below sees them. The
        // `ip` subprocesses inherit the mask too; they are short-lived and never need these signals.
        // A signal ignored at startup (SIG_IGN is inherited, e.g. by background jobs) is discarded even
        // while blocked, and sigwait would never see it: restore the default disposition first.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let watched = signals
        let thread = Thread {
            var set = watched
            var received: Int32 = 0
            sigwait(&set, &received)
            stop.signal()
            // A second signal means the operator does not want to wait for a clean stop.
            sigwait(&set, &received)
            _exit(128 + received)
        }
        thread.start()
    }
}
