import Crypto
import CryptoKernels
import Testing

/// The scalar block function against RFC 8439, and the eight-lane kernel against the scalar one.
@Suite struct ChaCha20BlockTests {
    @Test("RFC 8439 section 2.3.2: the scalar block function gives the published state")
    func rfc8439Section2_3_2() {
        let key = SIMD8<UInt32>(0x0302_0100, 0x0706_0504, 0x0b0a_0908, 0x0f0e_0d0c,
                                0x1312_1110, 0x1716_1514, 0x1b1a_1918, 0x1f1e_1d1c)
        // Nonce 00:00:00:09:00:00:00:4a:00:00:00:00 as little-endian words.
        let nonce = SIMD4<UInt32>(0x0900_0000, 0x4a00_0000, 0, 0)
        let block = ChaCha20Block<PortableISA>.block(key: key, counter: 1, nonce: nonce)
        let expected: [UInt32] = [
            0xe4e7_f110, 0x1559_3bd1, 0x1fdd_0f50, 0xc471_20a3, 0xc7f4_d1c7, 0x0368_c033, 0x9aaa_2204, 0x4e6c_d4c3,
            0x4664_82d2, 0x09aa_9f07, 0x05d7_c214, 0xa202_8bd9, 0xd19c_12b5, 0xb94e_16de, 0xe883_d0cb, 0x4e3c_50a2,
        ]
        #expect((0..<16).map { block[$0] } == expected)
    }

    @Test("The eight-lane kernel equals eight scalar blocks, including across the 32-bit counter wrap")
    func eightLanesMatchScalar() {
        var random = TestRandom(seed: 314)
        for counter: UInt32 in [0, 1, 8, 0x7FFF_FFFF, 0xFFFF_FFF9, 0xFFFF_FFFC] {
            var key = SIMD8<UInt32>()
            for lane in 0..<8 { key[lane] = UInt32(truncatingIfNeeded: random.next()) }
            let nonce = SIMD4<UInt32>(UInt32(truncatingIfNeeded: random.next()),
                                      UInt32(truncatingIfNeeded: random.next()),
                                      UInt32(truncatingIfNeeded: random.next()), 0)
            var stream = ChaCha20x8<PortableISA>.keystream(key: key, counter: counter, nonce: nonce)
            let lanes = withUnsafeBytes(of: &stream) { Array($0.bindMemory(to: UInt32.self)) }
            for block in 0..<8 {
                let scalar = ChaCha20Block<PortableISA>.block(key: key, counter: counter &+ UInt32(block),
                                                              nonce: nonce)
                let expected = (0..<16).map { scalar[$0] }
                #expect(Array(lanes[(block * 16)..<(block * 16 + 16)]) == expected,
                        "block \(block) at counter \(counter)")
            }
        }
    }
}
