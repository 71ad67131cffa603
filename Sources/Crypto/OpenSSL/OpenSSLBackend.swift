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
        "OpenSSL \(version) EVP ChaCha20-Poly1305 and X25519; XChaCha20-Poly1305 (cookies) in pure Swift"
    }
}

/// The OpenSSL backend: ChaCha20-Poly1305 and X25519 from Debian's libcrypto.
///
/// libcrypto has no XChaCha20-Poly1305 (no HChaCha20), so cookie replies, the one place WireGuard uses it, go
/// through the pure-Swift portable kernels: a cookie is 16 bytes, so speed does not matter there, and the
/// backend then depends on no library but libcrypto.
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
        // libcrypto clamps the scalar itself, as RFC 7748 requires.
        let (status, key) = withX25519Buffers(scalar: privateKey.raw, point: nil) { out, scalar, _ in
            cfz_openssl_x25519_public_key(out, scalar)
        }
        precondition(status == 0, "libcrypto could not make an X25519 key (out of memory?)")
        return PublicKey(raw: key)
    }

    public static func sharedSecret(privateKey: PrivateKey, publicKey: PublicKey) throws(CryptoError) -> SharedSecret {
        let (status, secret) = withX25519Buffers(scalar: privateKey.raw, point: publicKey.raw) { out, scalar, point in
            cfz_openssl_x25519(out, scalar, point)
        }
        precondition(status >= 0, "libcrypto could not make an X25519 key or context (out of memory?)")
        // 1: libcrypto refused the derivation, which it does exactly for the all-zero result.
        if status != 0 { throw .lowOrderPoint }
        return SharedSecret(raw: secret)
    }

    /// Calls one of the shim's X25519 functions with byte pointers to `scalar`, `point` (nil: none) and a
    /// 32-byte output; returns the function's status and what it wrote.
    @inline(__always)
    static func withX25519Buffers(
        scalar: Key32, point: Key32?,
        _ call: (_ out: UnsafeMutablePointer<UInt8>, _ scalar: UnsafePointer<UInt8>, _ point: UnsafePointer<UInt8>?)
            -> Int32
    ) -> (status: Int32, output: Key32) {
        var scalarBytes = scalar.bytes
        var pointBytes = point?.bytes ?? SIMD32<UInt8>()
        var out = SIMD32<UInt8>()
        let status = withUnsafeBytes(of: &scalarBytes) { s in
            withUnsafeBytes(of: &pointBytes) { p in
                withUnsafeMutableBytes(of: &out) { o in
                    call(o.baseAddress!.assumingMemoryBound(to: UInt8.self),
                         s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                         point == nil ? nil : p.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        return (status, Key32(bytes: out))
    }
}
