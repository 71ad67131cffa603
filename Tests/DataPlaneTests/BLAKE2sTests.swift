import Testing
import DataPlane

@Suite("BLAKE2s")
struct BLAKE2sTests {
    /// Decodes a hex string (no separators) to bytes.
    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0)
        func nibble(_ digit: UInt8) -> UInt8 {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
            default: preconditionFailure("not a hex digit")
            }
        }
        return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
    }

    static func array(_ vector: SIMD16<UInt8>) -> [UInt8] {
        (0..<16).map { vector[$0] }
    }

    /// Digest of `input` with a fresh hasher, returned as an array of `outputLength` bytes.
    static func digest(_ input: [UInt8], outputLength: Int = 32, key: [UInt8] = []) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: outputLength)
        key.withUnsafeBytes { keyBuffer in
            var hasher = BLAKE2s(outputLength: outputLength, key: key.isEmpty ? nil : keyBuffer)
            input.withUnsafeBytes { hasher.update($0) }
            output.withUnsafeMutableBytes { hasher.finalize(into: $0) }
        }
        return output
    }

    /// The deterministic input generator of RFC 7693 Appendix E (`selftest_seq`): a Fibonacci-style
    /// sequence seeded with `0xDEAD4BAD * seed`, keeping the top byte of each term.
    static func selfTestSequence(length: Int, seed: UInt32) -> [UInt8] {
        var a = 0xDEAD_4BAD &* seed
        var b: UInt32 = 1
        var out: [UInt8] = []
        for _ in 0..<length {
            let t = a &+ b
            a = b
            b = t
            out.append(UInt8(truncatingIfNeeded: t >> 24))
        }
        return out
    }

    @Test func hashOfABCMatchesRFC7693AppendixB() {
        let expected = Self.bytes(hex: "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")
        let abc: [UInt8] = Array("abc".utf8)
        #expect(abc.withUnsafeBytes { BLAKE2s.hash($0) }.array == expected)
        #expect(Self.digest(abc) == expected)
    }

    /// RFC 7693 Appendix E: hash the unkeyed and keyed digests of every (output length, input length)
    /// pair into one BLAKE2s-256 and compare the result. Exercises keyed mode, short output lengths,
    /// empty input and inputs that end exactly on, just past and far past a block boundary.
    @Test func selfTestGrandHashMatchesRFC7693AppendixE() {
        let expected = Self.bytes(hex: "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe")
        var grand = BLAKE2s()
        for outputLength in [16, 20, 28, 32] {
            for inputLength in [0, 3, 64, 65, 255, 1024] {
                let input = Self.selfTestSequence(length: inputLength, seed: UInt32(inputLength))
                let unkeyed = Self.digest(input, outputLength: outputLength)
                unkeyed.withUnsafeBytes { grand.update($0) }
                let key = Self.selfTestSequence(length: outputLength, seed: UInt32(outputLength))
                let keyed = Self.digest(input, outputLength: outputLength, key: key)
                keyed.withUnsafeBytes { grand.update($0) }
            }
        }
        #expect(grand.finalize().array == expected)
    }

    /// First keyed entry of the BLAKE2 reference known-answer file (blake2s-kat.txt): key 00..1f, empty
    /// input. A keyed empty message still compresses the key block, so this pins that path.
    @Test func keyedHashOfEmptyInputMatchesReferenceKAT() {
        let expected = Self.bytes(hex: "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49")
        let key = Key32(bytes: SIMD32<UInt8>((0..<32).map { UInt8($0) }))
        var hasher = BLAKE2s(key: key)
        #expect(hasher.finalize().array == expected)
    }

    @Test func splitUpdatesGiveTheOneShotDigest() {
        let input = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let key: [UInt8] = (0..<20).map { UInt8($0) }
        for outputLength in [16, 32] {
            let oneShot = Self.digest(input, outputLength: outputLength, key: key)
            // Split points around block boundaries, including empty pieces and a full block at the end.
            let splitLists: [[Int]] = [
                [0], [1], [63], [64], [65], [128], [236], [300], [10, 54, 64], [64, 64, 64, 64], [0, 0, 299],
            ]
            for splits in splitLists {
                var output = [UInt8](repeating: 0, count: outputLength)
                key.withUnsafeBytes { keyBuffer in
                    var hasher = BLAKE2s(outputLength: outputLength, key: keyBuffer)
                    input.withUnsafeBytes { whole in
                        var start = 0
                        for length in splits {
                            let end = min(start + length, whole.count)
                            hasher.update(UnsafeRawBufferPointer(rebasing: whole[start..<end]))
                            start = end
                        }
                        hasher.update(UnsafeRawBufferPointer(rebasing: whole[start...]))
                    }
                    output.withUnsafeMutableBytes { hasher.finalize(into: $0) }
                }
                #expect(output == oneShot, "splits \(splits), output length \(outputLength)")
            }
            // Byte at a time.
            var output = [UInt8](repeating: 0, count: outputLength)
            key.withUnsafeBytes { keyBuffer in
                var hasher = BLAKE2s(outputLength: outputLength, key: keyBuffer)
                for byte in input { withUnsafeBytes(of: byte) { hasher.update($0) } }
                output.withUnsafeMutableBytes { hasher.finalize(into: $0) }
            }
            #expect(output == oneShot)
        }
    }

    /// WireGuard's initial chaining key and hash: `Ci = HASH("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")` and
    /// `Hi = HASH(Ci || "WireGuard v1 zx2c4 Jason@zx2c4.com")`. The expected bytes are boringtun's
    /// INITIAL_CHAIN_KEY / INITIAL_CHAIN_HASH, recomputed with Python's hashlib.blake2s.
    @Test func handshakeConstructionAndIdentifierHashToWireGuardsInitialValues() {
        let construction = Array("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".utf8)
        let identifier = Array("WireGuard v1 zx2c4 Jason@zx2c4.com".utf8)
        let chainingKey = construction.withUnsafeBytes { BLAKE2s.hash($0) }
        #expect(chainingKey.array == [
            96, 226, 109, 174, 243, 39, 239, 192, 46, 195, 53, 226, 160, 37, 210, 208,
            22, 235, 66, 6, 248, 114, 119, 245, 45, 56, 209, 152, 139, 120, 205, 54,
        ])
        let chainingHash = identifier.withUnsafeBytes { BLAKE2s.hash(chainingKey, $0) }
        #expect(chainingHash.array == [
            34, 17, 179, 97, 8, 26, 197, 102, 105, 18, 67, 219, 69, 138, 213, 50,
            45, 156, 108, 102, 34, 147, 232, 183, 14, 225, 156, 101, 186, 7, 158, 243,
        ])
    }

    /// Keyed BLAKE2s with a 16-byte output, the MAC1/MAC2 primitive. Expected value from
    /// `hashlib.blake2s(b"abc", digest_size=16, key=bytes(range(16))).hexdigest()`.
    @Test func mac16IsKeyedBLAKE2sWithSixteenByteOutput() {
        let expected = Self.bytes(hex: "75296c2d2c0f51210b383f386bc8b1ff")
        let abc: [UInt8] = Array("abc".utf8)
        let key16 = SIMD16<UInt8>((0..<16).map { UInt8($0) })
        #expect(abc.withUnsafeBytes { Self.array(BLAKE2s.mac16(key: key16, data: $0)) } == expected)
        // The 32-byte-key overload agrees with the general keyed hasher truncated to 16 bytes.
        let key32 = Key32(bytes: SIMD32<UInt8>((0..<32).map { UInt8(255 - $0) }))
        let viaKey32 = abc.withUnsafeBytes { Self.array(BLAKE2s.mac16(key: key32, data: $0)) }
        #expect(viaKey32 == Self.digest(abc, outputLength: 16, key: key32.array))
    }
}
