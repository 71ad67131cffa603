import DataPlane

extension X25519 {
    /// An element of GF(2^255 - 19) in radix 2^51: value = l0 + l1·2^51 + l2·2^102 + l3·2^153 + l4·2^204.
    ///
    /// Five 51-bit limbs leave 13 bits of headroom per 64-bit word, so a few additions can be
    /// chained without carrying, and limb products fit in 128 bits with room for the sums the
    /// schoolbook multiply accumulates. The representation is not unique (limbs may exceed 2^51
    /// and the value may exceed p); only `bytes` produces the canonical encoding.
    ///
    /// Bounds the arithmetic relies on (every ladder step stays within them):
    /// - `*`, `squared()`, `timesA24()` accept limbs below 2^54 and return limbs below 2^51 + 2^13.
    /// - `+` returns the limb-wise sum without carrying (two products give limbs below 2^53).
    /// - `-` adds 4p before subtracting, so the subtrahend's limbs must stay below 2^53 - 76;
    ///   the result's limbs are below 2^54 when the minuend's are below 2^53.
    ///
    /// Every operation is straight-line code on the limbs: no branches or memory indexing that
    /// depend on the value, so timing reveals nothing about secret inputs.
    package struct FieldElement: Sendable {
        var l0: UInt64
        var l1: UInt64
        var l2: UInt64
        var l3: UInt64
        var l4: UInt64

        /// The low 51 bits of a limb.
        static let limbMask: UInt64 = (1 << 51) - 1

        @inline(__always)
        init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
            self.l0 = l0
            self.l1 = l1
            self.l2 = l2
            self.l3 = l3
            self.l4 = l4
        }

        package static let zero = FieldElement(0, 0, 0, 0, 0)
        package static let one = FieldElement(1, 0, 0, 0, 0)

        /// Decodes a little-endian u-coordinate, ignoring bit 255 as RFC 7748 section 5 requires.
        ///
        /// Values in [p, 2^255) are accepted unreduced; the arithmetic treats them as their residue.
        @inline(__always)
        package init(bytes: SIMD32<UInt8>) {
            let words = unsafeBitCast(bytes, to: SIMD4<UInt64>.self)
            let w0 = UInt64(littleEndian: words[0])
            let w1 = UInt64(littleEndian: words[1])
            let w2 = UInt64(littleEndian: words[2])
            let w3 = UInt64(littleEndian: words[3])
            let mask = Self.limbMask
            l0 = w0 & mask
            l1 = (w0 &>> 51 | w1 &<< 13) & mask
            l2 = (w1 &>> 38 | w2 &<< 26) & mask
            l3 = (w2 &>> 25 | w3 &<< 39) & mask
            l4 = (w3 &>> 12) & mask  // drops bit 255
        }

        /// The canonical little-endian encoding: the unique representative in [0, p).
        ///
        /// Reduction is done arithmetically (compute whether value >= p, then subtract p times that
        /// bit) rather than with a comparison branch, keeping the encoding constant-time.
        package var bytes: SIMD32<UInt8> {
            let mask = Self.limbMask
            // Two carry passes bring every limb below 2^51 except l0, which can pick up at most 19
            // from the final wrap; the value is then below 2^255 + 19 < 2p.
            var h = self
            h.carryAndWrap()
            h.carryAndWrap()

            // q = 1 exactly when value >= p, i.e. when value + 19 reaches 2^255.
            var q = (h.l0 &+ 19) &>> 51
            q = (h.l1 &+ q) &>> 51
            q = (h.l2 &+ q) &>> 51
            q = (h.l3 &+ q) &>> 51
            q = (h.l4 &+ q) &>> 51

            // value - q·p = value + 19q - q·2^255; the 2^255 term is the carry out of l4, dropped.
            var r0 = h.l0 &+ 19 &* q
            var r1 = h.l1 &+ (r0 &>> 51)
            r0 &= mask
            var r2 = h.l2 &+ (r1 &>> 51)
            r1 &= mask
            var r3 = h.l3 &+ (r2 &>> 51)
            r2 &= mask
            var r4 = h.l4 &+ (r3 &>> 51)
            r3 &= mask
            r4 &= mask

            let words = SIMD4<UInt64>(
                (r0 | r1 &<< 51).littleEndian,
                (r1 &>> 13 | r2 &<< 38).littleEndian,
                (r2 &>> 26 | r3 &<< 25).littleEndian,
                (r3 &>> 39 | r4 &<< 12).littleEndian
            )
            return unsafeBitCast(words, to: SIMD32<UInt8>.self)
        }

