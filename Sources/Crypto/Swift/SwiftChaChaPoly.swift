import DataPlane
import CryptoKernels

/// Pure-Swift ChaCha20-Poly1305 with the key installed, using one machine-code variant of the kernels.
public struct SwiftChaChaPoly<Kernels: ChaChaPolyKernelSet>: AEADCipher {
    @usableFromInline let key: SIMD8<UInt32>

    @inlinable
    public init(key: SymmetricKey) {
        self.key = key.raw.littleEndianWords
    }

    @inlinable @inline(__always)
    static func nonce(_ counter: UInt64) -> SIMD4<UInt32> {
        SIMD4(0, UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), 0)
    }

    @inlinable
    public func seal(
        counter: UInt64, buffer: UnsafeMutableRawBufferPointer, additionalData: UnsafeRawBufferPointer,
        tag: UnsafeMutableRawPointer
    ) {
        Kernels.seal(key: key, nonce: Self.nonce(counter), data: buffer.baseAddress, count: buffer.count,
                     additionalData: additionalData, tag: tag)
    }

    @inlinable
    public func open(
        counter: UInt64, buffer: UnsafeMutableRawBufferPointer, additionalData: UnsafeRawBufferPointer,
        tag: UnsafeRawPointer
    ) throws(CryptoError) {
        guard Kernels.open(key: key, nonce: Self.nonce(counter), data: buffer.baseAddress, count: buffer.count,
                           additionalData: additionalData, tag: tag) else {
            throw .authenticationFailed
        }
    }
}

/// The pure-Swift crypto backend: ChaCha20-Poly1305 and XChaCha20-Poly1305 from `CryptoKernels`,
/// X25519 from this module, no C.
public enum SwiftCryptoBackend<Kernels: ChaChaPolyKernelSet>: CryptoBackend {
    public typealias Cipher = SwiftChaChaPoly<Kernels>

    public static var name: String { "swift-\(Kernels.variant)" }

    public static func xSeal(
        key: SymmetricKey, nonce: ExtendedNonce, buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        let (subkey, chachaNonce) = derive(key: key, nonce: nonce)
        Kernels.seal(key: subkey, nonce: chachaNonce, data: buffer.baseAddress, count: buffer.count,
                     additionalData: additionalData, tag: tag)
    }

    public static func xOpen(
        key: SymmetricKey, nonce: ExtendedNonce, buffer: UnsafeMutableRawBufferPointer,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) throws(CryptoError) {
        let (subkey, chachaNonce) = derive(key: key, nonce: nonce)
        guard Kernels.open(key: subkey, nonce: chachaNonce, data: buffer.baseAddress, count: buffer.count,
                           additionalData: additionalData, tag: tag) else {
            throw .authenticationFailed
        }
    }

    static func derive(key: SymmetricKey, nonce: ExtendedNonce) -> (SIMD8<UInt32>, SIMD4<UInt32>) {
        var bytes = nonce.bytes
        return withUnsafeBytes(of: &bytes) { raw in
            ChaChaPolyKernel<PortableISA>.extendedNonce(key: key.raw.littleEndianWords, nonce: raw.baseAddress!)
        }
    }

    public static func publicKey(for privateKey: PrivateKey) -> PublicKey {
        X25519.publicKey(for: privateKey)
    }

    public static func sharedSecret(privateKey: PrivateKey, publicKey: PublicKey) throws(CryptoError) -> SharedSecret {
        let secret = X25519.scalarMult(scalar: privateKey.raw, point: publicKey.raw)
        if secret.isZero { throw .lowOrderPoint }
        return SharedSecret(raw: secret)
    }
}
