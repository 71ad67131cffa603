import DataPlane

/// Random bytes for keys and receiver indices.
///
/// `SystemRandomNumberGenerator` is the standard library's CSPRNG: on Linux it reads `getrandom(2)`.
public enum SecureRandom {
    /// Fills `buffer` completely.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var generator = SystemRandomNumberGenerator()
        var offset = 0
        while offset < buffer.count {
            var word = generator.next()
            let n = min(8, buffer.count - offset)
            withUnsafeBytes(of: &word) { bytes in
                for i in 0..<n { buffer[offset + i] = bytes[i] }
            }
            offset += n
        }
    }

    /// A new random 32-byte value.
    public static func key32() -> Key32 {
        var bytes = SIMD32<UInt8>()
        withUnsafeMutableBytes(of: &bytes) { fill($0) }
        return Key32(bytes: bytes)
    }

    /// A new X25519 private key, clamped the way `wg genkey` prints it.
    public static func privateKey() -> PrivateKey {
        PrivateKey(raw: key32()).clamped
    }
}
