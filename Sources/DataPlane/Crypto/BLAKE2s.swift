/// BLAKE2s (RFC 7693): a hash over 32-bit words with an optional key and a 1 to 32 byte output.
///
/// WireGuard builds its handshake on it: `HASH` is BLAKE2s-256, `MAC` (MAC1, MAC2, the cookie) is keyed
/// BLAKE2s with a 16-byte output, and `HMAC`/`KDF` wrap the 256-bit form (see `HMACBLAKE2s` and
/// `WireGuardKDF`). The chaining state and one block of pending input live inline in the struct, so
/// hashing never touches the heap and a hasher can be copied to fork a computation.
public struct BLAKE2s: Sendable {
    /// Bytes per compression block.
    public static let blockLength = 64
    /// The largest digest BLAKE2s produces, and the default.
    public static let maxOutputLength = 32
    /// The largest key keyed mode accepts.
    public static let maxKeyLength = 32

    /// The chaining value `h[0..7]`.
    @usableFromInline var state: SIMD8<UInt32>
    /// Pending input, as raw bytes viewed as sixteen words in memory order. BLAKE2 must know which block
    /// is last, so a full block waits here until more input arrives (or `finalize` runs). Held as
    /// `UInt32` lanes because Swift compiles whole-vector operations on `UInt8` lanes lane by lane.
    @usableFromInline var block: SIMD16<UInt32>
    /// How many bytes of `block` are pending, 0...64.
    @usableFromInline var blockFill: Int
    /// The RFC's `t`: bytes compressed so far, counting the block being compressed.
    @usableFromInline var byteCounter: UInt64
    /// The digest length in bytes, 1...32, fixed at initialisation because it is mixed into the state.
    public let outputLength: Int

    /// Starts a hash of `outputLength` bytes, keyed (RFC 7693 section 3.3) when `key` is non-empty.
    ///
    /// The key, 1...32 bytes, is padded to a full block and absorbed as the first block, and its length
    /// goes into the parameter block, so a keyed hash is a MAC rather than `hash(key || data)`.
    @inlinable
    public init(outputLength: Int = 32, key: UnsafeRawBufferPointer? = nil) {
        let keyLength = key?.count ?? 0
        precondition(outputLength >= 1 && outputLength <= 32, "BLAKE2s output length must be 1...32 bytes")
        precondition(keyLength <= 32, "BLAKE2s key must be at most 32 bytes")
        var initial = Self.iv
        // Parameter block word 0: digest length, key length, fanout 1, depth 1.
        initial[0] ^= 0x0101_0000 ^ (UInt32(truncatingIfNeeded: keyLength) << 8) ^ UInt32(outputLength)
        self.state = initial
        self.block = SIMD16()
        self.blockFill = 0
        self.byteCounter = 0
        self.outputLength = outputLength
        if let key, keyLength > 0, let source = key.baseAddress {
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.copyMemory(from: source, byteCount: keyLength) }
            blockFill = Self.blockLength
        }
    }

    /// Starts a hash keyed with a full 32-byte key, the form WireGuard's MAC1 key takes.
    @inlinable
    public init(outputLength: Int = 32, key: Key32) {
        self = key.withUnsafeBytes { BLAKE2s(outputLength: outputLength, key: $0) }
    }

    /// Absorbs `bytes`; any split of the input across calls gives the same digest.
    @inlinable
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        let free = Self.blockLength - blockFill
        if blockFill > 0 && remaining > free {
            // More input follows, so the pending block is not the last one: top it up and compress it.
            let offset = blockFill
            withUnsafeMutableBytes(of: &block) { ($0.baseAddress! + offset).copyMemory(from: input, byteCount: free) }
            input += free
            remaining -= free
            byteCounter &+= UInt64(Self.blockLength)
            Self.compress(&state, words: block, counter: byteCounter, isLast: false)
            blockFill = 0
        }
        // Whole blocks straight from the caller's buffer, keeping the final one (even if full) pending.
        while remaining > Self.blockLength {
            byteCounter &+= UInt64(Self.blockLength)
            Self.compress(&state, words: input.loadUnaligned(as: SIMD16<UInt32>.self), counter: byteCounter,
                          isLast: false)
            input += Self.blockLength
            remaining -= Self.blockLength
        }
        let offset = blockFill
        withUnsafeMutableBytes(of: &block) { ($0.baseAddress! + offset).copyMemory(from: input, byteCount: remaining) }
        blockFill += remaining
    }

    /// Writes the `outputLength`-byte digest to the start of `output`, which must hold at least that many.
    ///
    /// This compresses the last block with the finalisation flag set, so the hasher is spent afterwards:
    /// further `update` or `finalize` calls give meaningless results. Copy the hasher first to keep going.
    @inlinable
    public mutating func finalize(into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= outputLength, "BLAKE2s output buffer is shorter than the digest")
        let digest = finalizeBlock()
        let count = outputLength
        withUnsafeBytes(of: digest) { output.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
    }

    /// Returns the 32-byte digest; the hasher must have been created with `outputLength` 32.
    ///
    /// The typed form of `finalize(into:)` for the common BLAKE2s-256 case, with no buffer to manage.
    @inlinable
    public mutating func finalize() -> Key32 {
        precondition(outputLength == 32, "finalize() -> Key32 needs a 32-byte BLAKE2s")
        return Key32(bytes: unsafeBitCast(finalizeBlock(), to: SIMD32<UInt8>.self))
    }

    /// Pads and compresses the last block and returns the final chaining value with its words stored
    /// little-endian, so its memory holds the digest bytes; the digest is the first `outputLength` of them
    /// (the output length is already mixed into the state).
    @inlinable
    mutating func finalizeBlock() -> SIMD8<UInt32> {
        byteCounter &+= UInt64(blockFill)
        let fill = blockFill
        withUnsafeMutableBytes(of: &block) {
            _ = ($0.baseAddress! + fill).initializeMemory(as: UInt8.self, repeating: 0, count: Self.blockLength - fill)
        }
        Self.compress(&state, words: block, counter: byteCounter, isLast: true)
        block = SIMD16()
        blockFill = 0
        var digest = state
        #if _endian(big)
        for lane in 0..<8 { digest[lane] = digest[lane].byteSwapped }
        #endif
        return digest
    }
}

