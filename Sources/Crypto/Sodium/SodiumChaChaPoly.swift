#if Sodium
import CFZSodium
import DataPlane

/// ChaCha20-Poly1305 (IETF) through libsodium's detached API, in place.
///
/// libsodium has no per-key precomputation for this AEAD, so installing the key only keeps a copy.
public struct SodiumChaChaPoly: AEADCipher {
    @usableFromInline var key: SIMD32<UInt8>

    public init(key: SymmetricKey) {
        precondition(Sodium.ready, "sodium_init() failed")
        self.key = key.raw.bytes
    }

    @inline(__always)
    static func nonce(_ counter: UInt64) -> SIMD16<UInt8> {
        // 4 zero bytes, then the counter little-endian; only the first 12 bytes are read.
        var n = SIMD16<UInt8>()
        let c = counter.littleEndian
        withUnsafeBytes(of: c) { for i in 0..<8 { n[4 + i] = $0[i] } }
        return n
    }

    public func seal(
        counter: UInt64, buffer: UnsafeMutableRawBufferPointer, additionalData: UnsafeRawBufferPointer,
        tag: UnsafeMutableRawPointer
    ) {
        var key = key
        var nonce = Self.nonce(counter)
        // libsodium wants a non-null pointer even for empty data; it writes nothing then.
        let data = (buffer.baseAddress ?? UnsafeMutableRawPointer(mutating: tag)).assumingMemoryBound(to: UInt8.self)
        withUnsafeBytes(of: &key) { k in
            withUnsafeBytes(of: &nonce) { n in
                _ = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
                    data, tag.assumingMemoryBound(to: UInt8.self), nil,
                    data, UInt64(buffer.count),
                    additionalData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(additionalData.count),
                    nil, n.baseAddress!.assumingMemoryBound(to: UInt8.self), k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    public func open(
        counter: UInt64, buffer: UnsafeMutableRawBufferPointer, additionalData: UnsafeRawBufferPointer,
        tag: UnsafeRawPointer
    ) throws(CryptoError) {
        var key = key
        var nonce = Self.nonce(counter)
        // libsodium wants a non-null pointer even for empty data; it writes nothing then.
        let data = (buffer.baseAddress ?? UnsafeMutableRawPointer(mutating: tag)).assumingMemoryBound(to: UInt8.self)
        // libsodium verifies before it decrypts and writes nothing on failure.
        let result = withUnsafeBytes(of: &key) { k in
            withUnsafeBytes(of: &nonce) { n in
                crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                    data, nil, data, UInt64(buffer.count),
                    tag.assumingMemoryBound(to: UInt8.self),
                    additionalData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(additionalData.count),
                    n.baseAddress!.assumingMemoryBound(to: UInt8.self), k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        if result != 0 { throw .authenticationFailed }
    }
}

/// The libsodium backend: ChaCha20-Poly1305, XChaCha20-Poly1305 and X25519 from Debian's libsodium.
public enum SodiumBackend: CryptoBackend {
    public typealias Cipher = SodiumChaChaPoly

    public static var name: String { "sodium" }

    public static func xSeal(
        key: SymmetricKey, nonce: ExtendedNonce, buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        precondition(Sodium.ready, "sodium_init() failed")
        var key = key.raw.bytes
        var nonce = nonce.bytes
        // libsodium wants a non-null pointer even for empty data; it writes nothing then.
        let data = (buffer.baseAddress ?? UnsafeMutableRawPointer(mutating: tag)).assumingMemoryBound(to: UInt8.self)
        withUnsafeBytes(of: &key) { k in
            withUnsafeBytes(of: &nonce) { n in
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
                    data, tag.assumingMemoryBound(to: UInt8.self), nil,
                    data, UInt64(buffer.count),
                    additionalData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(additionalData.count),
                    nil, n.baseAddress!.assumingMemoryBound(to: UInt8.self), k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    public static func xOpen(
        key: SymmetricKey, nonce: ExtendedNonce, buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) throws(CryptoError) {
        precondition(Sodium.ready, "sodium_init() failed")
        var key = key.raw.bytes
        var nonce = nonce.bytes
        // libsodium wants a non-null pointer even for empty data; it writes nothing then.
        let data = (buffer.baseAddress ?? UnsafeMutableRawPointer(mutating: tag)).assumingMemoryBound(to: UInt8.self)
        let result = withUnsafeBytes(of: &key) { k in
            withUnsafeBytes(of: &nonce) { n in
                crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
                    data, nil, data, UInt64(buffer.count),
                    tag.assumingMemoryBound(to: UInt8.self),
                    additionalData.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(additionalData.count),
                    n.baseAddress!.assumingMemoryBound(to: UInt8.self), k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        if result != 0 { throw .authenticationFailed }
    }

    public static func publicKey(for privateKey: PrivateKey) -> PublicKey {
        precondition(Sodium.ready, "sodium_init() failed")
        var scalar = privateKey.raw.bytes
        var out = SIMD32<UInt8>()
        withUnsafeBytes(of: &scalar) { s in
            withUnsafeMutableBytes(of: &out) { o in
                // libsodium clamps the scalar itself, as RFC 7748 requires.
                _ = crypto_scalarmult_curve25519_base(o.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                      s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return PublicKey(raw: Key32(bytes: out))
    }

    public static func sharedSecret(privateKey: PrivateKey, publicKey: PublicKey) throws(CryptoError) -> SharedSecret {
        precondition(Sodium.ready, "sodium_init() failed")
        var scalar = privateKey.raw.bytes
        var point = publicKey.raw.bytes
        var out = SIMD32<UInt8>()
        let result = withUnsafeBytes(of: &scalar) { s in
            withUnsafeBytes(of: &point) { p in
                withUnsafeMutableBytes(of: &out) { o in
                    crypto_scalarmult_curve25519(o.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                 s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                 p.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        // libsodium returns -1 exactly when the result is all zeroes (a low-order point).
        if result != 0 { throw .lowOrderPoint }
        return SharedSecret(raw: Key32(bytes: out))
    }
}
#endif  // Sodium
