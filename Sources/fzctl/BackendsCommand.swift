import ArgumentParser
import CFZBuildInfo
import Crypto
import DataPlane

/// `fzctl backends`: what this build carries, what runs on this host, and what `auto` would pick.
struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List every crypto and packet I/O backend, whether it runs here (and why not), and what auto picks."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Runtime(global)
        var out = "build: traits \(BuildInfo.traits.joined(separator: ",")); target CPU \(BuildInfo.targetCPU)\n\n"
        out += "crypto backends (--crypto):\n"
        for info in CryptoRegistry.all {
            let state: String
            switch info.availability {
            case .available: state = "available"
            case .unavailable(let reason): state = "unavailable: \(reason)"
            }
            out += "  \(info.name.padding(16))\(info.implementation.padding(36))\(state)\n"
        }
        let built = Set(CryptoRegistry.all.map(\.name))
        for (name, trait) in CryptoRegistry.traitBackends where !built.contains(name) {
            out += "  \(name.padding(16))\("-".padding(36))not in this build (built without the \(trait) trait)\n"
        }
        let calibration = CryptoCalibration.run()
        let figures = calibration.measurements
            .map { "\($0.backend) \(Int($0.nanosecondsPerSeal.rounded())) ns" }
            .joined(separator: ", ")
        out += "  auto picks: \(calibration.chosen.name) (\(calibration.chosen.implementation));"
        out += " 1420-byte seal: \(figures)\n"
        out += "\npacket I/O backends (--io):\n"
        var autoPick: String?
        for kind in IOSelection.preference {
            let probe = IOSelection.probe(kind)
            let state = probe.unusableReason.map { "unusable: \($0)" } ?? "available"
            out += "  \(kind.rawValue.padding(16))\(state)\n"
            out += "  \("".padding(16))offloads: \(probe.offloads)\n"
            for detail in probe.details {
                out += "  \("".padding(16))\(detail)\n"
            }
            if autoPick == nil && probe.isUsable { autoPick = kind.rawValue }
        }
        let order = IOSelection.preference.map(\.rawValue).joined(separator: ", ")
        out += "  auto picks: \(autoPick ?? "epoll") (the first usable of \(order))\n"
        context.logger.debug("listed backends", metadata: ["auto": "\(calibration.chosen.name)"])
        FileOutput.standardOutput(out)
    }
}

extension String {
    /// Left-aligns in a column of `width` characters (at least one space follows).
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

/// What this binary was built with: the package traits (which optional backends it carries) and the CPU its
/// packet path was compiled for.
enum BuildInfo {
    static var traits: [String] {
        var traits: [String] = []
        #if IOUring
        traits.append("IOUring")
        #endif
        #if OpenSSL
        traits.append("OpenSSL")
        #endif
        #if Sodium
        traits.append("Sodium")
        #endif
        return traits.isEmpty ? ["none"] : traits
    }

    static var targetCPU: String {
        let tuned = String(cString: cfz_build_target_cpu())
        return tuned.isEmpty ? "baseline x86-64 (crypto kernels also carry avx2 and avx512 copies, chosen at startup)"
            : "\(tuned) (FZ_TARGET_CPU)"
    }
}