// MARK: - One-shot conveniences

extension BLAKE2s {
    /// BLAKE2s-256 of `bytes`: WireGuard's `HASH`.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Key32 {
        var hasher = BLAKE2s()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// BLAKE2s-256 of `prefix || bytes`, the handshake's `Hi = HASH(Hi || data)` without a join buffer.
    @inlinable
    public static func hash(_ prefix: Key32, _ bytes: UnsafeRawBufferPointer) -> Key32 {
        var hasher = BLAKE2s()
        prefix.withUnsafeBytes { hasher.update($0) }
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Keyed BLAKE2s with a 16-byte output: WireGuard's `MAC(key, data)`, used for MAC1 and MAC2.
    ///
    /// `key` is 1...32 bytes (MAC1 uses a 32-byte key, MAC2 the 16-byte cookie).
    @inlinable
    public static func mac16(key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer) -> SIMD16<UInt8> {
        precondition(key.count > 0, "a BLAKE2s MAC needs a non-empty key")
        var hasher = BLAKE2s(outputLength: 16, key: key)
        hasher.update(data)
        return unsafeBitCast(hasher.finalizeBlock().lowHalf, to: SIMD16<UInt8>.self)
    }

    /// `mac16` with a 32-byte key, as for MAC1 (`key = HASH("mac1----" || responder public key)`) and for
    /// the cookie (keyed with the responder's rotating secret).
    @inlinable
    public static func mac16(key: Key32, data: UnsafeRawBufferPointer) -> SIMD16<UInt8> {
        key.withUnsafeBytes { mac16(key: $0, data: data) }
    }

    /// `mac16` with a 16-byte key, as for MAC2 (keyed with the cookie).
    @inlinable
    public static func mac16(key: SIMD16<UInt8>, data: UnsafeRawBufferPointer) -> SIMD16<UInt8> {
        withUnsafeBytes(of: key) { mac16(key: $0, data: data) }
    }
}

// MARK: - Compression

extension BLAKE2s {
    /// The initialisation vector, the same constants as SHA-256's.
    @inlinable
    static var iv: SIMD8<UInt32> {
        SIMD8(0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)
    }

    /// The quarter-round `G` of RFC 7693 section 3.1, with rotations 16, 12, 8, 7.
    @inline(__always)
    static func mix(
        _ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ x: UInt32, _ y: UInt32
    ) {
        a = a &+ b &+ x
        d = rotateRight(d ^ a, 16)
        c = c &+ d
        b = rotateRight(b ^ c, 12)
        a = a &+ b &+ y
        d = rotateRight(d ^ a, 8)
        c = c &+ d
        b = rotateRight(b ^ c, 7)
    }

