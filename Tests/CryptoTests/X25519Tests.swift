import DataPlane
import Testing

import Crypto

/// Parses 64 hex digits (the RFC's little-endian byte order) into a key.
private func key(_ hex: String) -> Key32 {
    let digits = Array(hex.utf8)
    precondition(digits.count == 64, "expected 64 hex digits")
    var bytes = [UInt8]()
    for index in stride(from: 0, to: 64, by: 2) {
        bytes.append(UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)!)
    }
    return Key32(bytes)!
}

/// RFC 7748 section 6.1: Alice's and Bob's key pairs and the secret they agree on.
private enum RFC7748Agreement {
    static let alicePrivate = key("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    static let alicePublic = key("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    static let bobPrivate = key("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    static let bobPublic = key("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    static let shared = key("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
}

@Suite("X25519 (RFC 7748)")
struct X25519Tests {
    /// RFC 7748 section 5.2's iteration: k, u = X25519(k, u), k starting from the base point 9.
    private func iterate(_ count: Int) -> Key32 {
        var scalar = X25519.basePoint
        var point = X25519.basePoint
        for _ in 0..<count {
            let next = X25519.scalarMult(scalar: scalar, point: point)
            point = scalar
            scalar = next
        }
        return scalar
    }

    @Test("Multiplies an arbitrary point by a scalar as in RFC 7748 section 5.2, first vector")
    func scalarMultMatchesFirstVector() {
        let scalar = key("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
        let point = key("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
        let expected = key("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
        #expect(X25519.scalarMult(scalar: scalar, point: point) == expected)
    }

    @Test("Ignores bit 255 of the u-coordinate (RFC 7748 section 5.2, second vector, whose u has it set)")
    func scalarMultMasksTopBitOfPoint() {
        let scalar = key("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d")
        let point = key("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")
        let expected = key("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")
        #expect(point.bytes[31] & 0x80 != 0)
        #expect(X25519.scalarMult(scalar: scalar, point: point) == expected)

        var masked = point
        masked.bytes[31] &= 0x7f
        #expect(X25519.scalarMult(scalar: scalar, point: masked) == expected)
    }

    @Test("Matches the RFC 7748 section 5.2 iterated vector after one iteration")
    func iteratedOnce() {
        #expect(iterate(1) == key("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"))
    }

    @Test("Matches the RFC 7748 section 5.2 iterated vector after 1,000 iterations")
    func iteratedOneThousandTimes() {
        #expect(iterate(1_000) == key("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"))
    }

    @Test("Derives Alice's and Bob's public keys from their private keys (RFC 7748 section 6.1)")
    func publicKeysMatchAgreementVectors() {
        let alice = X25519.publicKey(for: PrivateKey(raw: RFC7748Agreement.alicePrivate))
        let bob = X25519.publicKey(for: PrivateKey(raw: RFC7748Agreement.bobPrivate))
        #expect(alice.raw == RFC7748Agreement.alicePublic)
        #expect(bob.raw == RFC7748Agreement.bobPublic)
    }

    @Test("Alice and Bob each compute the RFC 7748 section 6.1 shared secret from the other's public key")
    func bothSidesAgreeOnSharedSecret() throws {
        let aliceView = try X25519.sharedSecret(
            privateKey: PrivateKey(raw: RFC7748Agreement.alicePrivate),
            publicKey: PublicKey(raw: RFC7748Agreement.bobPublic)
        )
        let bobView = try X25519.sharedSecret(
            privateKey: PrivateKey(raw: RFC7748Agreement.bobPrivate),
            publicKey: PublicKey(raw: RFC7748Agreement.alicePublic)
        )
        #expect(aliceView.raw == RFC7748Agreement.shared)
        #expect(bobView.raw == RFC7748Agreement.shared)
    }

    @Test("Clamping makes the scalar's low three bits and top bit irrelevant")
    func scalarIsClamped() {
        let point = RFC7748Agreement.bobPublic
        var scalar = RFC7748Agreement.alicePrivate
        let reference = X25519.scalarMult(scalar: scalar, point: point)
        scalar.bytes[0] ^= 0x07
        scalar.bytes[31] ^= 0x80
        #expect(X25519.scalarMult(scalar: scalar, point: point) == reference)
        let unclamped = PrivateKey(raw: scalar)
        #expect(X25519.publicKey(for: unclamped) == X25519.publicKey(for: unclamped.clamped))
    }

    @Test("Refuses key agreement with low-order peer keys, whose result is all zeros")
    func lowOrderPeerKeyIsRejected() {
        let privateKey = PrivateKey(raw: RFC7748Agreement.alicePrivate)
        let zero = SIMD32<UInt8>()
        var one = SIMD32<UInt8>()
        one[0] = 1
        // p - 1 (u = -1) and p itself (a non-canonical zero) are low-order too.
        let minusOne = key("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        let p = key("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        for peer in [Key32(bytes: zero), Key32(bytes: one), minusOne, p] {
            #expect(X25519.scalarMult(scalar: privateKey.raw, point: peer).isZero)
            #expect(throws: CryptoError.lowOrderPoint) {
                try X25519.sharedSecret(privateKey: privateKey, publicKey: PublicKey(raw: peer))
            }
        }
    }

    @Test("Treats a non-canonical u-coordinate (u + p) the same as u")
    func nonCanonicalPointIsReduced() {
        // 9 + p = 2^255 - 10, which still fits below 2^255.
        let ninePlusP = key("f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        let scalar = RFC7748Agreement.alicePrivate
        #expect(X25519.scalarMult(scalar: scalar, point: ninePlusP) == RFC7748Agreement.alicePublic)
    }

    @Test("Encodes field elements fully reduced: p becomes 0 and 2^255 - 1 becomes 18")
    func encodingIsCanonical() {
        let p = key("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        #expect(X25519.FieldElement(bytes: p.bytes).bytes == SIMD32<UInt8>())

        var eighteen = SIMD32<UInt8>()
        eighteen[0] = 18
        let allOnes = key("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        #expect(X25519.FieldElement(bytes: allOnes.bytes).bytes == eighteen)

        // p - 1 is already canonical and must come back unchanged.
        let minusOne = key("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        #expect(X25519.FieldElement(bytes: minusOne.bytes).bytes == minusOne.bytes)
    }

    @Test("Field inversion: x · x⁻¹ = 1, and 0 inverts to 0")
    func inversionIsMultiplicativeInverse() {
        let one = X25519.FieldElement.one.bytes
        for hex in [
            "0900000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        ] {
            let x = X25519.FieldElement(bytes: key(hex).bytes)
            #expect((x * x.inverted()).bytes == one)
        }
        #expect(X25519.FieldElement.zero.inverted().bytes == SIMD32<UInt8>())
    }
}
