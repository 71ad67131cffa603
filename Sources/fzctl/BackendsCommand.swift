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
        out += "  \("epoll".padding(16))\("recvmmsg/sendmmsg, TUN, timerfd".padding(36))available\n"
        out += "  auto picks: epoll (the only packet I/O backend in this build)\n"
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
