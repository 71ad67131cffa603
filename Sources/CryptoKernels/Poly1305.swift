/// Poly1305 (RFC 8439 section 2.5) in radix 2^64: the accumulator is two 64-bit words plus a few
/// high bits, and each 16-byte block costs four 64x64->128 multiplications.
///
/// Short messages take the scalar path; from ``fourWayThreshold`` blocks on, `absorbPadded` runs four lanes in
/// the vector units (`Poly1305+FourWay.swift`).
public struct Poly1305<ISA: KernelISA> {
    @usableFromInline var r0: UInt64
    @usableFromInline var r1: UInt64
    /// `r1 + r1 / 4`: folds the 2^130 = 5 reduction into the multiplication (r1 is a multiple of 4).
    @usableFromInline var s1: UInt64
    @usableFromInline var h0: UInt64 = 0
    @usableFromInline var h1: UInt64 = 0
    @usableFromInline var h2: UInt64 = 0
    @usableFromInline var pad0: UInt64
    @usableFromInline var pad1: UInt64

    /// Starts a MAC with the 32-byte one-time key `r || s`, given as eight little-endian words.
    @inlinable @inline(__always)
    public init(key: SIMD8<UInt32>) {
        let k0 = UInt64(key[0]) | UInt64(key[1]) << 32
        let k1 = UInt64(key[2]) | UInt64(key[3]) << 32
        r0 = k0 & 0x0FFF_FFFC_0FFF_FFFF
        r1 = k1 & 0x0FFF_FFFC_0FFF_FFFC
        s1 = r1 &+ (r1 &>> 2)
        pad0 = UInt64(key[4]) | UInt64(key[5]) << 32
        pad1 = UInt64(key[6]) | UInt64(key[7]) << 32
    }

    /// Absorbs one block given as two little-endian words; `highBit` is 1 for a full block.
    @inlinable @inline(__always)
    mutating func absorb(_ m0: UInt64, _ m1: UInt64, highBit: UInt64) {
        // h += m
        let (a0, c0) = h0.addingReportingOverflow(m0)
        let (t1, c1a) = h1.addingReportingOverflow(m1)
        let (a1, c1b) = t1.addingReportingOverflow(c0 ? 1 : 0)
        let a2 = h2 &+ highBit &+ (c1a ? 1 : 0) &+ (c1b ? 1 : 0)

        // d = h * r, with the 2^130 wrap folded in through s1.
        let d0 = UInt128(a0) * UInt128(r0) &+ UInt128(a1) * UInt128(s1)
        let d1 = UInt128(a0) * UInt128(r1) &+ UInt128(a1) * UInt128(r0) &+ UInt128(a2 &* s1)
        let d2 = a2 &* r0

        // Partial reduction: keep h below about 2^131.
        let e1 = d1 &+ UInt128(UInt64(truncatingIfNeeded: d0 &>> 64))
        let e2 = d2 &+ UInt64(truncatingIfNeeded: e1 &>> 64)
        let carry = (e2 &>> 2) &* 5
        let (n0, k0) = UInt64(truncatingIfNeeded: d0).addingReportingOverflow(carry)
        let (n1, k1) = UInt64(truncatingIfNeeded: e1).addingReportingOverflow(k0 ? 1 : 0)
        h0 = n0
        h1 = n1
        h2 = (e2 & 3) &+ (k1 ? 1 : 0)
    }

    /// Absorbs `count` full 16-byte blocks starting at `pointer`.
    @inlinable @inline(__always)
    public mutating func absorbBlocks(_ pointer: UnsafeRawPointer, count: Int) {
        var p = pointer
        for _ in 0..<count {
            let m0 = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
            let m1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            absorb(m0, m1, highBit: 1)
            p += 16
        }
    }

    /// Absorbs `count` bytes, zero-padding the last partial block to 16 bytes (the AEAD's padding).
    @inlinable @inline(__always)
    public mutating func absorbPadded(_ pointer: UnsafeRawPointer, count: Int) {
        let full = count / 16
        if full >= Self.fourWayThreshold {
            let lanes = full & ~3
            absorbFourWay(pointer, count: lanes)
            absorbBlocks(pointer + lanes * 16, count: full - lanes)
        } else {
            absorbBlocks(pointer, count: full)
        }
        let rest = count - full * 16
        if rest > 0 {
            var m0: UInt64 = 0
            var m1: UInt64 = 0
            let tail = pointer + full * 16
            for i in 0..<rest {
                let byte = UInt64(tail.load(fromByteOffset: i, as: UInt8.self))
                if i < 8 { m0 |= byte << (UInt64(i) * 8) } else { m1 |= byte << (UInt64(i - 8) * 8) }
            }
            absorb(m0, m1, highBit: 1)
        }
    }

    /// Absorbs the AEAD's final block: the two lengths as little-endian 64-bit words.
    @inlinable @inline(__always)
    public mutating func absorbLengths(additionalData: Int, ciphertext: Int) {
        absorb(UInt64(additionalData), UInt64(ciphertext), highBit: 1)
    }

    /// Finishes the MAC: full reduction mod 2^130 - 5, then adds `s` mod 2^128.
    @inlinable @inline(__always)
    public func tag() -> (UInt64, UInt64) {
        // h may still exceed p once; compute h - p and keep it if it did not borrow.
        let (g0, b0) = h0.addingReportingOverflow(5)
        let (g1a, b1a) = h1.addingReportingOverflow(b0 ? 1 : 0)
        let g2 = h2 &+ (b1a ? 1 : 0)
        // h >= p exactly when h + 5 reaches 2^130.
        let mask = 0 &- ((g2 &>> 2) & 1)  // all ones when h >= p
        let f0 = (h0 & ~mask) | (g0 & mask)
        let f1 = (h1 & ~mask) | (g1a & mask)
        let (t0, c) = f0.addingReportingOverflow(pad0)
        let t1 = f1 &+ pad1 &+ (c ? 1 : 0)
        return (t0, t1)
    }
}
