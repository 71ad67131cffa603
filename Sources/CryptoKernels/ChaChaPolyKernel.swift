/// The ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8), in place with a detached tag.
///
/// All of it is `@inlinable @inline(__always)`: the portable build and each per-ISA target
/// (`CryptoKernelsAVX2`, `CryptoKernelsAVX512`) instantiate their own copy from the same source.
/// `nonce` is the 96-bit nonce as three little-endian words (the fourth lane is ignored).
public enum ChaChaPolyKernel<ISA: KernelISA> {
    @inlinable @inline(__always)
    static func loadWords(_ p: UnsafeRawPointer) -> SIMD8<UInt32> {
        let v = p.loadUnaligned(as: SIMD8<UInt32>.self)
        #if _endian(big)
        return SIMD8(v[0].byteSwapped, v[1].byteSwapped, v[2].byteSwapped, v[3].byteSwapped,
                     v[4].byteSwapped, v[5].byteSwapped, v[6].byteSwapped, v[7].byteSwapped)
        #else
        return v
        #endif
    }

    @inlinable @inline(__always)
    static func storeWords(_ v: SIMD8<UInt32>, _ p: UnsafeMutableRawPointer) {
        #if _endian(big)
        let s = SIMD8(v[0].byteSwapped, v[1].byteSwapped, v[2].byteSwapped, v[3].byteSwapped,
                      v[4].byteSwapped, v[5].byteSwapped, v[6].byteSwapped, v[7].byteSwapped)
        p.storeBytes(of: s, as: SIMD8<UInt32>.self)
        #else
        p.storeBytes(of: v, as: SIMD8<UInt32>.self)
        #endif
    }

    @inlinable @inline(__always)
    static func row(_ ks: ChaCha20x8<ISA>.Keystream, _ i: Int) -> SIMD8<UInt32> {
        switch i {
        case 0: return ks.0
        case 1: return ks.1
        case 2: return ks.2
        case 3: return ks.3
        case 4: return ks.4
        case 5: return ks.5
        case 6: return ks.6
        case 7: return ks.7
        case 8: return ks.8
        case 9: return ks.9
        case 10: return ks.10
        case 11: return ks.11
        case 12: return ks.12
        case 13: return ks.13
        case 14: return ks.14
        default: return ks.15
        }
    }

    /// XORs keystream rows `firstRow ..< 16` into `count` bytes at `data`.
    @inlinable @inline(__always)
    static func xorRows(_ ks: ChaCha20x8<ISA>.Keystream, firstRow: Int, _ data: UnsafeMutableRawPointer, count: Int) {
        let fullRows = min(count / 32, 16 - firstRow)
        var offset = 0
        if firstRow == 0 && fullRows == 16 {
            // The common case, written out so every row stays in a register.
            storeWords(loadWords(data) ^ ks.0, data)
            storeWords(loadWords(data + 32) ^ ks.1, data + 32)
            storeWords(loadWords(data + 64) ^ ks.2, data + 64)
            storeWords(loadWords(data + 96) ^ ks.3, data + 96)
            storeWords(loadWords(data + 128) ^ ks.4, data + 128)
            storeWords(loadWords(data + 160) ^ ks.5, data + 160)
            storeWords(loadWords(data + 192) ^ ks.6, data + 192)
            storeWords(loadWords(data + 224) ^ ks.7, data + 224)
            storeWords(loadWords(data + 256) ^ ks.8, data + 256)
            storeWords(loadWords(data + 288) ^ ks.9, data + 288)
            storeWords(loadWords(data + 320) ^ ks.10, data + 320)
            storeWords(loadWords(data + 352) ^ ks.11, data + 352)
            storeWords(loadWords(data + 384) ^ ks.12, data + 384)
            storeWords(loadWords(data + 416) ^ ks.13, data + 416)
            storeWords(loadWords(data + 448) ^ ks.14, data + 448)
            storeWords(loadWords(data + 480) ^ ks.15, data + 480)
            return
        }
        for i in 0..<fullRows {
            let p = data + offset
            storeWords(loadWords(p) ^ row(ks, firstRow + i), p)
            offset += 32
        }
        let rest = count - offset
        if rest > 0 && firstRow + fullRows < 16 {
            // Partial row: go through a 32-byte stack copy so we never touch bytes past the end.
            var tail = row(ks, firstRow + fullRows)
            #if _endian(big)
            tail = SIMD8(tail[0].byteSwapped, tail[1].byteSwapped, tail[2].byteSwapped, tail[3].byteSwapped,
                         tail[4].byteSwapped, tail[5].byteSwapped, tail[6].byteSwapped, tail[7].byteSwapped)
            #endif
            withUnsafeBytes(of: &tail) { ksBytes in
                let p = data + offset
                for j in 0..<min(rest, 32) {
                    p.storeBytes(of: p.load(fromByteOffset: j, as: UInt8.self) ^ ksBytes[j], toByteOffset: j,
                                 as: UInt8.self)
                }
            }
        }
    }

    /// Bytes of message the first batch covers: blocks 1...7, after block 0 gave the Poly1305 key.
    @inlinable @inline(__always)
    static var firstChunk: Int { 448 }

