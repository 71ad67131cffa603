/// ChaCha20-Poly1305 (RFC 8439) with its key installed, in the form WireGuard transport data uses.
///
/// A cipher is made once per session key so that a backend can precompute whatever it wants from the
/// key. The nonce is four zero bytes followed by the 64-bit little-endian `counter`; the 16-byte tag is
/// detached. Encryption and decryption are in place. Implementations must be value types that the
/// packet path calls through generics, never through an existential.
public protocol AEADCipher: Sendable {
    /// Installs `key` for the lifetime of this value.
    init(key: SymmetricKey)

    /// Encrypts `buffer` in place and writes the 16-byte tag to `tag`.
    func seal(
        counter: UInt64,
        buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer,
        tag: UnsafeMutableRawPointer
    )

    /// Verifies `tag` and decrypts `buffer` in place.
    ///
    /// On failure the buffer never holds plaintext: it is either untouched ciphertext or zeroes.
    func open(
        counter: UInt64,
        buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer,
        tag: UnsafeRawPointer
    ) throws(CryptoError)
}
