import ArgumentParser
import Crypto
import DataPlane
import Foundation
import HostSetup
import WireGuardConfig

/// `fzctl bench`: microbenchmarks operators run to choose backends on their own hardware.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark backends on this host.",
        subcommands: [CryptoBenchCommand.self, IOBenchCommand.self, TunnelBenchCommand.self]
    )

    /// A comma-separated list of whole numbers in `range`, e.g. `--sizes 64,1420`.
    static func parseList(
        _ text: String, option: String, range: ClosedRange<Int>, unit: String = "a size in bytes"
    ) throws(FZCtlError) -> [Int] {
        var result: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Int(String(part).trimmingCharacters(in: " ")), range.contains(value) else {
                throw .invalidInput("\(option) '\(DisplayText.echo(text))': '\(DisplayText.echo(part))' "
                    + "is not \(unit) between \(range.lowerBound) and \(range.upperBound)")
            }
            result.append(value)
        }
        return result
    }

    /// `--format` of every benchmark: table or json.
    static func validateFormat(_ format: String) throws(FZCtlError) {
        guard format == "table" || format == "json" else {
            throw .invalidInput("--format '\(DisplayText.echo(format))' is not an output format; use table or json")
        }
    }
}

/// `fzctl bench crypto`: ChaCha20-Poly1305 seal and open per backend and size, all in one run.
struct CryptoBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Seal and open throughput per crypto backend and packet size, with ratios to sodium."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Backends to compare: all, or one name or a comma-separated list (sodium,openssl,swift, ...).")
    var crypto: String = "all"

    @Option(help: "Comma-separated payload sizes in bytes.")
    var sizes: String = "64,1420,8192"

    @Option(help: "Output: table (with ratios to sodium) or json (one array on stdout, nothing else).")
    var format: String = "table"

    @Option(help: "Interleaved measurement rounds per backend, size and operation; the best is reported.")
    var rounds: Int = 9

    @Option(name: .customLong("round-ms"), help: "Length of one measurement round in milliseconds.")
    var roundMilliseconds: Int = 25

    func run() throws {
        let context = try Runtime(global)
        try BenchCommand.validateFormat(format)
        let sizeList = try parseSizes(sizes)
        guard (1...1000).contains(rounds) else {
            throw FZCtlError.invalidInput("--rounds must be between 1 and 1000, got \(rounds)")
        }
        guard (1...10_000).contains(roundMilliseconds) else {
            throw FZCtlError.invalidInput("--round-ms must be between 1 and 10000, got \(roundMilliseconds)")
        }
        let backends = try CryptoSelection.benchmarkSet(crypto)
        for info in backends {
            context.logger.info("benchmarking crypto backend",
                                metadata: ["backend": "\(info.name)", "implementation": "\(info.implementation)"])
        }
        let bench = CryptoBenchmark(backends: backends, sizes: sizeList, rounds: rounds,
                                    round: .milliseconds(roundMilliseconds))
        let results = bench.run()
        if format == "json" {
            FileOutput.standardOutput(CryptoBenchmark.json(results) + "\n")
        } else {
            FileOutput.standardOutput(CryptoBenchmark.table(results, backends: backends, x25519: bench.runX25519()))
        }
    }

    func parseSizes(_ text: String) throws -> [Int] {
        try BenchCommand.parseList(text, option: "--sizes", range: 0...1 << 20)
    }
}

