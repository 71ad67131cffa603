/// An X25519 private key (a Curve25519 scalar). Clamped when used, as RFC 7748 requires.
public struct PrivateKey: Hashable, Sendable {
    public var raw: Key32

    @inlinable
    public init(raw: Key32) {
        self.raw = raw
    }

    /// The scalar with RFC 7748's clamping applied; `wg genkey` prints keys in this form.
    public var clamped: PrivateKey {
        var bytes = raw.bytes
        bytes[0] &= 248
        bytes[31] = (bytes[31] & 127) | 64
        return PrivateKey(raw: Key32(bytes: bytes))
    }
}

/// An X25519 public key (a Curve25519 u-coordinate).
public struct PublicKey: Hashable, Sendable {
    public var raw: Key32

    @inlinable
    public init(raw: Key32) {
        self.raw = raw
    }
}

/// The output of X25519 key agreement.
public struct SharedSecret: Hashable, Sendable {
    public var raw: Key32

    @inlinable
    public init(raw: Key32) {
        self.raw = raw
    }
}

/// A 256-bit ChaCha20-Poly1305 key.
public struct SymmetricKey: Hashable, Sendable {
    public var raw: Key32

    @inlinable
    public init(raw: Key32) {
        self.raw = raw
    }
}

/// WireGuard's optional pre-shared key, mixed into the handshake for post-quantum resistance.
public struct PresharedKey: Hashable, Sendable {
    public var raw: Key32

    @inlinable
    public init(raw: Key32) {
        self.raw = raw
    }
}

/// The 24-byte nonce of XChaCha20-Poly1305, used by WireGuard cookie replies.
public struct ExtendedNonce: Hashable, Sendable {
    public var bytes: SIMD32<UInt8>  // only the first 24 lanes are meaningful; the rest stay zero

    /// Copies exactly 24 bytes; returns nil for any other length.
    public init?(_ raw: some Collection<UInt8>) {
        guard raw.count == 24 else { return nil }
        var value = SIMD32<UInt8>()
        for (index, byte) in raw.enumerated() {
            value[index] = byte
        }
        self.bytes = value
    }

    /// Reads 24 bytes starting at `pointer`.
    @inlinable
    public init(loadingFrom pointer: UnsafeRawPointer) {
        var value = SIMD32<UInt8>()
        for index in 0..<24 {
            value[index] = pointer.load(fromByteOffset: index, as: UInt8.self)
        }
        self.bytes = value
    }
}
