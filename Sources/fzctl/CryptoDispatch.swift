import Crypto
import DataPlane
import Logging
import WireGuardConfig

/// Code that runs for one crypto backend, called with the backend's concrete type.
///
/// `CryptoBackendInfo.backend` is an existential metatype: passing it to a generic function opens it at
/// run time, and everything below runs as unspecialized generic code (witness-table calls, boxed
/// associated types, no inlining of the cipher into the engine). A visitor is called by ``dispatch(_:)``
/// with `SodiumBackend.self` or `SwiftCryptoBackend<AVX2KernelSet>.self` spelled out, so the compiler
/// emits a specialized copy of the whole packet path for every backend this build carries.
protocol CryptoBackendVisitor {
    associatedtype Result

    /// Runs with `backend` as a concrete type.
    func visit<B: CryptoBackend>(_ backend: B.Type) throws -> Result
}

extension CryptoBackendInfo {
    /// Calls `visitor` with this entry's backend as a concrete type: one `switch` at startup picks among
    /// every backend `CryptoRegistry.all` lists.
    ///
    /// A backend added to the registry but not here fails with exit status 3 and says so, rather than silently
    /// running unspecialized; `scripts/check-specialization` lists the backends it expects in the binary.
    func dispatch<V: CryptoBackendVisitor>(_ visitor: V) throws -> V.Result {
        switch backend {
        case is SodiumBackend.Type:
            return try visitor.visit(SodiumBackend.self)
        case is SwiftCryptoBackend<AVX512KernelSet>.Type:
            return try visitor.visit(SwiftCryptoBackend<AVX512KernelSet>.self)
        case is SwiftCryptoBackend<AVX2KernelSet>.Type:
            return try visitor.visit(SwiftCryptoBackend<AVX2KernelSet>.self)
        case is SwiftCryptoBackend<PortableKernelSet>.Type:
            return try visitor.visit(SwiftCryptoBackend<PortableKernelSet>.self)
        default:
            throw FZCtlError.unavailableBackend(
                kind: "crypto", name: name,
                reason: "this build has no specialized packet path for \(backend); add it to CryptoDispatch")
        }
    }
}

extension UpCommand {
    /// `runInterface` with the concrete backend of `info`.
    func runInterface(
        dispatching info: CryptoBackendInfo, file: WireGuardConfigFile, peers: [WireGuardPeerConfiguration],
        name: String, testTimers: TestTimerScale?, logger: Logger
    ) throws {
        try info.dispatch(Interface(command: self, info: info, file: file, peers: peers, name: name,
                                    testTimers: testTimers, logger: logger))
    }

    private struct Interface: CryptoBackendVisitor {
        let command: UpCommand
        let info: CryptoBackendInfo
        let file: WireGuardConfigFile
        let peers: [WireGuardPeerConfiguration]
        let name: String
        let testTimers: TestTimerScale?
        let logger: Logger

        func visit<B: CryptoBackend>(_ backend: B.Type) throws {
            try command.runInterface(backend, info: info, file: file, peers: peers, name: name,
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