        /// One carry pass: every limb ends below 2^51 except l0, which absorbs 19 × (carry out of l4).
        @inline(__always)
        mutating func carryAndWrap() {
            let mask = Self.limbMask
            l1 &+= l0 &>> 51
            l0 &= mask
            l2 &+= l1 &>> 51
            l1 &= mask
            l3 &+= l2 &>> 51
            l2 &= mask
            l4 &+= l3 &>> 51
            l3 &= mask
            l0 &+= 19 &* (l4 &>> 51)
            l4 &= mask
        }

        /// Limb-wise sum without carrying; the headroom above 51 bits absorbs it.
        @inline(__always)
        static func + (a: FieldElement, b: FieldElement) -> FieldElement {
            FieldElement(a.l0 &+ b.l0, a.l1 &+ b.l1, a.l2 &+ b.l2, a.l3 &+ b.l3, a.l4 &+ b.l4)
        }

        /// a - b computed as (a + 4p) - b so no limb underflows while b's limbs stay below 2^53 - 76.
        @inline(__always)
        static func - (a: FieldElement, b: FieldElement) -> FieldElement {
            // 4p in radix 2^51: limb 0 is 4·(2^51 - 19), the rest 4·(2^51 - 1).
            let low: UInt64 = (1 << 53) &- 76
            let high: UInt64 = (1 << 53) &- 4
            return FieldElement(
                (a.l0 &+ low) &- b.l0,
                (a.l1 &+ high) &- b.l1,
                (a.l2 &+ high) &- b.l2,
                (a.l3 &+ high) &- b.l3,
                (a.l4 &+ high) &- b.l4
            )
        }

        /// Carries five 128-bit column sums down to 51-bit limbs, folding the overflow above
        /// 2^255 back in as ×19 (since 2^255 ≡ 19 mod p).
        ///
        /// With limb inputs below 2^54 the top column stays below 2^111, so the carry out of it
        /// times 19 still fits in 64 bits.
        @inline(__always)
        static func reduce(
            _ c0: UInt128, _ c1: UInt128, _ c2: UInt128, _ c3: UInt128, _ c4: UInt128
        ) -> FieldElement {
            let mask = limbMask
            let c1 = c1 &+ (c0 &>> 51)
            let c2 = c2 &+ (c1 &>> 51)
            let c3 = c3 &+ (c2 &>> 51)
            let c4 = c4 &+ (c3 &>> 51)
            var r0 = UInt64(truncatingIfNeeded: c0) & mask
            var r1 = UInt64(truncatingIfNeeded: c1) & mask
            let r2 = UInt64(truncatingIfNeeded: c2) & mask
            let r3 = UInt64(truncatingIfNeeded: c3) & mask
            let r4 = UInt64(truncatingIfNeeded: c4) & mask
            r0 &+= 19 &* UInt64(truncatingIfNeeded: c4 &>> 51)
            r1 &+= r0 &>> 51
            r0 &= mask
            return FieldElement(r0, r1, r2, r3, r4)
        }

        /// Schoolbook product; columns that pass 2^255 are multiplied by 19 up front.
        ///
        /// Each limb is widened to `UInt128` once and the products are taken there: LLVM sees both
        /// operands are zero-extended 64-bit values and emits one 64×64 → 128 `mul` per product, and
        /// unoptimized (test) builds pay for 14 generic integer conversions instead of 50. The ×19
        /// factors are formed in 64 bits first (they fit, given the input bounds) so the compiler
        /// keeps them single-word.
        @inline(__always)
        package static func * (a: FieldElement, b: FieldElement) -> FieldElement {
            let a0 = UInt128(a.l0), a1 = UInt128(a.l1), a2 = UInt128(a.l2)
            let a3 = UInt128(a.l3), a4 = UInt128(a.l4)
            let b0 = UInt128(b.l0), b1 = UInt128(b.l1), b2 = UInt128(b.l2)
            let b3 = UInt128(b.l3), b4 = UInt128(b.l4)
            let b1x19 = UInt128(b.l1 &* 19), b2x19 = UInt128(b.l2 &* 19)
            let b3x19 = UInt128(b.l3 &* 19), b4x19 = UInt128(b.l4 &* 19)

            let c0 = a0 &* b0 &+ a1 &* b4x19 &+ a2 &* b3x19 &+ a3 &* b2x19 &+ a4 &* b1x19
            let c1 = a0 &* b1 &+ a1 &* b0 &+ a2 &* b4x19 &+ a3 &* b3x19 &+ a4 &* b2x19
            let c2 = a0 &* b2 &+ a1 &* b1 &+ a2 &* b0 &+ a3 &* b4x19 &+ a4 &* b3x19
            let c3 = a0 &* b3 &+ a1 &* b2 &+ a2 &* b1 &+ a3 &* b0 &+ a4 &* b4x19
            let c4 = a0 &* b4 &+ a1 &* b3 &+ a2 &* b2 &+ a3 &* b1 &+ a4 &* b0
            return reduce(c0, c1, c2, c3, c4)
        }

