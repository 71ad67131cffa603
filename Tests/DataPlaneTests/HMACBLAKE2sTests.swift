import Testing
import DataPlane

/// Expected values come from Python's standard library, a second implementation of both layers:
///
///     import hmac, hashlib
///     H = lambda k, m: hmac.new(k, m, hashlib.blake2s).digest()
///     def kdf(n, k, x):  # WireGuard paper, section 5.4
///         t0 = H(k, x); out = []; prev = b""
///         for i in range(1, n + 1):
///             prev = H(t0, prev + bytes([i])); out.append(prev)
///         return out
///
/// run with python3 3.x; each test names the exact call it reproduces.
@Suite("HMAC-BLAKE2s and WireGuard KDF")
struct HMACBLAKE2sTests {
    static let key0to31 = Key32(bytes: SIMD32<UInt8>((0..<32).map { UInt8($0) }))
    static let input32to63 = Key32(bytes: SIMD32<UInt8>((32..<64).map { UInt8($0) }))

    static func hex(_ string: String) -> [UInt8] { BLAKE2sTests.bytes(hex: string) }

    /// `H(bytes(range(32)), b"WireGuard HMAC-BLAKE2s").hex()`
    @Test func hmacWith32ByteKeyMatchesPythonHmacOverBlake2s() {
        let message = Array("WireGuard HMAC-BLAKE2s".utf8)
        let tag = message.withUnsafeBytes { HMACBLAKE2s.authenticationCode(key: Self.key0to31, data: $0) }
        #expect(tag.array == Self.hex("7dfc48d55f3e5c62ff6bff3e10efcc22bbe8945bbb6f92717144e209a922f74f"))
        // The raw-buffer key path pads the same way as the Key32 path.
        let viaBuffer = Self.key0to31.array.withUnsafeBytes { key in
            message.withUnsafeBytes { HMACBLAKE2s.authenticationCode(key: key, data: $0) }
        }
        #expect(viaBuffer == tag)
    }

    /// `H(bytes(range(100)), bytes(range(200))).hex()`: a key longer than the 64-byte block is hashed
    /// first, and the message spans several blocks.
    @Test func hmacWithKeyLongerThanBlockHashesTheKeyFirst() {
        let key = (0..<100).map { UInt8($0) }
        let message = (0..<200).map { UInt8($0) }
        let tag = key.withUnsafeBytes { key in
            message.withUnsafeBytes { HMACBLAKE2s.authenticationCode(key: key, data: $0) }
        }
        #expect(tag.array == Self.hex("c4c95271905c6f69c1dd7c6fbc0cb3735457a660ccc2c4370f28825e7abef5af"))
    }

    /// `H(b"", b"").hex()`
    @Test func hmacWithEmptyKeyAndMessageMatchesPython() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let tag = HMACBLAKE2s.authenticationCode(key: empty, data: empty)
        #expect(tag.array == Self.hex("eaf4bb25938f4d20e72656bbbc7a9bf63c0c18537333c35bdb67db1402661acd"))
    }

    @Test func hmacSplitUpdatesEqualOneShot() {
        let message = (0..<150).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let oneShot = message.withUnsafeBytes { HMACBLAKE2s.authenticationCode(key: Self.key0to31, data: $0) }
        var hmac = HMACBLAKE2s(key: Self.key0to31)
        message.withUnsafeBytes { whole in
            hmac.update(UnsafeRawBufferPointer(rebasing: whole[0..<1]))
            hmac.update(UnsafeRawBufferPointer(rebasing: whole[1..<64]))
            hmac.update(UnsafeRawBufferPointer(rebasing: whole[64..<65]))
            hmac.update(UnsafeRawBufferPointer(rebasing: whole[65...]))
        }
        #expect(hmac.finalize() == oneShot)
    }

    /// `kdf(3, bytes(range(32)), bytes(range(32, 64)))`
    @Test func kdf3MatchesPythonHkdfChain() {
        let (first, second, third) = WireGuardKDF.kdf3(key: Self.key0to31, input: Self.input32to63)
        #expect(first.array == Self.hex("6a96444e20e8d4c1cee974416acae1c10b3c92886010e54ed94dafb2c3b80ea0"))
        #expect(second.array == Self.hex("57af120b0de7acbe7907ec149c5ae870a2dbb74232b65777ba4123f1f7f888f5"))
        #expect(third.array == Self.hex("0926c7caabb6e8d73beda759e6f4f0d324ce5b5000bcf8cd784b26db3049faa9"))
    }

    /// KDFn outputs are prefixes of one chain, so KDF1 and KDF2 must agree with KDF3's first keys, and the
    /// raw-buffer input overloads with the Key32 ones.
    @Test func shorterKdfsReturnPrefixesOfTheSameChain() {
        let (first3, second3, _) = WireGuardKDF.kdf3(key: Self.key0to31, input: Self.input32to63)
        let (first2, second2) = WireGuardKDF.kdf2(key: Self.key0to31, input: Self.input32to63)
        let first1 = Self.input32to63.withUnsafeBytes { WireGuardKDF.kdf1(key: Self.key0to31, input: $0) }
        #expect(first1 == first3)
        #expect(first2 == first3)
        #expect(second2 == second3)
    }

    /// `kdf(2, bytes(range(32)), b"")`: the transport-key derivation `KDF2(C, ε)` uses an empty input.
    @Test func kdf2WithEmptyInputMatchesPython() {
        let (first, second) = WireGuardKDF.kdf2(key: Self.key0to31, input: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(first.array == Self.hex("7a38c34bf2b8738d7374ca77c44ecb309a11d2b2528304fa86052c365e722624"))
        #expect(second.array == Self.hex("1a17621f346abdc520746a9fb64d8eb03231d674fc15687537b0780fd9c060fd"))
    }
}
