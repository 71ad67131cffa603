import ArgumentParser
import DataPlane
import Foundation
import WireGuardConfig

/// `fzctl bench io`: UDP packets per second and loop-thread CPU per packet, per packet I/O backend, on loopback.
struct IOBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io",
        abstract: "UDP packets/s and CPU seconds per million packets of each packet I/O backend's loop thread "
            + "(loopback; receive and forward; with and without UDP GRO/GSO), in one run."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Backends to measure: all, or a comma-separated list of \(BenchIOBackends.names).")
    var io: String = "all"

    @Option(help: "Comma-separated UDP payload sizes in bytes (16...65507).")
    var sizes: String = "64,1420"

    @Option(help: ArgumentHelp("Comma-separated modes: receive (receive and release), forward (receive and send "
            + "back to the backend's own port: a load injected once circulates, no generator runs)."))
    var modes: String = "receive,forward"

    @Option(name: .customLong("offload-modes"),
            help: "Comma-separated: off (one datagram per entry), on (GRO receive, GSO forward).")
    var offloadModes: String = "off,on"

    @Option(help: ArgumentHelp("Comma-separated worker counts per row (1...64): each worker is a loop thread with its "
            + "own socket on one port, flows steered to workers as fzctl up --threads steers sessions."))
    var threads: String = "1"

    @Flag(name: .customLong("count-reorderings"),
            help: ArgumentHelp("For forward rows: a generator feeds the workers, each sends on to a sink, and a "
                + "thread reading the sink counts datagrams arriving after a later one of their flow."))
    var countReorderings = false

    @Option(help: "Measured seconds per row (fractions allowed, 0.1...600), after a short warm-up.")
    var seconds: Double = 2

    @Option(help: ArgumentHelp("Interleaved measurement rounds (1...50): every row is measured once per round, "
            + "backends taking turns, and the median is reported with the CPU cost's range."))
    var rounds: Int = 1

    @Option(help: "Output: table or json (one array on stdout, nothing else).")
    var format: String = "table"

    func run() throws {
        let context = try Runtime(global)
        try BenchCommand.validateFormat(format)
        guard seconds.isFinite, (0.1...600).contains(seconds) else {
            throw FZCtlError.invalidInput("--seconds must be between 0.1 and 600, got \(seconds)")
        }
        guard (1...50).contains(rounds) else {
            throw FZCtlError.invalidInput("--rounds must be between 1 and 50, got \(rounds)")
        }
        let sizeList = try BenchCommand.parseList(
            sizes, option: "--sizes", range: UDPGSOGenerator.headerBytes...65_507)
        let modeList = try modes.split(separator: ",", omittingEmptySubsequences: false).map { item in
            guard let mode = IOBenchmark.Mode(rawValue: String(item)) else {
                throw FZCtlError.invalidInput(
                    "--modes: '\(DisplayText.echo(item))' is not a mode; use receive or forward")
            }
            return mode
        }
        let offloadList = try BenchCommand.parseOffloadModes(offloadModes)
        let backends = try BenchIOBackends.select(io)
        let threadList = try BenchCommand.parseList(threads, option: "--threads", range: 1...64,
                                                   unit: "a number of workers")
        var bench = IOBenchmark(backends: backends, sizes: sizeList, modes: modeList, offloadModes: offloadList,
                                seconds: seconds)
        bench.threads = threadList
        bench.countReorderings = countReorderings
        bench.rounds = rounds
        let (rows, skipped) = bench.run { context.logger.info("measuring packet I/O", metadata: ["row": "\($0)"]) }
        if format == "json" {
            FileOutput.standardOutput(IOBenchmark.json(rows) + "\n")
        } else {
            FileOutput.standardOutput(IOBenchmark.table(rows, skipped: skipped, seconds: seconds, rounds: rounds))
        }
        for line in skipped { context.logger.warning("row not run", metadata: ["reason": "\(line)"]) }
        let failed = rows.filter { $0.error != nil }
        if !failed.isEmpty {
            throw FZCtlError.invalidInput("\(failed.count) of \(rows.count) rows could not be measured (see error)")
        }
    }
}

extension BenchCommand {
    /// `--offload-modes`: a comma-separated list of `off` and `on`.
    static func parseOffloadModes(_ text: String) throws(FZCtlError) -> [Bool] {
        var result: [Bool] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            switch item {
            case "off": result.append(false)
            case "on": result.append(true)
            default:
                throw .invalidInput(
                    "--offload-modes: '\(DisplayText.echo(item))' is not an offload mode; use off or on")
            }
        }
        return result
    }
}