        /// Squaring shares the symmetric cross terms, needing 15 limb products instead of 25.
        @inline(__always)
        func squared() -> FieldElement {
            let a0 = UInt128(l0), a1 = UInt128(l1), a2 = UInt128(l2), a3 = UInt128(l3), a4 = UInt128(l4)
            let a0x2 = UInt128(l0 &* 2), a1x2 = UInt128(l1 &* 2)
            let a1x38 = UInt128(l1 &* 38), a2x38 = UInt128(l2 &* 38), a3x38 = UInt128(l3 &* 38)
            let a3x19 = UInt128(l3 &* 19), a4x19 = UInt128(l4 &* 19)

            let c0 = a0 &* a0 &+ a1x38 &* a4 &+ a2x38 &* a3
            let c1 = a0x2 &* a1 &+ a2x38 &* a4 &+ a3x19 &* a3
            let c2 = a0x2 &* a2 &+ a1 &* a1 &+ a3x38 &* a4
            let c3 = a0x2 &* a3 &+ a1x2 &* a2 &+ a4x19 &* a4
            let c4 = a0x2 &* a4 &+ a1x2 &* a3 &+ a2 &* a2
            return Self.reduce(c0, c1, c2, c3, c4)
        }

        /// Squares `count` times in a row; `count` is a public constant of the addition chain.
        @inline(__always)
        func squared(times count: Int) -> FieldElement {
            var result = self
            for _ in 0..<count {
                result = result.squared()
            }
            return result
        }

        /// Multiplies by a24 = (486662 - 2) / 4 = 121665, the curve constant in the ladder's doubling.
        @inline(__always)
        func timesA24() -> FieldElement {
            let a24: UInt128 = 121_665
            return Self.reduce(UInt128(l0) &* a24, UInt128(l1) &* a24, UInt128(l2) &* a24,
                               UInt128(l3) &* a24, UInt128(l4) &* a24)
        }

        /// The multiplicative inverse via Fermat's little theorem, self^(p-2); maps zero to zero,
        /// which is exactly what RFC 7748 wants for the point at infinity.
        ///
        /// Exponentiation by the fixed public exponent runs the same sequence of 254 squarings and
        /// 11 multiplications for every input, unlike a (variable-time) extended Euclid.
        package func inverted() -> FieldElement {
            // Names record the exponent reached: x5_0 is self^(2^5 - 1), and so on.
            let x2 = squared()  // 2
            let x9 = x2.squared(times: 2) * self  // 9
            let x11 = x9 * x2  // 11
            let x5_0 = x11.squared() * x9  // 31 = 2^5 - 1
            let x10_0 = x5_0.squared(times: 5) * x5_0  // 2^10 - 1
            let x20_0 = x10_0.squared(times: 10) * x10_0  // 2^20 - 1
            let x40_0 = x20_0.squared(times: 20) * x20_0  // 2^40 - 1
            let x50_0 = x40_0.squared(times: 10) * x10_0  // 2^50 - 1
            let x100_0 = x50_0.squared(times: 50) * x50_0  // 2^100 - 1
            let x200_0 = x100_0.squared(times: 100) * x100_0  // 2^200 - 1
            let x250_0 = x200_0.squared(times: 50) * x50_0  // 2^250 - 1
            return x250_0.squared(times: 5) * x11  // 2^255 - 32 + 11 = p - 2
        }

        /// Exchanges `a` and `b` when `mask` is all ones and leaves them when it is zero, touching
        /// both the same way either way so the choice leaves no timing or memory-access trace.
        @inline(__always)
        static func conditionalSwap(_ a: inout FieldElement, _ b: inout FieldElement, mask: UInt64) {
            let t0 = mask & (a.l0 ^ b.l0)
            let t1 = mask & (a.l1 ^ b.l1)
            let t2 = mask & (a.l2 ^ b.l2)
            let t3 = mask & (a.l3 ^ b.l3)
            let t4 = mask & (a.l4 ^ b.l4)
            a.l0 ^= t0
            a.l1 ^= t1
            a.l2 ^= t2
            a.l3 ^= t3
            a.l4 ^= t4
            b.l0 ^= t0
            b.l1 ^= t1
            b.l2 ^= t2
            b.l3 ^= t3
            b.l4 ^= t4
        }
    }
}
