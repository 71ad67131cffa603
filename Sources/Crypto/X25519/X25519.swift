import DataPlane

/// X25519 Diffie-Hellman on Curve25519 (RFC 7748), in pure Swift.
///
/// The scalar multiplication is the Montgomery ladder of RFC 7748 section 5, written to run in
/// constant time: it always performs 255 ladder steps, picks between the two running points with a
/// masked swap instead of a branch, reads scalar bits only at positions fixed by the loop counter,
/// and works entirely on stack values (no allocation, no secret-dependent memory addresses).
package enum X25519 {
    /// The u-coordinate 9 of the Curve25519 base point, little-endian.
    package static let basePoint: Key32 = {
        var bytes = SIMD32<UInt8>()
        bytes[0] = 9
        return Key32(bytes: bytes)
    }()

    /// The X25519 function: `scalar` (clamped here) times the point with u-coordinate `point`.
    ///
    /// Bit 255 of `point` is ignored and non-canonical u-coordinates are accepted, as RFC 7748
    /// requires; the result is always the canonical encoding. A low-order `point` yields all zeros,
    /// which callers doing key agreement must reject (see `sharedSecret`).
    package static func scalarMult(scalar: Key32, point: Key32) -> Key32 {
        // Clamping: clear the cofactor bits and fix the top bit so every scalar takes the same
        // number of ladder steps.
        var clamped = scalar.bytes
        clamped[0] &= 248
        clamped[31] = (clamped[31] & 127) | 64
        let words = unsafeBitCast(clamped, to: SIMD4<UInt64>.self)

        let x1 = FieldElement(bytes: point.bytes)
        var x2 = FieldElement.one
        var z2 = FieldElement.zero
        var x3 = x1
        var z3 = FieldElement.one
        var swap: UInt64 = 0

        // Bits 254 down to 0; bit 255 is always clear after clamping.
        var position = 254
        while position >= 0 {
            // The word and shift depend only on the loop position, never on the scalar's value.
            let word = UInt64(littleEndian: words[position &>> 6])
            let bit = (word &>> UInt64(position & 63)) & 1
            swap ^= bit
            let mask = 0 &- swap
            FieldElement.conditionalSwap(&x2, &x3, mask: mask)
            FieldElement.conditionalSwap(&z2, &z3, mask: mask)
            swap = bit

            // Combined differential addition and doubling, step for step as in RFC 7748.
            let a = x2 + z2
            let aa = a.squared()
            let b = x2 - z2
            let bb = b.squared()
            let e = aa - bb
            let c = x3 + z3
            let d = x3 - z3
            let da = d * a
            let cb = c * b
            x3 = (da + cb).squared()
            z3 = x1 * (da - cb).squared()
            x2 = aa * bb
            z2 = e * (aa + e.timesA24())

            position &-= 1
        }
        let mask = 0 &- swap
        FieldElement.conditionalSwap(&x2, &x3, mask: mask)
        FieldElement.conditionalSwap(&z2, &z3, mask: mask)

        return Key32(bytes: (x2 * z2.inverted()).bytes)
    }

    /// The public key for `privateKey`: its (clamped) scalar times the base point.
    package static func publicKey(for privateKey: PrivateKey) -> PublicKey {
        PublicKey(raw: scalarMult(scalar: privateKey.raw, point: basePoint))
    }

    /// Key agreement between our private key and a peer's public key.
    ///
    /// Throws `.lowOrderPoint` for the all-zero result, which a peer can force by sending a
    /// low-order point; WireGuard must not derive session keys from it. The zero test itself reads
    /// every byte without an early exit.
    package static func sharedSecret(
        privateKey: PrivateKey, publicKey: PublicKey
    ) throws(CryptoError) -> SharedSecret {
        let secret = scalarMult(scalar: privateKey.raw, point: publicKey.raw)
        guard !secret.isZero else { throw .lowOrderPoint }
        return SharedSecret(raw: secret)
    }
}
