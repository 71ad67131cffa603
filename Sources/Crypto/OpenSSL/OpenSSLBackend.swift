#if OpenSSL
import CFZOpenSSL
import DataPlane

/// libcrypto as loaded at run time: whether its ChaCha20-Poly1305 works here, and what it is.
enum OpenSSL {
    /// Why the backend cannot run here, or nil. The C side fetches the cipher once and checks it against the
    /// RFC 8439 section 2.8.2 tag, so "available" means the library really computes ChaCha20-Poly1305.
    static let unavailableReason: String? = cfz_openssl_unavailable_reason().map { String(cString: $0) }

    static var version: String { String(cString: cfz_openssl_version()) }

    /// What `fzctl backends` shows: which primitive comes from where.
    static var implementation: String {
        "OpenSSL \(version) AEAD (X25519, XChaCha20: Swift)"
    }
}

/// The OpenSSL backend: transport data through Debian's libcrypto (EVP ChaCha20-Poly1305), the rest in Swift.
///
/// libcrypto has no XChaCha20-Poly1305 (no HChaCha20), so cookie replies, the one place WireGuard uses it, go
/// through the pure-Swift portable kernels: a cookie is 16 bytes, so speed does not matter there. X25519 is
/// the pure-Swift one too: libcrypto's, through EVP_PKEY, allocates two keys (deriving a public key nobody
/// needs) and a context per agreement and measured 105 us against Swift's 42 us and libsodium's 48 us here
/// (`fzctl bench crypto`), so it would only make handshakes slower. The backend needs no library but libcrypto.
public enum OpenSSLBackend: CryptoBackend {
    public typealias Cipher = OpenSSLChaChaPoly

    public static var name: String { "openssl" }

    public static func xSeal(
        key: SymmetricKey, nonce: ExtendedNonce, buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        SwiftCryptoBackend<PortableKernelSet>.xSeal(key: key, nonce: nonce, buffer: buffer,
                                                    additionalData: additionalData, tag: tag)
    }

    public static func xOpen(
        key: SymmetricKey, nonce: ExtendedNonce, buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) throws(CryptoError) {
        try SwiftCryptoBackend<PortableKernelSet>.xOpen(key: key, nonce: nonce, buffer: buffer,
                                                        additionalData: additionalData, tag: tag)
    }

    public static func publicKey(for privateKey: PrivateKey) -> PublicKey {
        SwiftCryptoBackend<PortableKernelSet>.publicKey(for: privateKey)
    }

    public static func sharedSecret(privateKey: PrivateKey, publicKey: PublicKey) throws(CryptoError) -> SharedSecret {
        try SwiftCryptoBackend<PortableKernelSet>.sharedSecret(privateKey: privateKey, publicKey: publicKey)
    }
}
#endif  // OpenSSL
