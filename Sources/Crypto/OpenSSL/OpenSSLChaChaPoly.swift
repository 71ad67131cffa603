#if OpenSSL
import CFZOpenSSL
import DataPlane

/// ChaCha20-Poly1305 (IETF) through libcrypto's EVP interface, in place.
///
/// Unlike libsodium's one-shot call, EVP keeps the key in a cipher context: `init(key:)` makes one context for
/// sealing and one for opening and keys both, so a packet only sets the nonce; no allocation and no key setup
/// per packet. A failed open leaves the ciphertext in the buffer, exactly as libsodium does.
public struct OpenSSLChaChaPoly: AEADCipher {
    @usableFromInline let contexts: OpenSSLContexts

    public init(key: SymmetricKey) {
        contexts = OpenSSLContexts(key: key)
    }

    public func seal(
        counter: UInt64, buffer: UnsafeMutableRawBufferPointer, additionalData: UnsafeRawBufferPointer,
        tag: UnsafeMutableRawPointer
    ) {
        let result = cfz_openssl_aead_seal(
            contexts.aead, counter, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count,
            additionalData.baseAddress?.assumingMemoryBound(to: UInt8.self), additionalData.count,
            tag.assumingMemoryBound(to: UInt8.self))
        // Only a libcrypto fault gets here (lengths fit, the context was keyed and self-tested); the C side has
        // zeroed the buffer and the tag, so nothing readable would leave, but a silent drop would hide the fault.
        precondition(result == 0, "libcrypto's ChaCha20-Poly1305 failed to seal \(buffer.count) bytes")
    }

    public func open(
        counter: UInt64, buffer: UnsafeMutableRawBufferPointer, additionalData: UnsafeRawBufferPointer,
        tag: UnsafeRawPointer
    ) throws(CryptoError) {
        // 1: the tag did not match and the ciphertext is back in place; -1: libcrypto failed and zeroed it.
        let result = cfz_openssl_aead_open(
            contexts.aead, counter, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count,
            additionalData.baseAddress?.assumingMemoryBound(to: UInt8.self), additionalData.count,
            tag.assumingMemoryBound(to: UInt8.self))
        if result != 0 { throw .authenticationFailed }
    }
}

/// The two keyed EVP contexts of one key, freed when the last copy of the cipher goes.
///
/// A class so that copies of the cipher share the contexts and `deinit` frees them once. Sendable because
/// the C side serializes each context behind its own mutex; one device thread never contends for it.
@usableFromInline
final class OpenSSLContexts: @unchecked Sendable {
    let aead: OpaquePointer

    init(key: SymmetricKey) {
        if let reason = OpenSSL.unavailableReason {
            preconditionFailure("the openssl crypto backend cannot run here: \(reason)")
        }
        var bytes = key.raw.bytes
        let made = withUnsafeBytes(of: &bytes) {
            cfz_openssl_aead_create($0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard let made else {
            fatalError("libcrypto could not allocate or key a ChaCha20-Poly1305 context (out of memory?)")
        }
        aead = made
    }

    deinit {
        cfz_openssl_aead_destroy(aead)
    }
}
#endif  // OpenSSL
