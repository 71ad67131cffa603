/// One implementation of every primitive that differs between crypto backends.
///
/// The WireGuard engine is generic over a `CryptoBackend`, so a backend is chosen once at startup and
/// the per-packet code is specialized for it. BLAKE2s, HMAC, HKDF and TAI64N are shared by all
/// backends and live next to this protocol.
public protocol CryptoBackend: SendableMetatype {
    /// The transport-data cipher.
    associatedtype Cipher: AEADCipher

    /// The name operators use to pick this backend (`--crypto NAME`).
    static var name: String { get }

    /// XChaCha20-Poly1305 encryption in place with a detached 16-byte tag (WireGuard cookie replies).
    static func xSeal(
        key: SymmetricKey,
        nonce: ExtendedNonce,
        buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer,
        tag: UnsafeMutableRawPointer
    )

    /// XChaCha20-Poly1305 verification and decryption in place; on failure the buffer holds no plaintext.
    static func xOpen(
        key: SymmetricKey,
        nonce: ExtendedNonce,
        buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer,
        tag: UnsafeRawPointer
    ) throws(CryptoError)

    /// X25519 of `privateKey` (clamped here) and the base point.
    static func publicKey(for privateKey: PrivateKey) -> PublicKey

    /// X25519 key agreement; refuses the all-zero result of a low-order peer key.
    static func sharedSecret(privateKey: PrivateKey, publicKey: PublicKey) throws(CryptoError) -> SharedSecret
}
