import Testing
import fzctl

/// `fzctl bench tunnel`'s UDP search against a fake tunnel: which rates it probes and which probe it reports.
@Suite struct UDPSearchTests {
    /// A tunnel that carries up to `capacity` Gbit/s and drops the rest, with a sender that keeps up.
    struct FakeTunnel {
        let capacity: Double
        var rates: [Double] = []

        mutating func probe(_ rate: Double) -> TunnelBenchmark.Measurement {
            rates.append(rate)
            let carried = min(rate, capacity)
            return TunnelBenchmark.Measurement(
                gigabitsPerSecond: carried, lossPercent: (rate - carried) * 100 / rate,
                offeredGigabitsPerSecond: rate, sentGigabitsPerSecond: rate, cpuSecondsPerGigabit: 1)
        }
    }

    static func search(_ tunnel: inout FakeTunnel, enabled: Bool = true) throws -> TunnelBenchmark.Measurement {
        try UDPSearch(enabled: enabled).run { tunnel.probe($0) }
    }

    @Test("Doubles until a rate loses too much, then bisects toward the highest good rate")
    func doublesThenBisects() throws {
        var tunnel = FakeTunnel(capacity: 3.0)
        let result = try Self.search(&tunnel)
        #expect(tunnel.rates == [0.5, 1, 2, 4, 3, 3.5])
        #expect(result.offeredGigabitsPerSecond == 3 && result.gigabitsPerSecond == 3 && result.lossPercent == 0)
    }

    @Test("When every rate is good the search stops at its top rate, within seven probes")
    func stopsAtTheTopRate() throws {
        var tunnel = FakeTunnel(capacity: 100)
        let result = try Self.search(&tunnel)
        #expect(tunnel.rates == [0.5, 1, 2, 4, 8])
        #expect(result.offeredGigabitsPerSecond == 8 && result.gigabitsPerSecond == 8)
    }

    @Test("A first rate that loses too much halves, then bisects between the good and the bad rate")
    func halvesWhenTheFirstRateLoses() throws {
        var tunnel = FakeTunnel(capacity: 0.2)
        let result = try Self.search(&tunnel)
        #expect(tunnel.rates == [0.5, 0.25, 0.125, 0.1875, 0.21875])
        #expect(result.offeredGigabitsPerSecond == 0.1875 && result.lossPercent == 0)
        #expect(tunnel.rates.count <= 7)
    }

    @Test("With no good rate the lowest-rate probe is reported, with its loss")
    func reportsTheLowestRateWhenNothingIsGood() throws {
        var tunnel = FakeTunnel(capacity: 0)
        let result = try Self.search(&tunnel)
        #expect(tunnel.rates == [0.5, 0.25, 0.125])
        #expect(result.offeredGigabitsPerSecond == 0.125 && result.lossPercent == 100)
    }

    @Test("A sender that falls behind: the good probe that carried the most is reported, not the highest rate")
    func reportsTheProbeThatCarriedTheMost() throws {
        // Up to 3 Gbit/s the sender keeps up; asked for more it falls behind, the further the more it is asked for
        // (6 - rate, at least 1), and the tunnel loses nothing.
        var rates: [Double] = []
        let result = try UDPSearch().run { rate -> TunnelBenchmark.Measurement in
            rates.append(rate)
            let sent = rate <= 3 ? rate : max(1, 6 - rate)
            return TunnelBenchmark.Measurement(
                gigabitsPerSecond: sent, lossPercent: 0, offeredGigabitsPerSecond: rate,
                sentGigabitsPerSecond: sent, cpuSecondsPerGigabit: 1)
        }
        #expect(rates == [0.5, 1, 2, 4, 8])
        #expect(result.offeredGigabitsPerSecond == 2 && result.gigabitsPerSecond == 2)
    }

    @Test("With the search off, one probe at the start rate is the result")
    func offRunsOneProbe() throws {
        var tunnel = FakeTunnel(capacity: 0.1)
        let result = try Self.search(&tunnel, enabled: false)
        #expect(tunnel.rates == [0.5])
        #expect(result.offeredGigabitsPerSecond == 0.5 && result.lossPercent == 80)
    }
}
