#if Sodium
import CFZSodium

/// libsodium's one-time initialization.
///
/// Without `sodium_init()` libsodium silently runs its portable reference code (2.5-3.6x slower here),
/// so every sodium entry point goes through `Sodium.ready` first.
enum Sodium {
    /// True once `sodium_init()` has succeeded; Swift runs this initializer exactly once, thread-safely.
    static let ready: Bool = sodium_init() >= 0

    static var version: String { String(cString: sodium_version_string()) }

    /// What libsodium chose for this CPU at `sodium_init()`.
    static var implementation: String {
        guard ready else { return "libsodium \(version)" }
        let chacha = sodium_runtime_has_avx2() != 0 ? "AVX2" : (sodium_runtime_has_ssse3() != 0 ? "SSSE3" : "reference")
        return "libsodium \(version) (\(chacha) ChaCha20)"
    }
}
#endif  // Sodium