    @inlinable @inline(__always)
    static func writeTag(_ poly: Poly1305<ISA>, _ tag: UnsafeMutableRawPointer) {
        let (t0, t1) = poly.tag()
        tag.storeBytes(of: t0.littleEndian, toByteOffset: 0, as: UInt64.self)
        tag.storeBytes(of: t1.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Encrypts `count` bytes at `data` in place and writes the 16-byte tag.
    ///
    /// Poly1305 trails ChaCha20 by one batch: the MAC of the ciphertext just written and the keystream
    /// for the next 512 bytes do not depend on each other, so an out-of-order core runs the scalar
    /// multiplications beside the vector rounds. (Interleaving them by hand inside the round loop was
    /// measured slower: it forces the sixteen state vectors to spill.)
    @inlinable @inline(__always)
    public static func seal(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>,
        data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        let first = ChaCha20x8<ISA>.keystream(key: key, counter: 0, nonce: nonce)
        var poly = Poly1305<ISA>(key: first.0)
        if let ad = additionalData.baseAddress {
            poly.absorbPadded(ad, count: additionalData.count)
        }
        if let data, count > 0 {
            let head = min(count, firstChunk)
            xorRows(first, firstRow: 2, data, count: head)
            var macked = 0
            var done = head
            var counter: UInt32 = 8
            while done < count {
                // Everything before `done` is ciphertext in whole 16-byte blocks (448 and 512 are multiples).
                poly.absorbBlocks(data + macked, count: (done - macked) / 16)
                let ks = ChaCha20x8<ISA>.keystream(key: key, counter: counter, nonce: nonce)
                macked = done
                let n = min(count - done, 512)
                xorRows(ks, firstRow: 0, data + done, count: n)
                done += n
                counter &+= 8
            }
            poly.absorbPadded(data + macked, count: count - macked)
        }
        poly.absorbLengths(additionalData: additionalData.count, ciphertext: count)
        writeTag(poly, tag)
    }

    /// Verifies the tag and decrypts in place.
    ///
    /// Up to 448 bytes the tag is checked before anything is decrypted. Longer messages are decrypted
    /// while the MAC runs (the same pipelining as `seal`); if the tag then does not match, the buffer is
    /// zeroed, so a caller never sees unauthenticated plaintext. Returns whether the tag matched.
    @inlinable @inline(__always)
    public static func open(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>,
        data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) -> Bool {
        let first = ChaCha20x8<ISA>.keystream(key: key, counter: 0, nonce: nonce)
        var poly = Poly1305<ISA>(key: first.0)
        if let ad = additionalData.baseAddress {
            poly.absorbPadded(ad, count: additionalData.count)
        }
        let expected0 = UInt64(littleEndian: tag.loadUnaligned(as: UInt64.self))
        let expected1 = UInt64(littleEndian: tag.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard let data, count > 0 else {
            poly.absorbLengths(additionalData: additionalData.count, ciphertext: 0)
            let (t0, t1) = poly.tag()
            return (t0 ^ expected0) | (t1 ^ expected1) == 0
        }
        if count <= firstChunk {
            poly.absorbPadded(data, count: count)
            poly.absorbLengths(additionalData: additionalData.count, ciphertext: count)
            let (t0, t1) = poly.tag()
            // Constant time: no early exit on the first differing bit.
            guard (t0 ^ expected0) | (t1 ^ expected1) == 0 else { return false }
            xorRows(first, firstRow: 2, data, count: count)
            return true
        }
        // The chunk waiting for decryption is absorbed (still ciphertext) next to making the next keystream.
        var pending = first
        var pendingRow = 2
        var pendingStart = 0
        var pendingCount = firstChunk
        var counter: UInt32 = 8
        while pendingStart + pendingCount < count {
            poly.absorbBlocks(data + pendingStart, count: pendingCount / 16)
            let ks = ChaCha20x8<ISA>.keystream(key: key, counter: counter, nonce: nonce)
            xorRows(pending, firstRow: pendingRow, data + pendingStart, count: pendingCount)
            pendingStart += pendingCount
            pendingCount = min(count - pendingStart, 512)
            pending = ks
            pendingRow = 0
            counter &+= 8
        }
        poly.absorbPadded(data + pendingStart, count: pendingCount)
        xorRows(pending, firstRow: pendingRow, data + pendingStart, count: pendingCount)
        poly.absorbLengths(additionalData: additionalData.count, ciphertext: count)
        let (t0, t1) = poly.tag()
        guard (t0 ^ expected0) | (t1 ^ expected1) == 0 else {
            data.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            return false
        }
        return true
    }

    /// HChaCha20 subkey and the ChaCha20 nonce that XChaCha20 derives from a 24-byte nonce.
    @inlinable @inline(__always)
    public static func extendedNonce(key: SIMD8<UInt32>, nonce: UnsafeRawPointer) -> (SIMD8<UInt32>, SIMD4<UInt32>) {
        var n = SIMD8<UInt32>()
        for i in 0..<6 {
            n[i] = UInt32(littleEndian: nonce.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        }
        let subkey = ChaCha20Block<ISA>.hChaCha20(key: key, nonce: SIMD4(n[0], n[1], n[2], n[3]))
        return (subkey, SIMD4(0, n[4], n[5], 0))
    }
}
