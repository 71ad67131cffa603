import DataPlane

/// Why a `--crypto` choice cannot be honoured.
public enum CryptoSelectionError: Error, Equatable, CustomStringConvertible {
    case unknownName(String, valid: [String])
    case unavailable(String, reason: String)
    /// A backend this build left out (its package trait was not enabled).
    case notInBuild(String, trait: String)

    public var description: String {
        switch self {
        case .unknownName(let name, let valid):
            return "unknown crypto backend '\(name)'; valid names: \(valid.joined(separator: ", "))"
        case .unavailable(let name, let reason):
            return "crypto backend '\(name)' is not available on this host: \(reason)"
        case .notInBuild(let name, let trait):
            return "crypto backend '\(name)' is not in this build (built without the \(trait) trait; rebuild with "
                + "--traits \(trait) or the default traits)"
        }
    }
}

/// Every crypto backend this build carries, and how `--crypto NAME` resolves.
///
/// `swift` is the pure-Swift backend with the widest kernel variant this CPU runs; `swift-portable`,
/// `swift-avx2` and `swift-avx512` pin a variant (for comparison and for tests).
public enum CryptoRegistry {
    /// All pinnable variants of the pure-Swift backend, widest first.
    static let swiftVariants: [CryptoBackendInfo] = [
        variant(AVX512KernelSet.self), variant(AVX2KernelSet.self), variant(PortableKernelSet.self),
    ]

    static func variant<K: ChaChaPolyKernelSet>(_ kernels: K.Type) -> CryptoBackendInfo {
        CryptoBackendInfo(
            name: "swift-\(K.variant)",
            implementation: "pure Swift, \(K.variant) kernels",
            availability: K.availability,
            backend: SwiftCryptoBackend<K>.self
        )
    }

    /// The pure-Swift backend with the best variant this host runs.
    static var bestSwift: CryptoBackendInfo {
        let best = swiftVariants.first { $0.availability.isAvailable } ?? swiftVariants[swiftVariants.count - 1]
        return CryptoBackendInfo(name: "swift", implementation: best.implementation,
                                 availability: best.availability, backend: best.backend)
    }

    #if Sodium
    static var sodium: CryptoBackendInfo {
        CryptoBackendInfo(
            name: "sodium",
            implementation: Sodium.implementation,
            availability: Sodium.ready ? .available : .unavailable(reason: "sodium_init() failed"),
            backend: SodiumBackend.self
        )
    }
    #endif

    #if OpenSSL
    static var openssl: CryptoBackendInfo {
        CryptoBackendInfo(
            name: "openssl",
            implementation: OpenSSL.implementation,
            availability: OpenSSL.unavailableReason.map { BackendAvailability.unavailable(reason: $0) } ?? .available,
            backend: OpenSSLBackend.self
        )
    }
    #endif

    /// The backends of this build that a package trait can leave out, by name, with that trait.
    public static let traitBackends: [(name: String, trait: String)] = [("sodium", "Sodium"), ("openssl", "OpenSSL")]

    /// The library backends this build carries (each behind its package trait).
    static var libraryBackends: [CryptoBackendInfo] {
        var backends: [CryptoBackendInfo] = []
        #if Sodium
        backends.append(sodium)
        #endif
        #if OpenSSL
        backends.append(openssl)
        #endif
        return backends
    }

    /// Every entry, in the order `fzctl backends` lists them.
    public static var all: [CryptoBackendInfo] {
        libraryBackends + [bestSwift] + swiftVariants
    }

    /// What `--crypto` accepts.
    public static var validNames: [String] {
        ["auto", "all"] + all.map(\.name)
    }

    /// The entry for `name` (not `auto`/`all`), checked for availability.
    public static func resolve(_ name: String) throws(CryptoSelectionError) -> CryptoBackendInfo {
        guard let info = all.first(where: { $0.name == name }) else {
            if let left = traitBackends.first(where: { $0.name == name }) { throw .notInBuild(name, trait: left.trait) }
            throw .unknownName(name, valid: validNames)
        }
        if case .unavailable(let reason) = info.availability {
            throw .unavailable(name, reason: reason)
        }
        return info
    }

    /// The backends `auto` chooses among: the available primary backends (the best Swift variant stands
    /// for the pure-Swift backend).
    ///
    /// Not `openssl`: the 3 ms start-up calibration times the AVX-512 Swift kernels at about 1500-1900 ns per
    /// 1420-byte seal on this host, against about 1050 ns in `fzctl bench crypto`'s longer rounds, and
    /// libcrypto at about 1450-1650 ns in both; with openssl as a candidate, `auto` picked it in 10 runs out of
    /// 10 where `swift` is about 1.55x faster. It can join once the calibration measures steady-state speed.
    public static var autoCandidates: [CryptoBackendInfo] {
        var candidates = [bestSwift]
        #if Sodium
        candidates.insert(sodium, at: 0)
        #endif
        return candidates.filter { $0.availability.isAvailable }
    }

    /// The backends `--crypto all` runs: every available entry, except pinned variants that duplicate `swift`.
    public static var benchmarkSet: [CryptoBackendInfo] {
        let swiftImplementation = bestSwift.implementation
        return all.filter { info in
            info.availability.isAvailable
                && !(info.name.hasPrefix("swift-") && info.implementation == swiftImplementation)
        }
    }
}
