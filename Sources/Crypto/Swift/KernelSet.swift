import CryptoKernels
import DataPlane
import CryptoKernelsAVX2
import CryptoKernelsAVX512

/// One machine-code copy of the ChaCha20-Poly1305 kernels: portable, AVX2 or AVX-512.
///
/// The pure-Swift backend is generic over this, so the variant is fixed when the backend is chosen at
/// startup and the packet path has no per-packet dispatch.
public protocol ChaChaPolyKernelSet: SendableMetatype {
    /// Short name shown to operators: `portable`, `avx2`, `avx512`.
    static var variant: String { get }
    /// Whether this CPU can run this copy, and if not, why.
    static var availability: BackendAvailability { get }

    static func seal(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    )

    static func open(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) -> Bool
}

/// The kernels built for the package's default target CPU: runs everywhere.
public enum PortableKernelSet: ChaChaPolyKernelSet {
    public static var variant: String { "portable" }
    public static var availability: BackendAvailability { .available }

    @inline(never)
    public static func seal(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        ChaChaPolyKernel<PortableISA>.seal(
            key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }

    @inline(never)
    public static func open(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) -> Bool {
        ChaChaPolyKernel<PortableISA>.open(
            key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }
}

/// The kernels compiled with `-target-cpu haswell` (AVX2, BMI2).
public enum AVX2KernelSet: ChaChaPolyKernelSet {
    public static var variant: String { "avx2" }
    public static var availability: BackendAvailability {
        CPUFeatures.current.supportsAVX2
            ? .available : .unavailable(reason: CPUFeatures.current.shortfall(
                CPUFeatures.haswellFlags, level: CPUFeatures.avx2TargetCPU, kernels: "AVX2"))
    }

    @inlinable
    public static func seal(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        AVX2Kernels.seal(key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }

    @inlinable
    public static func open(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) -> Bool {
        AVX2Kernels.open(key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }
}

/// The kernels compiled with `-target-cpu skylake-avx512` (AVX-512 with VL, so rotates are single `vprold`s).
public enum AVX512KernelSet: ChaChaPolyKernelSet {
    public static var variant: String { "avx512" }
    public static var availability: BackendAvailability {
        CPUFeatures.current.supportsAVX512
            ? .available : .unavailable(reason: CPUFeatures.current.shortfall(
                CPUFeatures.skylakeAVX512Flags, level: CPUFeatures.avx512TargetCPU, kernels: "AVX-512"))
    }

    @inlinable
    public static func seal(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeMutableRawPointer
    ) {
        AVX512Kernels.seal(key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }

    @inlinable
    public static func open(
        key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, data: UnsafeMutableRawPointer?, count: Int,
        additionalData: UnsafeRawBufferPointer, tag: UnsafeRawPointer
    ) -> Bool {
        AVX512Kernels.open(key: key, nonce: nonce, data: data, count: count, additionalData: additionalData, tag: tag)
    }
}

/// Marks the kernels specialized for the package's default target CPU (see `KernelISA`).
public enum PortableISA: KernelISA {}
