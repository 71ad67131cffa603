import Crypto
import DataPlane
import Logging

/// Turns a `--crypto` value into a backend, including `auto`'s calibration.
enum CryptoSelection {
    /// Resolves a single backend name; `auto` calibrates and logs the figures.
    static func resolve(_ name: String, logger: Logger? = nil) throws(FZCtlError) -> CryptoBackendInfo {
        if name == "auto" {
            let calibration = CryptoCalibration.run()
            var metadata: Logger.Metadata = ["chosen": "\(calibration.chosen.name)",
                                             "implementation": "\(calibration.chosen.implementation)"]
            for m in calibration.measurements {
                metadata["ns_per_seal_1420.\(m.backend)"] = .stringConvertible(Int(m.nanosecondsPerSeal.rounded()))
            }
            logger?.info("crypto backend chosen by calibration", metadata: metadata)
            return calibration.chosen
        }
        do {
            return try CryptoRegistry.resolve(name)
        } catch {
            switch error {
            case .unknownName(let name, let valid):
                throw .unknownBackend(kind: "crypto", name: name, valid: valid.filter { $0 != "all" })
            case .unavailable(let name, let reason):
                throw .unavailableBackend(kind: "crypto", name: name, reason: reason)
            case .notInBuild(let name, let trait):
                throw .unavailableBackend(kind: "crypto", name: name, reason: "not in this build (built without the "
                                          + "\(trait) trait; rebuild with --traits \(trait) or the default traits)")
            }
        }
    }

    /// The set `fzctl bench crypto` runs: `all`, one name, or a comma-separated list of them
    /// (`sodium,openssl`), in the order given, each backend once.
    static func benchmarkSet(_ list: String) throws(FZCtlError) -> [CryptoBackendInfo] {
        var set: [CryptoBackendInfo] = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(part)
            let entries = try name == "all" ? CryptoRegistry.benchmarkSet : [resolve(name)]
            for info in entries where !set.contains(where: { $0.name == info.name }) {
                set.append(info)
            }
        }
        return set
    }
}
