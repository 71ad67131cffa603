/// How `fzctl bench tunnel` finds the most UDP a tunnel carries with under 1% loss, in bounded time.
///
/// Starting at ``startGigabitsPerSecond`` the offered rate doubles until a probe loses 1% or more (at most
/// ``maximumDoublings`` probes), then ``bisections`` probes halve the gap between the last good and the first bad
/// rate. When even the first rate loses too much, the rate halves instead, as often. So a search runs at most
/// `maximumDoublings + bisections` probes of ``probeSeconds`` each. The result is the good probe that carried
/// the most: a sender that falls behind its schedule can carry less at a higher offered rate. With ``enabled``
/// off, one probe at the start rate is the result.
package struct UDPSearch {
    /// Loss at or above this is too much.
    static let lossLimitPercent = 1.0

    package var enabled: Bool
    package var probeSeconds: Int
    var startGigabitsPerSecond = 0.5
    var maximumDoublings = 5
    var bisections = 2

    /// (`package`: its tests run it against a fake tunnel.)
    package init(enabled: Bool = true, probeSeconds: Int = 2) {
        self.enabled = enabled
        self.probeSeconds = probeSeconds
    }

    /// Runs the search with `probe`, which measures at an offered rate in Gbit/s. Returns the good probe (under
    /// the loss limit) that carried the most, or the lowest-rate probe when none was good.
    package func run(
        _ probe: (Double) throws -> TunnelBenchmark.Measurement
    ) throws -> TunnelBenchmark.Measurement {
        let first = try probe(startGigabitsPerSecond)
        guard enabled else { return first }
        var best: TunnelBenchmark.Measurement?
        var goodRate: Double?
        var badRate: Double?
        var lowest = (rate: startGigabitsPerSecond, result: first)
        func measure(_ rate: Double, _ result: TunnelBenchmark.Measurement) -> Bool {
            if rate < lowest.rate { lowest = (rate, result) }
            guard isGood(result) else {
                badRate = min(badRate ?? rate, rate)
                return false
            }
            goodRate = max(goodRate ?? rate, rate)
            if best.map({ result.gigabitsPerSecond > $0.gigabitsPerSecond }) ?? true { best = result }
            return true
        }
        var rate = startGigabitsPerSecond
        if measure(rate, first) {
            for _ in 1..<maximumDoublings {
                rate *= 2
                guard measure(rate, try probe(rate)) else { break }
            }
        } else {
            for _ in 0..<bisections {
                rate /= 2
                if measure(rate, try probe(rate)) { break }
            }
        }
        if var low = goodRate, var high = badRate, high > low {
            for _ in 0..<bisections {
                let middle = (low + high) / 2
                if measure(middle, try probe(middle)) { low = middle } else { high = middle }
            }
        }
        return best ?? lowest.result
    }

    private func isGood(_ measurement: TunnelBenchmark.Measurement) -> Bool {
        (measurement.lossPercent ?? 0) < Self.lossLimitPercent
    }
}
