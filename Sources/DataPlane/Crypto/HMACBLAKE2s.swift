/// HMAC (RFC 2104) over BLAKE2s-256 with a 64-byte block: WireGuard's `HMAC`.
///
/// WireGuard uses HMAC rather than BLAKE2s's built-in keyed mode inside its KDF because the Noise
/// framework's HKDF is defined over HMAC. Both pads are absorbed at initialisation and the two hasher
/// states are kept inline, so a prepared key can be copied and reused without touching the heap.
public struct HMACBLAKE2s: Sendable {
    /// The inner hash, `H((K ^ ipad) || message...)`, still accepting message bytes.
    @usableFromInline var inner: BLAKE2s
    /// The outer hash with `K ^ opad` already absorbed, waiting for the inner digest.
    @usableFromInline var outer: BLAKE2s

    /// Prepares HMAC with a key of any length; keys longer than the 64-byte block are hashed first.
    @inlinable
    public init(key: UnsafeRawBufferPointer) {
        var padded = SIMD16<UInt32>()
        if key.count > BLAKE2s.blockLength {
            padded.lowHalf = unsafeBitCast(BLAKE2s.hash(key).bytes, to: SIMD8<UInt32>.self)
        } else if key.count > 0, let source = key.baseAddress {
            withUnsafeMutableBytes(of: &padded) { $0.baseAddress!.copyMemory(from: source, byteCount: key.count) }
        }
        self.init(paddedKey: padded)
    }

    /// Prepares HMAC with a 32-byte key, the only key size WireGuard's KDF uses.
    @inlinable
    public init(key: Key32) {
        self.init(paddedKey: SIMD16(lowHalf: unsafeBitCast(key.bytes, to: SIMD8<UInt32>.self), highHalf: .zero))
    }

    /// Absorbs `K ^ ipad` and `K ^ opad`. `paddedKey` is the key zero-padded to the block, in memory
    /// order; XOR with a repeated byte is the same whatever the word byte order.
    @inlinable
    init(paddedKey: SIMD16<UInt32>) {
        inner = BLAKE2s()
        outer = BLAKE2s()
        withUnsafeBytes(of: paddedKey ^ SIMD16(repeating: 0x3636_3636)) { inner.update($0) }
        withUnsafeBytes(of: paddedKey ^ SIMD16(repeating: 0x5C5C_5C5C)) { outer.update($0) }
    }

    /// Absorbs message bytes; any split of the message across calls gives the same tag.
    @inlinable
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bytes)
    }

    /// Returns the 32-byte tag. The value is spent afterwards; copy it first to reuse a prepared key.
    @inlinable
    public mutating func finalize() -> Key32 {
        let innerDigest = inner.finalize()
        innerDigest.withUnsafeBytes { outer.update($0) }
        return outer.finalize()
    }

    /// HMAC-BLAKE2s-256 of `data` under `key`, in one call.
    @inlinable
    public static func authenticationCode(key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer) -> Key32 {
        var hmac = HMACBLAKE2s(key: key)
        hmac.update(data)
        return hmac.finalize()
    }

    /// HMAC-BLAKE2s-256 of `data` under a 32-byte key, in one call.
    @inlinable
    public static func authenticationCode(key: Key32, data: UnsafeRawBufferPointer) -> Key32 {
        var hmac = HMACBLAKE2s(key: key)
        hmac.update(data)
        return hmac.finalize()
    }
}

/// WireGuard's key derivation, `KDF1`/`KDF2`/`KDF3` of the WireGuard paper (section 5.4): HKDF over
/// HMAC-BLAKE2s with no salt beyond the chaining key and no info string.
///
/// The chaining key is the HMAC key: `τ0 = HMAC(key, input)`, then `τ1 = HMAC(τ0, 0x01)` and
/// `τi = HMAC(τ0, τ(i-1) || i)`; `kdfN` returns `τ1...τN`. The handshake calls these to ratchet the
/// chaining key and to derive the AEAD and transport keys, always with 32-byte outputs.
public enum WireGuardKDF {
    /// `KDF1(key, input)`: one derived key, `τ1`.
    @inlinable
    public static func kdf1(key: Key32, input: UnsafeRawBufferPointer) -> Key32 {
        let expander = HMACBLAKE2s(key: HMACBLAKE2s.authenticationCode(key: key, data: input))
        return expand(expander, previous: nil, counter: 1)
    }

    /// `KDF2(key, input)`: two derived keys, `(τ1, τ2)`.
    @inlinable
    public static func kdf2(key: Key32, input: UnsafeRawBufferPointer) -> (Key32, Key32) {
        let expander = HMACBLAKE2s(key: HMACBLAKE2s.authenticationCode(key: key, data: input))
        let first = expand(expander, previous: nil, counter: 1)
        let second = expand(expander, previous: first, counter: 2)
        return (first, second)
    }

    /// `KDF3(key, input)`: three derived keys, `(τ1, τ2, τ3)`.
    @inlinable
    public static func kdf3(key: Key32, input: UnsafeRawBufferPointer) -> (Key32, Key32, Key32) {
        let expander = HMACBLAKE2s(key: HMACBLAKE2s.authenticationCode(key: key, data: input))
        let first = expand(expander, previous: nil, counter: 1)
        let second = expand(expander, previous: first, counter: 2)
        let third = expand(expander, previous: second, counter: 3)
        return (first, second, third)
    }

    /// `KDF1` with a 32-byte input (a public key, a DH result or a pre-shared key).
    @inlinable
    public static func kdf1(key: Key32, input: Key32) -> Key32 {
        input.withUnsafeBytes { kdf1(key: key, input: $0) }
    }

    /// `KDF2` with a 32-byte input.
    @inlinable
    public static func kdf2(key: Key32, input: Key32) -> (Key32, Key32) {
        input.withUnsafeBytes { kdf2(key: key, input: $0) }
    }

    /// `KDF3` with a 32-byte input.
    @inlinable
    public static func kdf3(key: Key32, input: Key32) -> (Key32, Key32, Key32) {
        input.withUnsafeBytes { kdf3(key: key, input: $0) }
    }

    /// One HKDF-Expand step: `HMAC(τ0, previous || counter)`, with `expander` already keyed by `τ0`.
    @inlinable
    static func expand(_ expander: HMACBLAKE2s, previous: Key32?, counter: UInt8) -> Key32 {
        var hmac = expander
        if let previous {
            previous.withUnsafeBytes { hmac.update($0) }
        }
        withUnsafeBytes(of: counter) { hmac.update($0) }
        return hmac.finalize()
    }
}
