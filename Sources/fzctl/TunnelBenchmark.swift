import BarChart
import Foundation
import HostSetup
import WireGuardConfig

/// The measurement behind `fzctl bench tunnel`: TCP and UDP throughput through real tunnels, and what it costs.
///
/// Each run gets two fresh network namespaces joined by a veth pair, one WireGuard implementation on each
/// side, and traffic from side A to side B over the inner addresses: iperf3 for TCP, and for UDP fzctl's own
/// paced GSO sender and counting receiver (``PacedUDPProbe``; `--udp-source iperf3` for iperf3). fzctl sides run
/// every `--io` x `--crypto` combination, with and without offloads (`fzctl up --offloads all` or `none`); the
/// reference pair is Debian's wireguard-go on both sides, measured once in the same run. CPU is both tunnel
/// processes' user and system time over the iperf3 run, per gigabit carried. UDP reports the offered rate that
/// carried the most with under 1% loss of what was sent (``UDPSearch``); `--log debug` shows every probe.
package struct TunnelBenchmark {
    /// What offers the UDP traffic.
    package enum UDPSource: String, CaseIterable {
        /// ``PacedUDPProbe``: GSO trains, paced, from threads of the bench process.
        case fzctl
        /// `iperf3 -u -b RATE`: one datagram per system call.
        case iperf3
    }

    enum Side: String {
        case fzctl
        case wireguardGo = "wireguard-go"
    }

    /// Two sides joined by a tunnel, or the bare veth between the namespaces (no tunnel at all), which is what
    /// a tunnel's throughput is measured against.
    struct Pair {
        /// nil for the bare veth.
        let sides: (a: Side, b: Side)?

        init(a: Side, b: Side) { sides = (a, b) }
        private init() { sides = nil }

        /// iperf3 straight over the veth, between the outer addresses.
        static let bareVeth = Pair()

        var name: String { sides.map { "\($0.a.rawValue)<->\($0.b.rawValue)" } ?? TunnelBenchmark.vethPair }
        var hasFzctl: Bool { sides.map { $0.a == .fzctl || $0.b == .fzctl } ?? false }
        var isBareVeth: Bool { sides == nil }
    }

    /// How the fzctl sides of a run are started.
    struct Variant: Equatable {
        let io: String
        let crypto: String
        let offload: Bool
        /// `fzctl up --threads` on both sides.
        let threads: Int
    }

    package struct Result {
        package let pair: String
        package let io: String
        package let crypto: String
        package let offload: Bool
        /// Workers per fzctl side; nil for a row without fzctl.
        package let threads: Int?
        package let test: String
        package var gigabitsPerSecond: Double
        /// UDP only: the loss at the reported rate.
        package let udpLossPercent: Double?
        /// UDP only: the offered rate of the reported run (what the sender was asked to send).
        package let offeredGigabitsPerSecond: Double?
        /// UDP only: what the sender really got out at that rate; less than offered when it fell behind.
        package let sentGigabitsPerSecond: Double?
        /// UDP only: what offered the traffic.
        package let udpSource: UDPSource?
        /// Both tunnel processes' CPU seconds (user + system) per gigabit carried; 0 when nothing was carried.
        package var cpuSecondsPerGigabit: Double
        /// Why the row could not be measured, or nil.
        package let error: String?
        /// How many rounds measured this row (`--rounds`); the figures above are their medians.
        package var rounds = 1
        /// The lowest and highest throughput of those rounds, or nil for a single round.
        package var gigabitsPerSecondRange: ClosedRange<Double>? = nil
        /// The lowest and highest CPU per gigabit of those rounds, or nil for a single round.
        package var cpuSecondsPerGigabitRange: ClosedRange<Double>? = nil

        package init(
            pair: String, io: String, crypto: String, offload: Bool, threads: Int?, test: String,
            gigabitsPerSecond: Double, udpLossPercent: Double?, offeredGigabitsPerSecond: Double?,
            sentGigabitsPerSecond: Double?, udpSource: UDPSource?, cpuSecondsPerGigabit: Double, error: String?
        ) {
            self.pair = pair
            self.io = io
            self.crypto = crypto
            self.offload = offload
            self.threads = threads
            self.test = test
            self.gigabitsPerSecond = gigabitsPerSecond
            self.udpLossPercent = udpLossPercent
            self.offeredGigabitsPerSecond = offeredGigabitsPerSecond
            self.sentGigabitsPerSecond = sentGigabitsPerSecond
            self.udpSource = udpSource
            self.cpuSecondsPerGigabit = cpuSecondsPerGigabit
            self.error = error
        }

        /// `pair io crypto offload`, the chart's bar label.
        var label: String {
            "\(pair) \(io) \(crypto) \(offload ? "offload" : "no-offload")" + (threads.map { " threads=\($0)" } ?? "")
        }
        var isReference: Bool { pair == TunnelBenchmark.referencePair }
        var isBareVeth: Bool { pair == TunnelBenchmark.vethPair }
    }

    static let referencePair = "wireguard-go<->wireguard-go"
    /// The row name of the bare veth: no tunnel process, so its CPU column is 0.
    static let vethPair = "veth"
    /// What a pair's `io` and `crypto` columns say when no tunnel process runs.
    static let noTunnel = "none"

    let fzctlPath: String
    let variants: [Variant]
    let seconds: Int
    let tests: [String]
    let udpSearch: UDPSearch
    var udpSource: UDPSource = .fzctl
    /// Told each UDP search probe's result (`--log debug` shows them), so a surprising result can be traced.
    var probeMeasured: (_ offered: Double, Measurement) -> Void = { _, _ in }

    static func parsePairs(_ text: String) throws -> [Pair] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let sides = item.split(separator: "<").joined().split(separator: ">").joined()
            let parts = sides.components(separatedBy: "-")
            // Accepted spellings: fzctl-fzctl, fzctl-wireguard-go, wireguard-go-wireguard-go (or with <->).
            let normalized = parts.joined(separator: "-")
            switch normalized {
            case "fzctl-fzctl": return Pair(a: .fzctl, b: .fzctl)
            case "fzctl-wireguard-go": return Pair(a: .fzctl, b: .wireguardGo)
            case "wireguard-go-fzctl": return Pair(a: .wireguardGo, b: .fzctl)
            case "wireguard-go-wireguard-go": return Pair(a: .wireguardGo, b: .wireguardGo)
            case vethPair: return .bareVeth
            default:
                throw FZCtlError.invalidInput("--pairs: '\(DisplayText.echo(item))' is not a pair; "
                    + "use fzctl-fzctl, fzctl-wireguard-go, wireguard-go-wireguard-go or veth")
            }
        }
    }

    /// The runs for `pairs`: every variant for a pair with an fzctl side, one run (nil) for wireguard-go alone
    /// and for the bare veth.
    func plan(_ pairs: [Pair]) -> [(pair: Pair, variant: Variant?)] {
        pairs.flatMap { pair in pair.hasFzctl ? variants.map { (pair, $0) } : [(pair, nil)] }
    }

    /// Measures one pair in one variant; failures become rows with an error, never a thrown error.
    func run(_ pair: Pair, variant: Variant?) -> [Result] {
        let io = variant?.io ?? (pair.isBareVeth ? Self.noTunnel : "wireguard-go")
        let crypto = variant?.crypto ?? (pair.isBareVeth ? Self.noTunnel : "wireguard-go")
        let offload = variant?.offload ?? false
        func row(_ test: String, _ measurement: Measurement?, error: String?) -> Result {
            Result(pair: pair.name, io: io, crypto: crypto, offload: offload, threads: variant?.threads, test: test,
                   gigabitsPerSecond: measurement?.gigabitsPerSecond ?? 0,
                   udpLossPercent: test == "udp" ? measurement?.lossPercent : nil,
                   offeredGigabitsPerSecond: test == "udp" ? measurement?.offeredGigabitsPerSecond : nil,
                   sentGigabitsPerSecond: test == "udp" ? measurement?.sentGigabitsPerSecond : nil,
                   udpSource: test == "udp" ? udpSource : nil,
                   cpuSecondsPerGigabit: measurement?.cpuSecondsPerGigabit ?? 0, error: error)
        }
        let topology: Topology
        do {
            topology = try Topology(id: "\(getpid() % 100_000)")
        } catch {
            return tests.map { row($0, nil, error: "\(error)") }
        }
        defer { topology.tearDown() }
        do {
            try topology.start(pair, fzctl: fzctlPath, variant: variant)
            try topology.waitForHandshake()
        } catch {
            return tests.map { row($0, nil, error: "\(error)") }
        }
        return tests.map { test in
            do {
                let measurement = test == "udp"
                    ? try udpSearch.run { rate in
                        let probe = switch udpSource {
                        case .fzctl:
                            try topology.pacedUDP(seconds: udpSearch.probeSeconds, offeredGigabitsPerSecond: rate)
                        case .iperf3:
                            try topology.iperf(test: "udp", seconds: udpSearch.probeSeconds,
                                               offeredGigabitsPerSecond: rate)
                        }
                        probeMeasured(rate, probe)
                        return probe
                    }
                    : try topology.iperf(test: test, seconds: seconds, offeredGigabitsPerSecond: nil)
                return row(test, measurement, error: nil)
            } catch {
                return row(test, nil, error: "\(error)")
            }
        }
    }

    /// Folds the rounds of a run (`--rounds`, each the same rows in the same order) into one row per measurement.
    ///
    /// On a noisy host one run can differ from the next by more than the backends differ from each other, so the
    /// row reports medians (the mean of the two middle values for an even count): the median throughput and,
    /// separately, the median CPU per gigabit, each with its range, and the UDP columns of the round whose
    /// throughput is the median (the lower middle one for an even count). Rounds that failed are left out (their
    /// errors were logged); a row fails only when every round of it failed, and then says 0 rounds.
    package static func combine(_ rounds: [[Result]]) -> [Result] {
        guard let first = rounds.first else { return [] }
        // By position, not by label: a run may measure the same label twice (`--threads 1,1`).
        return first.indices.map { index in
            let all = rounds.map { $0[index] }
            let measured = all.filter { $0.error == nil }
            guard !measured.isEmpty else {
                var failed = all[0]
                failed.rounds = 0
                return failed
            }
            // The UDP columns come from a real round: the one whose throughput is the (lower) middle.
            var row = measured.sorted { $0.gigabitsPerSecond < $1.gigabitsPerSecond }[(measured.count - 1) / 2]
            let rates = measured.map(\.gigabitsPerSecond)
            let cpu = measured.map(\.cpuSecondsPerGigabit)
            row.gigabitsPerSecond = BenchMedian.of(rates)
            row.cpuSecondsPerGigabit = BenchMedian.of(cpu)
            row.rounds = measured.count
            if measured.count > 1 {
                row.gigabitsPerSecondRange = rates.min()!...rates.max()!
                row.cpuSecondsPerGigabitRange = cpu.min()!...cpu.max()!
            }
            return row
        }
    }

    package static func json(_ results: [Result]) -> String {
        func optional(_ value: Double?, _ digits: Int) -> String {
            value.map { CryptoBenchmark.format($0, digits) } ?? "null"
        }
        return "[" + results.map { r in
            var object = "{\"pair\": \"\(r.pair)\", \"io\": \(IOBenchmark.jsonString(r.io)), "
                + "\"crypto\": \(IOBenchmark.jsonString(r.crypto)), \"offload\": \(r.offload), "
                + "\"threads\": \(r.threads.map(String.init) ?? "null"), "
                + "\"test\": \"\(r.test)\", \"gbit_per_s\": \(CryptoBenchmark.format(r.gigabitsPerSecond, 3)), "
                + "\"udp_loss_percent\": \(optional(r.udpLossPercent, 3)), "
                + "\"offered_gbit_per_s\": \(optional(r.offeredGigabitsPerSecond, 3)), "
                + "\"sent_gbit_per_s\": \(optional(r.sentGigabitsPerSecond, 3)), "
                + "\"udp_source\": \(r.udpSource.map { "\"\($0.rawValue)\"" } ?? "null"), "
                + "\"cpu_s_per_gbit\": \(CryptoBenchmark.format(r.cpuSecondsPerGigabit, 3)), "
                + "\"rounds\": \(r.rounds), "
                + "\"gbit_per_s_min\": \(optional(r.gigabitsPerSecondRange?.lowerBound, 3)), "
                + "\"gbit_per_s_max\": \(optional(r.gigabitsPerSecondRange?.upperBound, 3)), "
                + "\"cpu_s_per_gbit_min\": \(optional(r.cpuSecondsPerGigabitRange?.lowerBound, 3)), "
                + "\"cpu_s_per_gbit_max\": \(optional(r.cpuSecondsPerGigabitRange?.upperBound, 3))"
            if let error = r.error { object += ", \"error\": \(IOBenchmark.jsonString(error))" }
            return object + "}"
        }.joined(separator: ",\n ") + "]"
    }

    static func table(_ results: [Result], udpSearch: Bool, udpSource: UDPSource = .fzctl, rounds: Int = 1) -> String {
        var out = "pair".padding(28) + "io".padding(14) + "crypto".padding(14) + "offload".padding(9)
            + "threads".padding(8) + "test".padding(5) + "Gbit/s".leftPadded(8) + "vs wg-go".leftPadded(10)
            + "of veth".leftPadded(9) + "loss %".leftPadded(8) + "offered".leftPadded(9) + "sent".leftPadded(7)
            + "CPU s/Gbit".leftPadded(12)
            + "\n"
        for r in results {
            out += r.pair.padding(28) + r.io.padding(14) + r.crypto.padding(14) + (r.offload ? "yes" : "no").padding(9)
                + (r.threads.map(String.init) ?? "-").padding(8) + r.test.padding(5)
            if let error = r.error {
                out += "  error: \(error.split(separator: "\n").joined(separator: " / "))\n"
                continue
            }
            func ratio(to matches: (Result) -> Bool) -> Double? {
                results.first { matches($0) && $0.test == r.test && $0.error == nil }
                    .map { $0.gigabitsPerSecond > 0 ? r.gigabitsPerSecond / $0.gigabitsPerSecond : 0 }
            }
            let versusReference = ratio(to: \.isReference)
            let ofVeth = ratio(to: \.isBareVeth)
            out += CryptoBenchmark.format(r.gigabitsPerSecond, 3).leftPadded(8)
                + (versusReference.map { CryptoBenchmark.format($0, 2) + "x" } ?? "-").leftPadded(10)
                + (ofVeth.map { CryptoBenchmark.format($0 * 100, 1) + "%" } ?? "-").leftPadded(9)
                + (r.udpLossPercent.map { CryptoBenchmark.format($0, 2) } ?? "-").leftPadded(8)
                + (r.offeredGigabitsPerSecond.map { CryptoBenchmark.format($0, 2) } ?? "-").leftPadded(9)
                + (r.sentGigabitsPerSecond.map { CryptoBenchmark.format($0, 2) } ?? "-").leftPadded(7)
                + (r.isBareVeth ? "-" : CryptoBenchmark.format(r.cpuSecondsPerGigabit, 2)).leftPadded(12) + "\n"
        }
        let source = udpSource == .iperf3 ? "iperf3 -u -b" : "fzctl's paced GSO sender"
        if rounds > 1 {
            let partial = results.filter { $0.error == nil && $0.rounds < rounds }.count
            out += "Each row: the median of \(rounds) interleaved rounds (JSON has the ranges); "
                + "the UDP columns are those of the median round"
                + (partial > 0 ? "; \(partial) rows had rounds that failed (see the log), their medians are of fewer"
                    : "") + ".\n"
        }
        out += (udpSearch ? "UDP: the offered rate (\(source)) that carried the most with under 1% loss"
                : "UDP: one offered rate") + " (loss: of what was sent)"
            + "; TCP: iperf3; CPU: both tunnel processes, user + system, per gigabit received"
            + "; veth: the same over the bare veth between the namespaces, no tunnel.\n"
        return out
    }

    /// The table as a bar chart: one bar per row, grouped by test, wireguard-go<->wireguard-go and the veth marked.
    static func chart(_ results: [Result]) -> BarChart {
        var bars: [BarChart.Bar] = []
        for test in ["tcp", "udp"] {
            for r in results where r.test == test {
                bars.append(BarChart.Bar(label: r.isBareVeth ? "bare veth (no tunnel)" : r.label,
                                         value: r.gigabitsPerSecond, group: test.uppercased(),
                                         isReference: r.isReference || r.isBareVeth,
                                         note: r.error == nil ? nil : "error"))
            }
        }
        return BarChart(
            title: "fzctl bench tunnel: throughput through the tunnel (network namespaces)",
            yAxisLabel: "Gbit/s", xAxisLabel: "pair io crypto offload", bars: bars,
            referenceLegend: "reference: wireguard-go<->wireguard-go, bare veth", measuredLegend: "measured")
    }

    /// What one iperf3 run (or the chosen UDP probe) measured.
    /// (`package`: the UDP search's tests build these.)
    package struct Measurement {
        package let gigabitsPerSecond: Double
        package let lossPercent: Double?
        package let offeredGigabitsPerSecond: Double?
        package let sentGigabitsPerSecond: Double?
        package let cpuSecondsPerGigabit: Double

        package init(
            gigabitsPerSecond: Double, lossPercent: Double?, offeredGigabitsPerSecond: Double?,
            sentGigabitsPerSecond: Double?, cpuSecondsPerGigabit: Double
        ) {
            self.gigabitsPerSecond = gigabitsPerSecond
            self.lossPercent = lossPercent
            self.offeredGigabitsPerSecond = offeredGigabitsPerSecond
            self.sentGigabitsPerSecond = sentGigabitsPerSecond
            self.cpuSecondsPerGigabit = cpuSecondsPerGigabit
        }
    }
}
