#if canImport(Glibc)
import Glibc
#endif

/// The instruction-set extensions this host offers, read once at startup.
///
/// Swift has no run-time CPU dispatch of its own. On Linux the kernel's view in `/proc/cpuinfo` is the
/// right source: it lists `avx2` or `avx512f` only when the OS also saves those registers on a context
/// switch. Reading it keeps the pure-Swift backend free of C.
public struct CPUFeatures: Sendable {
    public let flags: Set<String>

    public init(flags: Set<String>) {
        self.flags = flags
    }

    /// The `-target-cpu` the AVX2 kernels are compiled for (Package.swift uses this name).
    public static let avx2TargetCPU = "haswell"
    /// The `-target-cpu` the AVX-512 kernels are compiled for (Package.swift uses this name).
    public static let avx512TargetCPU = "skylake-avx512"

    /// Every `/proc/cpuinfo` flag for an instruction set LLVM may use when compiling for `haswell`.
    ///
    /// The compiler is free to emit any instruction its target CPU has (BMI, MOVBE, LZCNT, F16C, ...), not
    /// just the vector ones we asked for, so the check covers the whole level. Left out are the
    /// ``intrinsicOnlyFlags``: code generation never emits them on its own, and VMs often hide them.
    public static let haswellFlags: [String] = [
        "cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3", "pclmulqdq", "aes", "xsave", "xsaveopt",
        "avx", "f16c", "fsgsbase", "avx2", "bmi1", "bmi2", "fma", "abm", "movbe",
    ]

    /// Every `/proc/cpuinfo` flag for an instruction set LLVM may use when compiling for `skylake-avx512`:
    /// Haswell's, Broadwell's and Skylake's additions, and AVX-512 F, CD, BW, DQ and VL.
    public static let skylakeAVX512Flags: [String] = haswellFlags + [
        "adx", "3dnowprefetch", "xsavec", "xsaves", "clflushopt", "clwb",
        "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
    ]

    /// Features of these levels whose instructions LLVM emits only for their intrinsics, which no kernel
    /// calls, so the check does not require them.
    ///
    /// Privileged or OS-gated ones (INVPCID, PKU) and the random-number instructions: a Zen 5 EPYC guest under KVM
    /// listed no RDSEED, and requiring it kept that host on the AVX2 kernels.
    /// `scripts/check-specialization` fails if the release binary ever holds one of these instructions.
    public static let intrinsicOnlyFlags: [String] = ["rdrand", "rdseed", "invpcid", "pku"]

    /// The flags of `required` this host lacks, in order.
    public func missing(_ required: [String]) -> [String] {
        required.filter { !flags.contains($0) }
    }

    /// Why kernels built for `level` cannot run here: the flags it lacks.
    public func shortfall(_ required: [String], level: String, kernels: String) -> String {
        #if arch(x86_64)
        let lacking = missing(required).joined(separator: " ")
        return "this CPU (or its OS) lacks \(lacking), which the \(kernels) kernels (built for \(level)) may use"
        #else
        return "the \(kernels) kernels are for x86-64 CPUs"
        #endif
    }

    /// Whether code compiled for ``avx2TargetCPU`` runs here.
    public var supportsAVX2: Bool {
        #if arch(x86_64)
        return missing(Self.haswellFlags).isEmpty
        #else
        return false
        #endif
    }

    /// Whether code compiled for ``avx512TargetCPU`` runs here.
    public var supportsAVX512: Bool {
        #if arch(x86_64)
        return missing(Self.skylakeAVX512Flags).isEmpty
        #else
        return false
        #endif
    }

    /// The features of the running host.
    public static let current: CPUFeatures = CPUFeatures(flags: readCPUInfoFlags())

    static func readCPUInfoFlags() -> Set<String> {
        #if os(Linux)
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            if text.hasPrefix("flags") || text.hasPrefix("Features") {
                guard let colon = text.firstIndex(of: ":") else { continue }
                return Set(text[text.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
                    .map(String.init))
            }
        }
        return []
        #else
        return []
        #endif
    }
}
