import Testing
import fzctl

/// `fzctl bench tunnel --rounds`: how the rounds of one run fold into the rows it reports.
@Suite struct TunnelBenchmarkRoundsTests {
    static func row(
        io: String = "epoll", test: String = "tcp", gbit: Double, cpu: Double, offered: Double? = nil,
        error: String? = nil
    ) -> TunnelBenchmark.Result {
        TunnelBenchmark.Result(
            pair: "fzctl<->fzctl", io: io, crypto: "swift", offload: true, threads: 2, test: test,
            gigabitsPerSecond: gbit, udpLossPercent: test == "udp" ? 0.5 : nil, offeredGigabitsPerSecond: offered,
            sentGigabitsPerSecond: offered, udpSource: test == "udp" ? .fzctl : nil, cpuSecondsPerGigabit: cpu,
            error: error)
    }

    @Test("Each row reports the median throughput and the median CPU per gigabit of its rounds, with their ranges")
    func mediansAndRanges() throws {
        let rounds = [
            [Self.row(gbit: 4.0, cpu: 0.40), Self.row(io: "io-uring", gbit: 3.0, cpu: 0.50)],
            [Self.row(gbit: 3.0, cpu: 0.30), Self.row(io: "io-uring", gbit: 5.0, cpu: 0.35)],
            [Self.row(gbit: 5.0, cpu: 0.45), Self.row(io: "io-uring", gbit: 4.5, cpu: 0.45)],
        ]
        let rows = TunnelBenchmark.combine(rounds)
        #expect(rows.map(\.io) == ["epoll", "io-uring"])
        #expect(rows.map(\.gigabitsPerSecond) == [4.0, 4.5])
        #expect(rows.map(\.cpuSecondsPerGigabit) == [0.40, 0.45])
        #expect(rows.map(\.rounds) == [3, 3])
        #expect(rows[0].gigabitsPerSecondRange == 3.0...5.0)
        #expect(rows[1].cpuSecondsPerGigabitRange == 0.35...0.50)
        let json = TunnelBenchmark.json(rows)
        #expect(json.contains("\"rounds\": 3, \"gbit_per_s_min\": 3.000, \"gbit_per_s_max\": 5.000"))
        #expect(json.contains("\"cpu_s_per_gbit_min\": 0.350, \"cpu_s_per_gbit_max\": 0.500"))
    }

    @Test("A UDP row keeps the offered rate of the round whose throughput is the median")
    func udpColumnsComeFromTheMedianRound() {
        let rounds = [
            [Self.row(test: "udp", gbit: 2.0, cpu: 0.3, offered: 2.0)],
            [Self.row(test: "udp", gbit: 3.9, cpu: 0.3, offered: 4.0)],
            [Self.row(test: "udp", gbit: 2.9, cpu: 0.3, offered: 3.0)],
        ]
        let row = TunnelBenchmark.combine(rounds)[0]
        #expect(row.gigabitsPerSecond == 2.9 && row.offeredGigabitsPerSecond == 3.0)
    }

    @Test("Failed rounds are left out of a row; a row fails only when every round failed")
    func failedRounds() {
        let rounds = [
            [Self.row(gbit: 0, cpu: 0, error: "no handshake"), Self.row(io: "io-uring", gbit: 0, cpu: 0, error: "x")],
            [Self.row(gbit: 3.5, cpu: 0.4), Self.row(io: "io-uring", gbit: 0, cpu: 0, error: "y")],
        ]
        let rows = TunnelBenchmark.combine(rounds)
        #expect(rows[0].error == nil && rows[0].gigabitsPerSecond == 3.5 && rows[0].rounds == 1)
        #expect(rows[0].gigabitsPerSecondRange == nil)
        #expect(rows[1].error == "x" && rows[1].rounds == 0)
    }

    @Test("With an even count the medians are the means of the two middle rounds; UDP columns are the lower one's")
    func evenCount() {
        let rounds = [
            [Self.row(test: "udp", gbit: 2.0, cpu: 0.30, offered: 2.0)],
            [Self.row(test: "udp", gbit: 4.0, cpu: 0.50, offered: 4.0)],
        ]
        let row = TunnelBenchmark.combine(rounds)[0]
        #expect(row.gigabitsPerSecond == 3.0 && row.cpuSecondsPerGigabit == 0.40)
        #expect(row.offeredGigabitsPerSecond == 2.0 && row.gigabitsPerSecondRange == 2.0...4.0)
    }

    @Test("Rows are matched by position, so a run that measures one label twice keeps both rows")
    func sameLabelTwice() {
        let rounds = [
            [Self.row(gbit: 1.0, cpu: 0.3), Self.row(gbit: 9.0, cpu: 0.3)],
            [Self.row(gbit: 1.2, cpu: 0.3), Self.row(gbit: 9.2, cpu: 0.3)],
            [Self.row(gbit: 1.1, cpu: 0.3), Self.row(gbit: 9.1, cpu: 0.3)],
        ]
        let rows = TunnelBenchmark.combine(rounds)
        #expect(rows.map(\.gigabitsPerSecond) == [1.1, 9.1] && rows.map(\.rounds) == [3, 3])
    }

    @Test("One round reports its rows as measured, with rounds 1 and no ranges in the JSON")
    func oneRoundIsUnchanged() {
        let rows = TunnelBenchmark.combine([[Self.row(gbit: 3.25, cpu: 0.41)]])
        #expect(rows[0].gigabitsPerSecond == 3.25 && rows[0].cpuSecondsPerGigabit == 0.41)
        #expect(TunnelBenchmark.json(rows).contains(
            "\"rounds\": 1, \"gbit_per_s_min\": null, \"gbit_per_s_max\": null"))
    }
}
