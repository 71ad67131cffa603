/// The RFC 1071 ones'-complement sum over large buffers, 8 bytes per step, for the offload code.
///
/// ``InternetChecksum`` adds one 16-bit word per step, which is fine for a header but slow over a 64 KiB
/// super-packet. This sums 32-bit words in the host's byte order into 64-bit accumulators (no carry handling
/// needed below 2^32 additions), 32 bytes per step in SIMD lanes, and swaps the folded result once, which the
/// ones'-complement sum allows (RFC 1071, "byte order independence"). The lanes halve the time of the scalar
/// loop even at the x86-64 baseline (SSE2): the checksums of split and coalesced segments were about 5% of a
/// tunnel's CPU at full TCP speed.
@usableFromInline
enum OffloadChecksum {
    /// The sum of `count` bytes at `start` as big-endian 16-bit words (an odd last byte padded with zero),
    /// folded to 16 bits, not inverted. `start` must be at an even offset within what is being summed.
    @inlinable
    static func sum(_ start: UnsafeRawPointer, count: Int) -> UInt32 {
        var lanesA = SIMD4<UInt64>()
        var lanesB = SIMD4<UInt64>()
        var index = 0
        while index + 32 <= count {
            let words = start.loadUnaligned(fromByteOffset: index, as: SIMD8<UInt32>.self)
            lanesA &+= SIMD4<UInt64>(truncatingIfNeeded: words.lowHalf)
            lanesB &+= SIMD4<UInt64>(truncatingIfNeeded: words.highHalf)
            index += 32
        }
        let lanes = lanesA &+ lanesB
        var low: UInt64 = lanes[0] &+ lanes[1]
        var high: UInt64 = lanes[2] &+ lanes[3]
        while index + 16 <= count {
            let first = start.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let second = start.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
            low &+= first & 0xFFFF_FFFF
            high &+= first >> 32
            low &+= second & 0xFFFF_FFFF
            high &+= second >> 32
            index += 16
        }
        while index + 4 <= count {
            low &+= UInt64(start.loadUnaligned(fromByteOffset: index, as: UInt32.self))
            index += 4
        }
        if index + 2 <= count {
            low &+= UInt64(start.loadUnaligned(fromByteOffset: index, as: UInt16.self))
            index += 2
        }
        if index < count {
            // The odd byte is the high half of a big-endian word: where the host would load it.
            let byte = UInt64(start.load(fromByteOffset: index, as: UInt8.self))
            #if _endian(little)
            low &+= byte
            #else
            low &+= byte << 8
            #endif
        }
        let native = fold(low &+ high)
        return UInt32(UInt16(bigEndian: native))
    }

    /// `value` folded to 16 bits with end-around carries.
    @inlinable
    static func fold(_ value: UInt64) -> UInt16 {
        var folded = (value & 0xFFFF_FFFF) &+ (value >> 32)
        folded = (folded & 0xFFFF) &+ (folded >> 16)
        folded = (folded & 0xFFFF) &+ (folded >> 16)
        folded = (folded & 0xFFFF) &+ (folded >> 16)
        return UInt16(truncatingIfNeeded: folded)
    }

    /// The partial sum of the TCP/UDP pseudo-header: `addressSum` (source and destination), protocol, length.
    @inlinable
    static func pseudoHeader(addressSum: UInt32, protocol ipProtocol: UInt8, length: Int) -> UInt32 {
        UInt32(fold(UInt64(addressSum) &+ UInt64(ipProtocol) &+ UInt64(length)))
    }

    /// Recomputes the IPv4 header checksum of the header at `header` (`length` bytes) in place.
    @inlinable
    static func updateIPv4Header(_ header: UnsafeMutableRawPointer, length: Int) {
        header.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
        let value = ~fold(UInt64(sum(header, count: length)))
        header.storeBytes(of: value.bigEndian, toByteOffset: 10, as: UInt16.self)
    }
}

/// Big-endian field access for the offload code.
extension UnsafeRawPointer {
    @inlinable
    func loadBigEndian16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    func loadBigEndian32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

extension UnsafeMutableRawPointer {
    @inlinable
    func storeBigEndian16(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inlinable
    func storeBigEndian32(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
}
