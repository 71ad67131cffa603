/// A set of prefix lengths (0...128) as a bitmap, walked longest first.
///
/// A lookup walks the lengths in use on every packet; a bitmap walked by leading-zero counts does that
/// without touching the heap or reference counts, which an array of lengths would.
@usableFromInline
struct PrefixLengths: Sendable, Sequence {
    /// Bit `n` of word `n / 64` is set when length `n` is in use.
    @usableFromInline var words: (UInt64, UInt64, UInt64) = (0, 0, 0)

    @inlinable
    init() {}

    @inlinable
    mutating func update(_ length: Int, inUse: Bool) {
        let bit = UInt64(1) << UInt64(length % 64)
        switch length / 64 {
        case 0: words.0 = inUse ? words.0 | bit : words.0 & ~bit
        case 1: words.1 = inUse ? words.1 | bit : words.1 & ~bit
        default: words.2 = inUse ? words.2 | bit : words.2 & ~bit
        }
    }

    @inlinable
    func makeIterator() -> Descending { Descending(words: words) }

    /// Yields the lengths in use from the longest down.
    @usableFromInline
    struct Descending: IteratorProtocol {
        @usableFromInline var words: (UInt64, UInt64, UInt64)

        @inlinable
        init(words: (UInt64, UInt64, UInt64)) { self.words = words }

        @inlinable
        mutating func next() -> Int? {
            if words.2 != 0 { return Self.takeHighest(&words.2, base: 128) }
            if words.1 != 0 { return Self.takeHighest(&words.1, base: 64) }
            if words.0 != 0 { return Self.takeHighest(&words.0, base: 0) }
            return nil
        }

        @inlinable
        static func takeHighest(_ word: inout UInt64, base: Int) -> Int {
            let bit = 63 - word.leadingZeroBitCount
            word &= ~(UInt64(1) << UInt64(bit))
            return base + bit
        }
    }
}
