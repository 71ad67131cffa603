/// xorshift64*: a fast deterministic generator, so a crashing input reproduces exactly.
///
/// Fuzz targets must be pure functions of their input: every random choice of the code under test
/// (ephemeral keys, receiver indices, cookie secrets, jitter) comes from this, seeded from the input.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    /// A generator for `seed`; zero, which xorshift cannot leave, is replaced by a fixed odd constant.
    public init(seed: UInt64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
