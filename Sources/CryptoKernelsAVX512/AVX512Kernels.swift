import CryptoKernels

/// The ChaCha20-Poly1305 kernels code-generated for AVX512 (this target is built with `-target-cpu skylake-avx512`).
///
/// Call these only after checking at run time that the CPU supports AVX512; the `Crypto` module does.
public enum AVX512Kernels {
    /// Encrypts in place and writes the tag; see `ChaChaPolyKernel.seal`.
    @inline(never)
    public static func seal(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        ChaChaPolyKernel<AVX512ISA>.seal(
            key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }

    /// Verifies and decrypts in place; see `ChaChaPolyKernel.open`.
    @inline(never)
    public static func open(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) -> Bool {
        ChaChaPolyKernel<AVX512ISA>.open(
            key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }
}

/// Marks the kernels specialized in this target (see `KernelISA`).
public enum AVX512ISA: KernelISA {}