/// `fzctl bench tunnel`: throughput and CPU cost through real tunnels in network namespaces, against wireguard-go.
struct TunnelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunnel",
        abstract: "TCP/UDP throughput (iperf3) and CPU per gigabit through fzctl<->fzctl (every --io x --crypto, "
            + "with and without offloads), fzctl<->wireguard-go and wireguard-go<->wireguard-go tunnels in network "
            + "namespaces, in one run (needs root)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Crypto backends for the fzctl sides, comma-separated: auto, sodium, swift, ...")
    var crypto: String = "auto"

    @Option(help: "Packet I/O backends for the fzctl sides: all (every usable one) or a comma-separated list.")
    var io: String = "all"

    @Option(name: .customLong("offload-modes"),
            help: "Comma-separated: off (fzctl up --offloads none), on (--offloads all).")
    var offloadModes: String = "off,on"

    @Option(help: ArgumentHelp("Comma-separated pairs: fzctl-fzctl, fzctl-wireguard-go, wireguard-go-wireguard-go, "
                               + "veth (iperf3 over the bare veth, no tunnel: what the tunnels are measured against)."))
    var pairs: String = "fzctl-fzctl,fzctl-wireguard-go,wireguard-go-wireguard-go,veth"

    @Option(help: "Comma-separated tests: tcp, udp.")
    var tests: String = "tcp,udp"

    @Option(help: ArgumentHelp("Comma-separated worker counts for the fzctl sides (fzctl up --threads), each measured; "
                               + "default: fzctl up's own default, one per core."))
    var threads: String?

    @Option(help: "Seconds per TCP test; each UDP search probe runs min(this, 2) seconds.")
    var seconds: Int = 5

    @Option(name: .customLong("udp-search"),
            help: """
                on: find the offered UDP rate that carries the most with under 1% loss of what was sent (at most 7 \
                probes); off: one probe at 0.5 Gbit/s.
                """)
    var udpSearch: String = "on"

    @Option(name: .customLong("udp-source"),
            help: ArgumentHelp("What offers the UDP traffic: fzctl (paced UDP GSO trains from the bench itself, "
                               + "able to offer more than a fast tunnel carries) or iperf3 (iperf3 -u -b)."))
    var udpSource: String = "fzctl"

    @Option(help: ArgumentHelp("Interleaved rounds (1...20): every row is measured once per round, in turn, and "
                               + "each row reports its median throughput and CPU per gigabit, with their ranges."))
    var rounds: Int = 1

    @Option(help: "Output: table or json (one array on stdout, nothing else).")
    var format: String = "table"

    @Option(help: "Also write the table as an SVG bar chart to this file.")
    var chart: String?

    func run() throws {
        let context = try Runtime(global)
        try BenchCommand.validateFormat(format)
        guard (1...600).contains(seconds) else {
            throw FZCtlError.invalidInput("--seconds must be between 1 and 600, got \(seconds)")
        }
        guard (1...20).contains(rounds) else {
            throw FZCtlError.invalidInput("--rounds must be between 1 and 20, got \(rounds)")
        }
        let testList = tests.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for test in testList where test != "tcp" && test != "udp" {
            throw FZCtlError.invalidInput("--tests: '\(DisplayText.echo(test))' is not a test; use tcp or udp")
        }
        guard udpSearch == "on" || udpSearch == "off" else {
            throw FZCtlError.invalidInput("--udp-search '\(DisplayText.echo(udpSearch))': use on or off")
        }
        guard let source = TunnelBenchmark.UDPSource(rawValue: udpSource) else {
            throw FZCtlError.invalidInput("--udp-source '\(DisplayText.echo(udpSource))': use fzctl or iperf3")
        }
        let pairList = try TunnelBenchmark.parsePairs(pairs)
        let ioList = try tunnelIOBackends()
        let offloadList = try BenchCommand.parseOffloadModes(offloadModes)
        let threadList = try threads.map {
            try BenchCommand.parseList($0, option: "--threads", range: 1...WorkerShard.maximumWorkers,
                                       unit: "a number of workers")
        } ?? [WorkerCount.perCore]
        var cryptoList: [String] = []
        for name in crypto.split(separator: ",", omittingEmptySubsequences: false) {
            let resolved = try CryptoSelection.resolve(String(name), logger: context.logger).name
            if !cryptoList.contains(resolved) { cryptoList.append(resolved) }
        }
        guard geteuid() == 0 else {
            throw FZCtlError.invalidInput("bench tunnel needs root: it creates network namespaces and TUN devices")
        }
        for tool in ["ip", "wg", "wireguard-go", "iperf3", "ping"] where !Subprocess.available(tool) {
            throw FZCtlError.invalidInput("bench tunnel needs \(tool); install it with ./scripts/setup")
        }
        let fzctlPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var variants: [TunnelBenchmark.Variant] = []
        for io in ioList {
            for crypto in cryptoList {
                for offload in offloadList {
                    for workers in threadList {
                        variants.append(.init(io: io, crypto: crypto, offload: offload, threads: workers))
                    }
                }
            }
        }
        let search = UDPSearch(enabled: udpSearch == "on", probeSeconds: min(seconds, 2))
        var bench = TunnelBenchmark(fzctlPath: fzctlPath, variants: variants, seconds: seconds, tests: testList,
                                    udpSearch: search, udpSource: source)
        let logger = context.logger
        bench.probeMeasured = { offered, probe in
            logger.debug("UDP probe", metadata: [
                "offered_gbit_per_s": "\(CryptoBenchmark.format(offered, 3))",
                "sent_gbit_per_s": "\(probe.sentGigabitsPerSecond.map { CryptoBenchmark.format($0, 3) } ?? "-")",
                "gbit_per_s": "\(CryptoBenchmark.format(probe.gigabitsPerSecond, 3))",
                "loss_percent": "\(probe.lossPercent.map { CryptoBenchmark.format($0, 2) } ?? "-")",
            ])
        }
        var measuredRounds: [[TunnelBenchmark.Result]] = []
        for round in 1...rounds {
            var results: [TunnelBenchmark.Result] = []
            for (pair, variant) in bench.plan(pairList) {
                context.logger.info("measuring tunnel pair", metadata: [
                    "pair": "\(pair.name)", "io": "\(variant?.io ?? "-")", "crypto": "\(variant?.crypto ?? "-")",
                    "offload": "\(variant.map { "\($0.offload)" } ?? "-")",
                    "threads": "\(variant.map { "\($0.threads)" } ?? "-")", "round": "\(round) of \(rounds)",
                ])
                let rows = bench.run(pair, variant: variant)
                for row in rows {
                    if let error = row.error {
                        context.logger.error("tunnel benchmark row failed", metadata: ["row": "\(row.label)",
                                                                                       "error": "\(error)"])
                    }
                }
                results += rows
            }
            measuredRounds.append(results)
        }
        let results = TunnelBenchmark.combine(measuredRounds)
        if format == "json" {
            FileOutput.standardOutput(TunnelBenchmark.json(results) + "\n")
        } else {
            FileOutput.standardOutput(TunnelBenchmark.table(results, udpSearch: search.enabled, udpSource: source,
                                                            rounds: rounds))
        }
        if let chart {
            do {
                try TunnelBenchmark.chart(results).svg().write(toFile: chart, atomically: true, encoding: .utf8)
            } catch {
                throw FZCtlError.invalidInput("--chart: could not write '\(DisplayText.echo(chart))': \(error)")
            }
            context.logger.info("wrote the bar chart", metadata: ["file": "\(chart)"])
        }
        let failed = results.filter { $0.error != nil }
        if !failed.isEmpty {
            throw FZCtlError.invalidInput("\(failed.count) of \(results.count) rows could not be measured (see error)")
        }
    }

    /// `--io`: `all` is every backend the bench knows that probes usable; `auto` is kept for old command lines.
    func tunnelIOBackends() throws(FZCtlError) -> [String] {
        if io == "auto" { return ["auto"] }
        let backends = try BenchIOBackends.select(io)
        if io == "all" { return backends.filter { $0.probe().isUsable }.map { $0.name } }
        return backends.map { $0.name }
    }
}
