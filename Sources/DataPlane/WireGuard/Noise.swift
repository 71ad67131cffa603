/// The Noise_IKpsk2 building blocks shared by initiator and responder: the protocol's constants,
/// `HASH` chaining, and the handshake AEAD with its zero nonce.
///
/// Kept as free functions over `Key32` so the handshake reads like the paper's pseudocode.
enum Noise {
    static let construction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
    static let identifier = "WireGuard v1 zx2c4 Jason@zx2c4.com"
    static let labelMAC1 = "mac1----"
    static let labelCookie = "cookie--"

    /// `C_i = HASH(CONSTRUCTION)`.
    static let initialChainingKey: Key32 = hash(string: construction)
    /// `H_i = HASH(C_i || IDENTIFIER)`; the responder's static key is mixed in per device.
    static let initialHash: Key32 = {
        let bytes = Array(identifier.utf8)
        return bytes.withUnsafeBytes { BLAKE2s.hash(initialChainingKey, $0) }
    }()

    static func hash(string: String) -> Key32 {
        let bytes = Array(string.utf8)
        return bytes.withUnsafeBytes { BLAKE2s.hash($0) }
    }

    /// `HASH(label || key)`: the MAC1 and cookie keys derived from a static public key.
    static func labeledKey(_ label: String, _ key: PublicKey) -> Key32 {
        var hasher = BLAKE2s()
        Array(label.utf8).withUnsafeBytes { hasher.update($0) }
        key.raw.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// `HASH(h || key)`.
    @inline(__always)
    static func mixHash(_ h: Key32, _ key: Key32) -> Key32 {
        key.withUnsafeBytes { BLAKE2s.hash(h, $0) }
    }

    /// `HASH(h || bytes[range])` over bytes of a message.
    @inline(__always)
    static func mixHash(_ h: Key32, _ bytes: UnsafeRawPointer, count: Int) -> Key32 {
        BLAKE2s.hash(h, UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// `AEAD(key, 0, plaintext, h)` in place: encrypts `count` bytes at `data`, writes the tag right after.
    @inline(__always)
    static func seal<Backend: CryptoBackend>(
        _ backend: Backend.Type, key: Key32, data: UnsafeMutableRawPointer, count: Int, hash: Key32
    ) {
        let cipher = Backend.Cipher(key: SymmetricKey(raw: key))
        hash.withUnsafeBytes { ad in
            cipher.seal(counter: 0, buffer: UnsafeMutableRawBufferPointer(start: data, count: count),
                        additionalData: ad, tag: data + count)
        }
    }

    /// Opens `count` bytes at `data` in place, with the tag right after them.
    @inline(__always)
    static func open<Backend: CryptoBackend>(
        _ backend: Backend.Type, key: Key32, data: UnsafeMutableRawPointer, count: Int, hash: Key32
    ) throws(CryptoError) {
        let cipher = Backend.Cipher(key: SymmetricKey(raw: key))
        try hash.withUnsafeBytes { (ad) throws(CryptoError) in
            try cipher.open(counter: 0, buffer: UnsafeMutableRawBufferPointer(start: data, count: count),
                            additionalData: ad, tag: data + count)
        }
    }

    /// Constant-time comparison of two 16-byte MACs.
    @inline(__always)
    static func equal(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> Bool {
        let difference = a ^ b
        var accumulator: UInt8 = 0
        for lane in 0..<16 { accumulator |= difference[lane] }
        return accumulator == 0
    }
}
