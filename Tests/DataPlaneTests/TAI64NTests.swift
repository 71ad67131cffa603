import Testing
import DataPlane

@Suite("TAI64N")
struct TAI64NTests {
    static func encode(_ stamp: TAI64N) -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: TAI64N.byteCount)
        out.withUnsafeMutableBytes { stamp.store(into: $0) }
        return out
    }

    /// Unix second 1 700 000 000 (0x6553F100) with 123 456 789 ns (0x075BCD15): the label is
    /// 0x400000000000000A + 0x6553F100, both fields big-endian, seconds first.
    @Test func encodesBigEndianLabelThenNanoseconds() {
        let stamp = TAI64N(unixSeconds: 1_700_000_000, nanoseconds: 123_456_789)
        #expect(stamp.secondsLabel == 0x4000_0000_6553_F10A)
        #expect(Self.encode(stamp) == [
            0x40, 0x00, 0x00, 0x00, 0x65, 0x53, 0xF1, 0x0A,
            0x07, 0x5B, 0xCD, 0x15,
        ])
    }

    @Test func unixEpochEncodesAsTAI64EpochPlusTenSeconds() {
        #expect(Self.encode(TAI64N(unixSeconds: 0, nanoseconds: 0)) == [
            0x40, 0, 0, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0,
        ])
    }

    @Test func decodingRoundTripsAndRejectsWrongLengths() {
        let stamp = TAI64N(unixSeconds: 1_234_567_890, nanoseconds: 999_999_999)
        let encoded = Self.encode(stamp)
        #expect(encoded.withUnsafeBytes { TAI64N($0) } == stamp)
        #expect(encoded.withUnsafeBytes { TAI64N(loadingFrom: $0.baseAddress!) } == stamp)
        #expect(stamp.unixSeconds == 1_234_567_890)
        #expect((encoded + [0]).withUnsafeBytes { TAI64N($0) } == nil)
        #expect(encoded.dropLast().withUnsafeBytes { TAI64N($0) } == nil)
    }

    @Test func laterTimesCompareGreater() {
        let base = TAI64N(unixSeconds: 1_700_000_000, nanoseconds: 500)
        #expect(base < TAI64N(unixSeconds: 1_700_000_000, nanoseconds: 501))
        #expect(base < TAI64N(unixSeconds: 1_700_000_001, nanoseconds: 0))
        // A later second wins even with fewer nanoseconds.
        #expect(TAI64N(unixSeconds: 1_699_999_999, nanoseconds: 999_999_999) < base)
        #expect(!(base < base))
        #expect(TAI64N(unixSeconds: -1, nanoseconds: 0) < TAI64N(unixSeconds: 0, nanoseconds: 0))
    }

    /// The replay check in WireGuard is a byte-wise comparison of encodings; `<` must agree with it for
    /// every pair, including decoded stamps with out-of-range nanoseconds.
    @Test func orderingMatchesLexicographicOrderOfEncodings() {
        let stamps = [
            TAI64N(secondsLabel: 0x4000_0000_0000_0000, nanoseconds: 0),
            TAI64N(secondsLabel: 0x4000_0000_0000_0000, nanoseconds: 0xFFFF_FFFF),
            TAI64N(secondsLabel: 0x4000_0000_0000_00FF, nanoseconds: 1),
            TAI64N(secondsLabel: 0x4000_0000_0000_0100, nanoseconds: 0),
            TAI64N(secondsLabel: 0x4000_0001_0000_0000, nanoseconds: 0x0100_0000),
            TAI64N(secondsLabel: 0x4000_0001_0000_0000, nanoseconds: 0x00FF_FFFF),
            TAI64N(unixSeconds: 1_700_000_000, nanoseconds: 1),
        ]
        for lhs in stamps {
            for rhs in stamps {
                let bytewise = Self.encode(lhs).lexicographicallyPrecedes(Self.encode(rhs))
                #expect((lhs < rhs) == bytewise)
            }
        }
    }
}
