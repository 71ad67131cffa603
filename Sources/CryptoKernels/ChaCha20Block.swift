/// The ChaCha20 block function (RFC 8439 section 2.3), one block at a time.
///
/// The AEAD never uses this on long data; it exists for HChaCha20, for short inputs and as the
/// reference the vectorized kernel is tested against.
public enum ChaCha20Block<ISA: KernelISA> {
    /// "expand 32-byte k" as four little-endian words.
    @inlinable @inline(__always)
    public static var constants: SIMD4<UInt32> { SIMD4(0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574) }

    @inlinable @inline(__always)
    static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &<< n) | (x &>> (32 &- n))
    }

    @inlinable @inline(__always)
    static func quarterRound(_ s: inout SIMD16<UInt32>, _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        s[a] &+= s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 16)
        s[c] &+= s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 12)
        s[a] &+= s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 8)
        s[c] &+= s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 7)
    }

    /// The initial state for `key`, block `counter` and the three nonce words.
    @inlinable @inline(__always)
    public static func initialState(key: SIMD8<UInt32>, counter: UInt32, nonce: SIMD4<UInt32>) -> SIMD16<UInt32> {
        SIMD16(
            constants[0], constants[1], constants[2], constants[3],
            key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
            counter, nonce[0], nonce[1], nonce[2]
        )
    }

    /// Twenty rounds over `state`, without the final addition of the input.
    @inlinable @inline(__always)
    public static func rounds(_ state: SIMD16<UInt32>) -> SIMD16<UInt32> {
        var s = state
        for _ in 0..<10 {
            quarterRound(&s, 0, 4, 8, 12)
            quarterRound(&s, 1, 5, 9, 13)
            quarterRound(&s, 2, 6, 10, 14)
            quarterRound(&s, 3, 7, 11, 15)
            quarterRound(&s, 0, 5, 10, 15)
            quarterRound(&s, 1, 6, 11, 12)
            quarterRound(&s, 2, 7, 8, 13)
            quarterRound(&s, 3, 4, 9, 14)
        }
        return s
    }

    /// One 64-byte keystream block as sixteen words (little-endian byte order when stored).
    @inlinable @inline(__always)
    public static func block(key: SIMD8<UInt32>, counter: UInt32, nonce: SIMD4<UInt32>) -> SIMD16<UInt32> {
        let state = initialState(key: key, counter: counter, nonce: nonce)
        return rounds(state) &+ state
    }

    /// HChaCha20: derives a subkey from `key` and the first 16 bytes of an XChaCha20 nonce.
    ///
    /// `nonce` holds those 16 bytes as four little-endian words.
    @inlinable @inline(__always)
    public static func hChaCha20(key: SIMD8<UInt32>, nonce: SIMD4<UInt32>) -> SIMD8<UInt32> {
        let state = initialState(key: key, counter: nonce[0], nonce: SIMD4(nonce[1], nonce[2], nonce[3], 0))
        let s = rounds(state)
        return SIMD8(s[0], s[1], s[2], s[3], s[12], s[13], s[14], s[15])
    }
}
