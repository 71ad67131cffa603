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

    /// XORs keystream rows `firstRow ..< 16` into `count` bytes at `data`.
    @inlinable @inline(__always)
    static func xorRows(_ ks: ChaCha20x8<ISA>.Keystream, firstRow: Int, _ data: UnsafeMutableRawPointer, count: Int) {
        if firstRow == 0 && count >= 512 {
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
        // Partial batches go through memory: indexing the tuple by a run-time row number would compile
        // to a jump table per row, which measured slower than sixteen stores and loads.
        var stream = ks
        withUnsafeMutableBytes(of: &stream) { raw in
            let base = raw.baseAddress!
            #if _endian(big)
            for row in 0..<16 {
                storeWords(base.loadUnaligned(fromByteOffset: row * 32, as: SIMD8<UInt32>.self), base + row * 32)
            }
            #endif
            let source = UnsafeRawPointer(base + firstRow * 32)
            let limit = min(count, 512 - firstRow * 32)
            var i = 0
            while i + 32 <= limit {
                let k = source.loadUnaligned(fromByteOffset: i, as: SIMD8<UInt32>.self)
                let d = (data + i).loadUnaligned(as: SIMD8<UInt32>.self)
                (data + i).storeBytes(of: d ^ k, as: SIMD8<UInt32>.self)
                i += 32
            }
            while i + 8 <= limit {
                let k = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let d = (data + i).loadUnaligned(as: UInt64.self)
                (data + i).storeBytes(of: d ^ k, as: UInt64.self)
                i += 8
            }
            while i < limit {
                let k = source.load(fromByteOffset: i, as: UInt8.self)
                (data + i).storeBytes(of: (data + i).load(as: UInt8.self) ^ k, as: UInt8.self)
                i += 1
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

    /// XORs the keystream from block 1 on into `count` bytes at `data` (block 0 keyed the MAC).
    @inlinable @inline(__always)
    static func crypt(key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, first: ChaCha20x8<ISA>.Keystream,
                      _ data: UnsafeMutableRawPointer, count: Int) {
        xorRows(first, firstRow: 2, data, count: min(count, firstChunk))
        var done = firstChunk
        var counter: UInt32 = 8
        while done < count {
            let n = min(count - done, 512)
            xorRows(ChaCha20x8<ISA>.keystream(key: key, counter: counter, nonce: nonce), firstRow: 0, data + done,
                    count: n)
            done += n
            counter &+= 8
        }
    }

    /// Encrypts `count` bytes at `data` in place and writes the 16-byte tag.
    ///
    /// Two passes: ChaCha20 over the whole message, then Poly1305 over the ciphertext, which for a long
    /// message runs four lanes wide in the vector units. By the time the MAC loads a block, the store that
    /// wrote it has long left the store buffer (loads of data stored just before wait on forwarding).
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
            crypt(key: key, nonce: nonce, first: first, data, count: count)
            poly.absorbPadded(data, count: count)
        }
        poly.absorbLengths(additionalData: additionalData.count, ciphertext: count)
        writeTag(poly, tag)
    }

    /// Verifies the tag and decrypts in place.
    ///
    /// The tag is checked over the ciphertext before anything is decrypted, so a forged message leaves the
    /// buffer as it came and a caller never sees unauthenticated plaintext. Returns whether the tag matched.
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
        if let data, count > 0 {
            poly.absorbPadded(data, count: count)
        }
        poly.absorbLengths(additionalData: additionalData.count, ciphertext: count)
        let expected0 = UInt64(littleEndian: tag.loadUnaligned(as: UInt64.self))
        let expected1 = UInt64(littleEndian: tag.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let (t0, t1) = poly.tag()
        // Constant time: no early exit on the first differing bit.
        guard (t0 ^ expected0) | (t1 ^ expected1) == 0 else { return false }
        if let data, count > 0 {
            crypt(key: key, nonce: nonce, first: first, data, count: count)
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