    @inline(__always)
    static func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value &>> count) | (value &<< (32 &- count))
    }

    /// The compression function `F` of RFC 7693 section 3.2 over one 64-byte block.
    ///
    /// `words` is the block reinterpreted as sixteen 32-bit words in memory order; they are read as
    /// little-endian here. The ten rounds are unrolled with the SIGMA schedule written out, so every
    /// message word is a named local and the compiler can keep the working vector in registers.
    @usableFromInline
    static func compress(_ h: inout SIMD8<UInt32>, words: SIMD16<UInt32>, counter: UInt64, isLast: Bool) {
        let m0 = UInt32(littleEndian: words[0]), m1 = UInt32(littleEndian: words[1])
        let m2 = UInt32(littleEndian: words[2]), m3 = UInt32(littleEndian: words[3])
        let m4 = UInt32(littleEndian: words[4]), m5 = UInt32(littleEndian: words[5])
        let m6 = UInt32(littleEndian: words[6]), m7 = UInt32(littleEndian: words[7])
        let m8 = UInt32(littleEndian: words[8]), m9 = UInt32(littleEndian: words[9])
        let m10 = UInt32(littleEndian: words[10]), m11 = UInt32(littleEndian: words[11])
        let m12 = UInt32(littleEndian: words[12]), m13 = UInt32(littleEndian: words[13])
        let m14 = UInt32(littleEndian: words[14]), m15 = UInt32(littleEndian: words[15])

        var v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3]
        var v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]
        var v8: UInt32 = 0x6A09_E667, v9: UInt32 = 0xBB67_AE85
        var v10: UInt32 = 0x3C6E_F372, v11: UInt32 = 0xA54F_F53A
        var v12: UInt32 = 0x510E_527F ^ UInt32(truncatingIfNeeded: counter)
        var v13: UInt32 = 0x9B05_688C ^ UInt32(truncatingIfNeeded: counter &>> 32)
        var v14: UInt32 = isLast ? ~0x1F83_D9AB : 0x1F83_D9AB
        var v15: UInt32 = 0x5BE0_CD19

        // Round 0: sigma[0] = 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
        mix(&v0, &v4, &v8, &v12, m0, m1)
        mix(&v1, &v5, &v9, &v13, m2, m3)
        mix(&v2, &v6, &v10, &v14, m4, m5)
        mix(&v3, &v7, &v11, &v15, m6, m7)
        mix(&v0, &v5, &v10, &v15, m8, m9)
        mix(&v1, &v6, &v11, &v12, m10, m11)
        mix(&v2, &v7, &v8, &v13, m12, m13)
        mix(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1: sigma[1] = 14 10 4 8 9 15 13 6 1 12 0 2 11 7 5 3
        mix(&v0, &v4, &v8, &v12, m14, m10)
        mix(&v1, &v5, &v9, &v13, m4, m8)
        mix(&v2, &v6, &v10, &v14, m9, m15)
        mix(&v3, &v7, &v11, &v15, m13, m6)
        mix(&v0, &v5, &v10, &v15, m1, m12)
        mix(&v1, &v6, &v11, &v12, m0, m2)
        mix(&v2, &v7, &v8, &v13, m11, m7)
        mix(&v3, &v4, &v9, &v14, m5, m3)
        // Round 2: sigma[2] = 11 8 12 0 5 2 15 13 10 14 3 6 7 1 9 4
        mix(&v0, &v4, &v8, &v12, m11, m8)
        mix(&v1, &v5, &v9, &v13, m12, m0)
        mix(&v2, &v6, &v10, &v14, m5, m2)
        mix(&v3, &v7, &v11, &v15, m15, m13)
        mix(&v0, &v5, &v10, &v15, m10, m14)
        mix(&v1, &v6, &v11, &v12, m3, m6)
        mix(&v2, &v7, &v8, &v13, m7, m1)
        mix(&v3, &v4, &v9, &v14, m9, m4)
        // Round 3: sigma[3] = 7 9 3 1 13 12 11 14 2 6 5 10 4 0 15 8
        mix(&v0, &v4, &v8, &v12, m7, m9)
        mix(&v1, &v5, &v9, &v13, m3, m1)
        mix(&v2, &v6, &v10, &v14, m13, m12)
        mix(&v3, &v7, &v11, &v15, m11, m14)
        mix(&v0, &v5, &v10, &v15, m2, m6)
        mix(&v1, &v6, &v11, &v12, m5, m10)
        mix(&v2, &v7, &v8, &v13, m4, m0)
        mix(&v3, &v4, &v9, &v14, m15, m8)
        // Round 4: sigma[4] = 9 0 5 7 2 4 10 15 14 1 11 12 6 8 3 13
        mix(&v0, &v4, &v8, &v12, m9, m0)
        mix(&v1, &v5, &v9, &v13, m5, m7)
        mix(&v2, &v6, &v10, &v14, m2, m4)
        mix(&v3, &v7, &v11, &v15, m10, m15)
        mix(&v0, &v5, &v10, &v15, m14, m1)
        mix(&v1, &v6, &v11, &v12, m11, m12)
        mix(&v2, &v7, &v8, &v13, m6, m8)
        mix(&v3, &v4, &v9, &v14, m3, m13)
        // Round 5: sigma[5] = 2 12 6 10 0 11 8 3 4 13 7 5 15 14 1 9
        mix(&v0, &v4, &v8, &v12, m2, m12)
        mix(&v1, &v5, &v9, &v13, m6, m10)
        mix(&v2, &v6, &v10, &v14, m0, m11)
        mix(&v3, &v7, &v11, &v15, m8, m3)
        mix(&v0, &v5, &v10, &v15, m4, m13)
        mix(&v1, &v6, &v11, &v12, m7, m5)
        mix(&v2, &v7, &v8, &v13, m15, m14)
        mix(&v3, &v4, &v9, &v14, m1, m9)
        // Round 6: sigma[6] = 12 5 1 15 14 13 4 10 0 7 6 3 9 2 8 11
        mix(&v0, &v4, &v8, &v12, m12, m5)
        mix(&v1, &v5, &v9, &v13, m1, m15)
        mix(&v2, &v6, &v10, &v14, m14, m13)
        mix(&v3, &v7, &v11, &v15, m4, m10)
        mix(&v0, &v5, &v10, &v15, m0, m7)
        mix(&v1, &v6, &v11, &v12, m6, m3)
        mix(&v2, &v7, &v8, &v13, m9, m2)
        mix(&v3, &v4, &v9, &v14, m8, m11)
        // Round 7: sigma[7] = 13 11 7 14 12 1 3 9 5 0 15 4 8 6 2 10
        mix(&v0, &v4, &v8, &v12, m13, m11)
        mix(&v1, &v5, &v9, &v13, m7, m14)
        mix(&v2, &v6, &v10, &v14, m12, m1)
        mix(&v3, &v7, &v11, &v15, m3, m9)
        mix(&v0, &v5, &v10, &v15, m5, m0)
        mix(&v1, &v6, &v11, &v12, m15, m4)
        mix(&v2, &v7, &v8, &v13, m8, m6)
        mix(&v3, &v4, &v9, &v14, m2, m10)
        // Round 8: sigma[8] = 6 15 14 9 11 3 0 8 12 2 13 7 1 4 10 5
        mix(&v0, &v4, &v8, &v12, m6, m15)
        mix(&v1, &v5, &v9, &v13, m14, m9)
        mix(&v2, &v6, &v10, &v14, m11, m3)
        mix(&v3, &v7, &v11, &v15, m0, m8)
        mix(&v0, &v5, &v10, &v15, m12, m2)
        mix(&v1, &v6, &v11, &v12, m13, m7)
        mix(&v2, &v7, &v8, &v13, m1, m4)
        mix(&v3, &v4, &v9, &v14, m10, m5)
        // Round 9: sigma[9] = 10 2 8 4 7 6 1 5 15 11 9 14 3 12 13 0
        mix(&v0, &v4, &v8, &v12, m10, m2)
        mix(&v1, &v5, &v9, &v13, m8, m4)
        mix(&v2, &v6, &v10, &v14, m7, m6)
        mix(&v3, &v7, &v11, &v15, m1, m5)
        mix(&v0, &v5, &v10, &v15, m15, m11)
        mix(&v1, &v6, &v11, &v12, m9, m14)
        mix(&v2, &v7, &v8, &v13, m3, m12)
        mix(&v3, &v4, &v9, &v14, m13, m0)

        h ^= SIMD8(v0, v1, v2, v3, v4, v5, v6, v7) ^ SIMD8(v8, v9, v10, v11, v12, v13, v14, v15)
    }
}
