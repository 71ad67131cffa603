import Crypto
import CryptoKernels
import Testing

/// The four-lane Poly1305 path (`absorbPadded` from 16 blocks on) against the scalar one, block by block.
@Suite struct Poly1305FourWayTests {
    /// The MAC of `message` zero-padded, through the scalar code only (`absorbBlocks` never takes lanes).
    static func scalarMAC(key: SIMD8<UInt32>, _ parts: [[UInt8]]) -> (UInt64, UInt64) {
        var poly = Poly1305<PortableISA>(key: key)
        for part in parts {
            var padded = part + [UInt8](repeating: 0, count: (16 - part.count % 16) % 16)
            padded.withUnsafeMutableBytes { poly.absorbBlocks($0.baseAddress!, count: $0.count / 16) }
        }
        poly.absorbLengths(additionalData: parts.count > 1 ? parts[0].count : 0, ciphertext: parts.last!.count)
        return poly.tag()
    }

    static func paddedMAC(key: SIMD8<UInt32>, _ parts: [[UInt8]]) -> (UInt64, UInt64) {
        var poly = Poly1305<PortableISA>(key: key)
        for part in parts {
            part.withUnsafeBytes { poly.absorbPadded($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!,
                                                     count: $0.count) }
        }
        poly.absorbLengths(additionalData: parts.count > 1 ? parts[0].count : 0, ciphertext: parts.last!.count)
        return poly.tag()
    }

    static func keyWords(_ bytes: [UInt8]) -> SIMD8<UInt32> {
        var words = SIMD8<UInt32>()
        for i in 0..<8 {
            words[i] = UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16
                | UInt32(bytes[4 * i + 3]) << 24
        }
        return words
    }

    @Test("Four lanes give the scalar MAC for random, all-ones and all-zero keys and messages, every length")
    func fourLanesEqualTheScalarMAC() {
        var random = TestRandom(seed: 0x5eed_1305)
        let lengths = Array(240...1100) + [1420, 1436, 4096, 8191, 65535, 65536]
        for (index, length) in lengths.enumerated() {
            let keys: [[UInt8]] = [random.bytes(32), [UInt8](repeating: 0xFF, count: 32),
                                   [UInt8](repeating: 0, count: 16) + random.bytes(16)]
            let messages: [[UInt8]] = [random.bytes(length), [UInt8](repeating: 0xFF, count: length)]
            for key in keys where index % 7 == 0 || key == keys[0] {
                for message in messages {
                    let words = Self.keyWords(key)
                    let prefix = random.bytes(random.below(40))
                    let expected = Self.scalarMAC(key: words, [prefix, message])
                    let got = Self.paddedMAC(key: words, [prefix, message])
                    #expect(got == expected, "length \(length), prefix \(prefix.count), key \(key.prefix(4))")
                }
            }
        }
    }

    @Test("Every kernel variant opens an all-ones ciphertext under the tag the scalar MAC gives, and no other")
    func everyVariantOpensAllOnesUnderTheScalarTag() {
        var random = TestRandom(seed: 0xa11_0e5)
        for length in [256, 1420, 4096, 65536] {
            let key = random.bytes(32)
            let nonce = random.bytes(12)
            let ciphertext = [UInt8](repeating: 0xFF, count: length)
            var nonceWords = SIMD4<UInt32>()
            for i in 0..<3 {
                nonceWords[i] = UInt32(nonce[4 * i]) | UInt32(nonce[4 * i + 1]) << 8
                    | UInt32(nonce[4 * i + 2]) << 16 | UInt32(nonce[4 * i + 3]) << 24
            }
            let polyKey = ChaCha20x8<PortableISA>.keystream(key: Self.keyWords(key), counter: 0, nonce: nonceWords).0
            let (t0, t1) = Self.scalarMAC(key: polyKey, [[], ciphertext])
            let tag = (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? t0 : t1) >> (UInt64($0 % 8) * 8)) }
            for kernels in runnableKernelSets {
                let (_, ok) = kernelOpen(kernels, key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, ad: [])
                #expect(ok, "variant \(kernels.variant), length \(length)")
                var forged = tag
                forged[15] ^= 0x80
                let (untouched, refused) = kernelOpen(kernels, key: key, nonce: nonce, ciphertext: ciphertext,
                                                      tag: forged, ad: [])
                #expect(!refused && untouched == ciphertext, "variant \(kernels.variant), length \(length)")
            }
        }
    }
}
