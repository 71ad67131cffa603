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

    public var supportsAVX2: Bool {
        #if arch(x86_64)
        return flags.contains("avx2") && flags.contains("bmi2")
        #else
        return false
        #endif
    }

    public var supportsAVX512: Bool {
        #if arch(x86_64)
        return supportsAVX2 && flags.contains("avx512f") && flags.contains("avx512vl") && flags.contains("avx512bw")
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
