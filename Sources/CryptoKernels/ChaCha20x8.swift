/// Eight ChaCha20 blocks at once, one block per SIMD lane.
///
/// Each of the sixteen state words is a `SIMD8<UInt32>` holding that word for eight consecutive
/// counters, so a quarter round is a handful of whole-vector adds, xors and rotates. Compiled for AVX2
/// this is one ymm register per word; the final transpose turns lanes back into contiguous blocks.
/// Everything is `@inline(__always)` so that each per-ISA target generates its own machine code.
public struct ChaCha20x8<ISA: KernelISA> {
    /// Sixteen 32-byte rows: row `2 * b` is the first half of block `b`, row `2 * b + 1` its second half.
    public typealias Keystream = (
        SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>,
        SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>,
        SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>,
        SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>
    )

    @inlinable @inline(__always)
    static func rotl16(_ x: SIMD8<UInt32>) -> SIMD8<UInt32> { (x &<< 16) | (x &>> 16) }
    @inlinable @inline(__always)
    static func rotl12(_ x: SIMD8<UInt32>) -> SIMD8<UInt32> { (x &<< 12) | (x &>> 20) }
    @inlinable @inline(__always)
    static func rotl8(_ x: SIMD8<UInt32>) -> SIMD8<UInt32> { (x &<< 8) | (x &>> 24) }
    @inlinable @inline(__always)
    static func rotl7(_ x: SIMD8<UInt32>) -> SIMD8<UInt32> { (x &<< 7) | (x &>> 25) }

    @inlinable @inline(__always)
    static func quarter(
        _ a: inout SIMD8<UInt32>, _ b: inout SIMD8<UInt32>, _ c: inout SIMD8<UInt32>, _ d: inout SIMD8<UInt32>
    ) {
        a &+= b; d ^= a; d = rotl16(d)
        c &+= d; b ^= c; b = rotl12(b)
        a &+= b; d ^= a; d = rotl8(d)
        c &+= d; b ^= c; b = rotl7(b)
    }

    // 8x8 transpose in three stages, written as element builds that LLVM folds into
    // unpack/permute shuffles (vpunpck*dq, vperm2i128 on AVX2).
    @inlinable @inline(__always)
    static func unpackLow32(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        SIMD8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5])
    }
    @inlinable @inline(__always)
    static func unpackHigh32(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        SIMD8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7])
    }
    @inlinable @inline(__always)
    static func unpackLow64(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        SIMD8(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5])
    }
    @inlinable @inline(__always)
    static func unpackHigh64(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        SIMD8(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7])
    }
    @inlinable @inline(__always)
    static func lowLanes(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        SIMD8(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3])
    }
    @inlinable @inline(__always)
    static func highLanes(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> {
        SIMD8(a[4], a[5], a[6], a[7], b[4], b[5], b[6], b[7])
    }

    /// Transposes rows `r0...r7` (row = one state word across eight blocks) into eight rows of eight
    /// words each (row = eight consecutive words of one block).
    @inlinable @inline(__always)
    static func transpose(
        _ r0: SIMD8<UInt32>, _ r1: SIMD8<UInt32>, _ r2: SIMD8<UInt32>, _ r3: SIMD8<UInt32>,
        _ r4: SIMD8<UInt32>, _ r5: SIMD8<UInt32>, _ r6: SIMD8<UInt32>, _ r7: SIMD8<UInt32>
    ) -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>,
          SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
        let t0 = unpackLow32(r0, r1), t1 = unpackHigh32(r0, r1)
        let t2 = unpackLow32(r2, r3), t3 = unpackHigh32(r2, r3)
        let t4 = unpackLow32(r4, r5), t5 = unpackHigh32(r4, r5)
        let t6 = unpackLow32(r6, r7), t7 = unpackHigh32(r6, r7)
        let u0 = unpackLow64(t0, t2), u1 = unpackHigh64(t0, t2)
        let u2 = unpackLow64(t1, t3), u3 = unpackHigh64(t1, t3)
        let u4 = unpackLow64(t4, t6), u5 = unpackHigh64(t4, t6)
        let u6 = unpackLow64(t5, t7), u7 = unpackHigh64(t5, t7)
        return (
            lowLanes(u0, u4), lowLanes(u1, u5), lowLanes(u2, u6), lowLanes(u3, u7),
            highLanes(u0, u4), highLanes(u1, u5), highLanes(u2, u6), highLanes(u3, u7)
        )
    }

    /// Keystream for the eight blocks `counter ..< counter + 8` (the 32-bit counter wraps, as in RFC 8439).
    @inlinable @inline(__always)
    public static func keystream(key: SIMD8<UInt32>, counter: UInt32, nonce: SIMD4<UInt32>) -> Keystream {
        let c = ChaCha20Block<ISA>.constants
        let i0 = SIMD8<UInt32>(repeating: c[0]), i1 = SIMD8<UInt32>(repeating: c[1])
        let i2 = SIMD8<UInt32>(repeating: c[2]), i3 = SIMD8<UInt32>(repeating: c[3])
        let i4 = SIMD8<UInt32>(repeating: key[0]), i5 = SIMD8<UInt32>(repeating: key[1])
        let i6 = SIMD8<UInt32>(repeating: key[2]), i7 = SIMD8<UInt32>(repeating: key[3])
        let i8 = SIMD8<UInt32>(repeating: key[4]), i9 = SIMD8<UInt32>(repeating: key[5])
        let i10 = SIMD8<UInt32>(repeating: key[6]), i11 = SIMD8<UInt32>(repeating: key[7])
        let i12 = SIMD8<UInt32>(repeating: counter) &+ SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        let i13 = SIMD8<UInt32>(repeating: nonce[0]), i14 = SIMD8<UInt32>(repeating: nonce[1])
        let i15 = SIMD8<UInt32>(repeating: nonce[2])

        var x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7
        var x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = i12, x13 = i13, x14 = i14, x15 = i15
        for _ in 0..<10 {
            quarter(&x0, &x4, &x8, &x12)
            quarter(&x1, &x5, &x9, &x13)
            quarter(&x2, &x6, &x10, &x14)
            quarter(&x3, &x7, &x11, &x15)
            quarter(&x0, &x5, &x10, &x15)
            quarter(&x1, &x6, &x11, &x12)
            quarter(&x2, &x7, &x8, &x13)
            quarter(&x3, &x4, &x9, &x14)
        }
        x0 &+= i0; x1 &+= i1; x2 &+= i2; x3 &+= i3; x4 &+= i4; x5 &+= i5; x6 &+= i6; x7 &+= i7
        x8 &+= i8; x9 &+= i9; x10 &+= i10; x11 &+= i11; x12 &+= i12; x13 &+= i13; x14 &+= i14; x15 &+= i15

        let lo = transpose(x0, x1, x2, x3, x4, x5, x6, x7)
        let hi = transpose(x8, x9, x10, x11, x12, x13, x14, x15)
        return (lo.0, hi.0, lo.1, hi.1, lo.2, hi.2, lo.3, hi.3, lo.4, hi.4, lo.5, hi.5, lo.6, hi.6, lo.7, hi.7)
    }
}
