import Crypto
import Foundation
import Testing

@Suite struct CPUFeaturesTests {
    static let skylakeFlags = Set(CPUFeatures.skylakeAVX512Flags)

    @Test("A CPU with AVX-512 F/VL/BW but without another skylake-avx512 feature does not get the AVX-512 kernels")
    func avx512NeedsTheWholeLevel() {
        #if arch(x86_64)
        #expect(CPUFeatures(flags: Self.skylakeFlags).supportsAVX512)
        for flag in ["avx512dq", "avx512cd", "adx", "clwb", "movbe", "bmi1"] {
            var flags = Self.skylakeFlags
            flags.remove(flag)
            let features = CPUFeatures(flags: flags)
            #expect(!features.supportsAVX512, "passed without \(flag)")
            #expect(features.shortfall(CPUFeatures.skylakeAVX512Flags, level: "skylake-avx512", kernels: "AVX-512")
                .contains(flag))
        }
        #endif
    }

    @Test("An AMD EPYC guest that hides RDSEED and PKU, as KVM does, gets the AVX-512 kernels")
    func avx512DoesNotNeedIntrinsicOnlyFeatures() {
        #if arch(x86_64)
        // The flags /proc/cpuinfo showed on a Zen 5 EPYC guest under KVM (the vector and scalar levels only).
        let epyc: Set<String> = [
            "cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3", "pclmulqdq", "aes", "xsave", "xsaveopt",
            "avx", "f16c", "fsgsbase", "rdrand", "avx2", "bmi1", "bmi2", "fma", "abm", "movbe", "adx",
            "3dnowprefetch", "xsavec", "xsaves", "clflushopt", "clwb", "avx512f", "avx512cd", "avx512bw",
            "avx512dq", "avx512vl", "avx512ifma", "avx512vbmi",
        ]
        #expect(CPUFeatures(flags: epyc).supportsAVX512)
        #expect(CPUFeatures(flags: epyc).supportsAVX2)
        for flag in CPUFeatures.intrinsicOnlyFlags {
            #expect(!CPUFeatures.skylakeAVX512Flags.contains(flag))
            #expect(!CPUFeatures.haswellFlags.contains(flag))
        }
        #endif
    }

    @Test("A CPU with AVX2 and BMI2 but without FMA or MOVBE does not get the haswell kernels")
    func avx2NeedsTheWholeLevel() {
        #if arch(x86_64)
        #expect(CPUFeatures(flags: Set(CPUFeatures.haswellFlags)).supportsAVX2)
        for flag in ["fma", "movbe", "f16c", "abm"] {
            var flags = Set(CPUFeatures.haswellFlags)
            flags.remove(flag)
            #expect(!CPUFeatures(flags: flags).supportsAVX2, "passed without \(flag)")
        }
        #endif
    }

    @Test("Package.swift builds the kernels for exactly the CPU levels the run-time check covers")
    func packageTargetsMatchTheCheck() throws {
        let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Package.swift")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        #expect(text.contains("[\"-target-cpu\", \"\(CPUFeatures.avx2TargetCPU)\"]"))
        #expect(text.contains("[\"-target-cpu\", \"\(CPUFeatures.avx512TargetCPU)\"]"))
        let cpus = text.components(separatedBy: "\"-target-cpu\", \"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(Set(cpus) == [Substring(CPUFeatures.avx2TargetCPU), Substring(CPUFeatures.avx512TargetCPU)])
    }
}
