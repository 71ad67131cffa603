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
        subcommands: [CryptoBenchCommand.self, TunnelBenchCommand.self]
    )

    /// `--format` of both benchmarks: table or json.
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

    @Option(help: "Backends to compare: all, or one name (sodium, swift, swift-portable, ...).")
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
        var result: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Int(String(part).trimmingCharacters(in: " ")), (0...1 << 20).contains(value) else {
                throw FZCtlError.invalidInput("--sizes '\(DisplayText.echo(text))': '\(DisplayText.echo(part))' "
                    + "is not a size in bytes between 0 and 1048576")
            }
            result.append(value)
        }
        return result
    }
}

/// `fzctl bench tunnel`: throughput through real tunnels in network namespaces, against wireguard-go.
struct TunnelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunnel",
        abstract: "TCP/UDP throughput (iperf3) through fzctl<->fzctl, fzctl<->wireguard-go and "
            + "wireguard-go<->wireguard-go tunnels in network namespaces, in one run (needs root)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Crypto backend for the fzctl sides: auto, sodium, swift, ...")
    var crypto: String = "auto"

    @Option(help: "Packet I/O backend for the fzctl sides.")
    var io: String = "epoll"

    @Option(help: "Comma-separated pairs: fzctl-fzctl, fzctl-wireguard-go, wireguard-go-wireguard-go.")
    var pairs: String = "fzctl-fzctl,fzctl-wireguard-go,wireguard-go-wireguard-go"

    @Option(help: "Comma-separated tests: tcp, udp.")
    var tests: String = "tcp"

    @Option(help: "Seconds per iperf3 test.")
    var seconds: Int = 5

    @Option(help: "Output: table or json (one array on stdout, nothing else).")
    var format: String = "table"

    func run() throws {
        let context = try Runtime(global)
        try BenchCommand.validateFormat(format)
        guard (1...600).contains(seconds) else {
            throw FZCtlError.invalidInput("--seconds must be between 1 and 600, got \(seconds)")
        }
        let testList = tests.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for test in testList where test != "tcp" && test != "udp" {
            throw FZCtlError.invalidInput("--tests: '\(DisplayText.echo(test))' is not a test; use tcp or udp")
        }
        let pairList = try TunnelBenchmark.parsePairs(pairs)
        try IOSelection.validate(io)
        let cryptoName = try CryptoSelection.resolve(crypto, logger: context.logger).name
        guard geteuid() == 0 else {
            throw FZCtlError.invalidInput("bench tunnel needs root: it creates network namespaces and TUN devices")
        }
        for tool in ["ip", "wg", "wireguard-go", "iperf3", "ping"] where !Subprocess.available(tool) {
            throw FZCtlError.invalidInput("bench tunnel needs \(tool); install it with ./scripts/setup")
        }
        let fzctlPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let bench = TunnelBenchmark(fzctlPath: fzctlPath, crypto: cryptoName, io: io, seconds: seconds,
                                    tests: testList)
        var results: [TunnelBenchmark.Result] = []
        for pair in pairList {
            context.logger.info("measuring tunnel pair", metadata: ["pair": "\(pair.name)"])
            do {
                results += try bench.run(pair)
            } catch {
                throw FZCtlError.invalidInput("pair \(pair.name): \(error)")
            }
        }
        if format == "json" {
            FileOutput.standardOutput(TunnelBenchmark.json(results) + "\n")
        } else {
            FileOutput.standardOutput(TunnelBenchmark.table(results))
        }
    }
}
