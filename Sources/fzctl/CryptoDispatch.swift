import Crypto
import DataPlane
import Logging
import WireGuardConfig

// `CryptoBackendInfo.dispatch(_:)` (in `Crypto`) calls a `CryptoBackendVisitor` with the backend's concrete
// type; these visitors run the interface and the node daemons specialized for it.

extension UpCommand {
    /// `runInterface` with the concrete backend of `info`.
    func runInterface(
        dispatching info: CryptoBackendInfo, file: WireGuardConfigFile, peers: [WireGuardPeerConfiguration],
        name: String, options: InterfaceOptions, testTimers: TestTimerScale?, logger: Logger
    ) throws {
        try info.dispatch(Interface(command: self, info: info, file: file, peers: peers, name: name,
                                    options: options, testTimers: testTimers, logger: logger))
    }

    private struct Interface: CryptoBackendVisitor {
        let command: UpCommand
        let info: CryptoBackendInfo
        let file: WireGuardConfigFile
        let peers: [WireGuardPeerConfiguration]
        let name: String
        let options: InterfaceOptions
        let testTimers: TestTimerScale?
        let logger: Logger

        func visit<B: CryptoBackend>(_ backend: B.Type) throws {
            try command.runInterface(backend, info: info, file: file, peers: peers, name: name, options: options,
                                     testTimers: testTimers, logger: logger)
        }
    }
}

extension NodeLauncher {
    /// `runGateway` with the concrete backend of `info`.
    static func runGateway(
        dispatching info: CryptoBackendInfo, prepared: PreparedNode, endpoint: Endpoint, listenPort: UInt16,
        masquerade: Bool, logger: Logger
    ) throws {
        try info.dispatch(Gateway(info: info, prepared: prepared, endpoint: endpoint, listenPort: listenPort,
                                  masquerade: masquerade, logger: logger))
    }

    /// `runClient` with the concrete backend of `info`.
    static func runClient(
        dispatching info: CryptoBackendInfo, prepared: PreparedNode, reauthorize: Bool, logger: Logger
    ) throws {
        try info.dispatch(Client(info: info, prepared: prepared, reauthorize: reauthorize, logger: logger))
    }

    private struct Gateway: CryptoBackendVisitor {
        let info: CryptoBackendInfo
        let prepared: PreparedNode
        let endpoint: Endpoint
        let listenPort: UInt16
        let masquerade: Bool
        let logger: Logger

        func visit<B: CryptoBackend>(_ backend: B.Type) throws {
            try NodeLauncher.runGateway(backend, info: info, prepared: prepared, endpoint: endpoint,
                                        listenPort: listenPort, masquerade: masquerade, logger: logger)
        }
    }

    private struct Client: CryptoBackendVisitor {
        let info: CryptoBackendInfo
        let prepared: PreparedNode
        let reauthorize: Bool
        let logger: Logger

        func visit<B: CryptoBackend>(_ backend: B.Type) throws {
            try NodeLauncher.runClient(backend, info: info, prepared: prepared, reauthorize: reauthorize,
                                       logger: logger)
        }
    }
}
