import DataPlane

/// Code that runs for one crypto backend, called with the backend's concrete type.
///
/// `CryptoBackendInfo.backend` is an existential metatype: passing it to a generic function opens it at
/// run time, and everything below that call runs as unspecialized generic code (witness-table calls,
/// run-time metadata, no inlining of the cipher into the engine). ``CryptoBackendInfo/dispatch(_:)`` calls a
/// visitor with `SodiumBackend.self` or `SwiftCryptoBackend<AVX2KernelSet>.self` spelled out, so the
/// caller's module compiles a specialized copy of the whole packet path for every backend.
public protocol CryptoBackendVisitor {
    associatedtype Result

    /// Runs with `backend` as a concrete type.
    func visit<B: CryptoBackend>(_ backend: B.Type) throws -> Result
}

extension CryptoBackendInfo {
    /// Calls `visitor` with this entry's backend as a concrete type: one `switch` at startup over every
    /// backend ``CryptoRegistry/all`` lists.
    ///
    /// Inlinable, so the visitor is specialized in the caller's module. A backend added to the registry but
    /// not here throws ``CryptoSelectionError/unavailable(_:reason:)`` rather than silently running
    /// unspecialized; `scripts/check-specialization` lists the backends it expects in the binary.
    @inlinable
    public func dispatch<V: CryptoBackendVisitor>(_ visitor: V) throws -> V.Result {
        switch backend {
        #if Sodium
        case is SodiumBackend.Type:
            return try visitor.visit(SodiumBackend.self)
        #endif
        #if OpenSSL
        case is OpenSSLBackend.Type:
            return try visitor.visit(OpenSSLBackend.self)
        #endif
        case is SwiftCryptoBackend<AVX512KernelSet>.Type:
            return try visitor.visit(SwiftCryptoBackend<AVX512KernelSet>.self)
        case is SwiftCryptoBackend<AVX2KernelSet>.Type:
            return try visitor.visit(SwiftCryptoBackend<AVX2KernelSet>.self)
        case is SwiftCryptoBackend<PortableKernelSet>.Type:
            return try visitor.visit(SwiftCryptoBackend<PortableKernelSet>.self)
        default:
            throw CryptoSelectionError.unavailable(
                name, reason: "this build has no specialized packet path for \(backend); add it to dispatch(_:)")
        }
    }
}
