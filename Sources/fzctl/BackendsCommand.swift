import ArgumentParser
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
        var out = "crypto backends (--crypto):\n"
        for info in CryptoRegistry.all {
            let state: String
            switch info.availability {
            case .available: state = "available"
            case .unavailable(let reason): state = "unavailable: \(reason)"
            }
            out += "  \(info.name.padding(16))\(info.implementation.padding(36))\(state)\n"
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
