/// Thirty-two bytes of key material, stored inline so keys never allocate.
///
/// The typed wrappers (`PrivateKey`, `PublicKey`, `SymmetricKey`, ...) all hold one of these;
/// they differ in meaning, not in layout.
public struct Key32: Hashable, Sendable {
    public var bytes: SIMD32<UInt8>

    @inlinable
    public init(bytes: SIMD32<UInt8>) {
        self.bytes = bytes
    }

    /// Copies exactly 32 bytes; returns nil for any other length.
    @inlinable
    public init?(_ raw: some Collection<UInt8>) {
        guard raw.count == 32 else { return nil }
        var value = SIMD32<UInt8>()
        for (index, byte) in raw.enumerated() {
            value[index] = byte
        }
        self.bytes = value
    }

    /// Reads 32 bytes starting at `pointer`.
    @inlinable
    public init(loadingFrom pointer: UnsafeRawPointer) {
        self.bytes = pointer.loadUnaligned(as: SIMD32<UInt8>.self)
    }

    /// The bytes as an array, for code off the packet path (formatting, tests).
    public var array: [UInt8] {
        (0..<32).map { bytes[$0] }
    }

    /// The key as eight little-endian 32-bit words, the form ChaCha20 consumes.
    @inlinable
    public var littleEndianWords: SIMD8<UInt32> {
        let native = unsafeBitCast(bytes, to: SIMD8<UInt32>.self)
        #if _endian(little)
        return native
        #else
        var swapped = SIMD8<UInt32>()
        for lane in 0..<8 { swapped[lane] = native[lane].byteSwapped }
        return swapped
        #endif
    }

    /// Calls `body` with a pointer to the 32 bytes; the pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = bytes
        return try Swift.withUnsafeBytes(of: &copy) { buffer throws(E) -> R in try body(buffer) }
    }

    /// True when every byte is zero, computed without an early exit.
    @inlinable
    public var isZero: Bool {
        var accumulator: UInt8 = 0
        for lane in 0..<32 { accumulator |= bytes[lane] }
        return accumulator == 0
    }
}
