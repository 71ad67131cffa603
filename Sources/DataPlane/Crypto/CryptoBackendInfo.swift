/// Whether a backend can run on this host, and if not, why.
public enum BackendAvailability: Sendable, Equatable {
    case available
    case unavailable(reason: String)

    public var isAvailable: Bool {
        if case .available = self { return true }
        return false
    }
}

/// A registry entry: how operators name a crypto backend, whether it runs here, and the backend itself.
///
/// `backend` is the factory: handing it to a generic function opens the existential once, and all
/// per-packet code below that call is specialized for the concrete backend.
public struct CryptoBackendInfo: Sendable {
    public let name: String
    /// What runs underneath, e.g. "libsodium 1.0.18" or "pure Swift, AVX2 kernels".
    public let implementation: String
    public let availability: BackendAvailability
    public let backend: any CryptoBackend.Type

    public init(name: String, implementation: String, availability: BackendAvailability,
                backend: any CryptoBackend.Type) {
        self.name = name
        self.implementation = implementation
        self.availability = availability
        self.backend = backend
    }
}
