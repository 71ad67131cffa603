/// How `fzctl bench tunnel` finds the highest UDP rate a tunnel carries with under 1% loss, in bounded time.
///
/// Starting at ``startGigabitsPerSecond`` the offered rate doubles until a probe loses 1% or more (at most
/// ``maximumDoublings`` probes), then ``bisections`` probes halve the gap between the last good and the first bad
/// rate. When even the first rate loses too much, the rate halves instead, as often. So a search runs at most
/// `maximumDoublings + bisections` probes of ``probeSeconds`` each. With ``enabled`` off, one probe at the start
/// rate is the result.
struct UDPSearch {
    /// Loss at or above this is too much.
    static let lossLimitPercent = 1.0

    var enabled: Bool = true
    var startGigabitsPerSecond: Double = 0.5
    var probeSeconds: Int = 2
    var maximumDoublings: Int = 5
    var bisections: Int = 2

    /// Runs the search with `probe`, which measures at an offered rate in Gbit/s. Returns the best probe under
    /// the loss limit, or the lowest-rate probe when none was.
    func run(_ probe: (Double) throws -> TunnelBenchmark.Measurement) throws -> TunnelBenchmark.Measurement {
        let first = try probe(startGigabitsPerSecond)
        guard enabled else { return first }
        var good: TunnelBenchmark.Measurement? = isGood(first) ? first : nil
        var bad: TunnelBenchmark.Measurement? = isGood(first) ? nil : first
        if good != nil {
            var rate = startGigabitsPerSecond
            for _ in 1..<maximumDoublings {
                rate *= 2
                let result = try probe(rate)
                if isGood(result) {
                    good = result
                } else {
                    bad = result
                    break
                }
            }
        } else {
            var rate = startGigabitsPerSecond
            for _ in 0..<bisections {
                rate /= 2
                let result = try probe(rate)
                if isGood(result) {
                    good = result
                    break
                }
                bad = result
            }
        }
        guard var low = good else { return bad ?? first }
        guard var high = bad, let highRate = high.offeredGigabitsPerSecond else { return low }
        if highRate < (low.offeredGigabitsPerSecond ?? 0) { return low }
        for _ in 0..<bisections {
            let middle = ((low.offeredGigabitsPerSecond ?? 0) + (high.offeredGigabitsPerSecond ?? highRate)) / 2
            let result = try probe(middle)
            if isGood(result) { low = result } else { high = result }
        }
        return low
    }

    private func isGood(_ measurement: TunnelBenchmark.Measurement) -> Bool {
        (measurement.lossPercent ?? 0) < Self.lossLimitPercent
    }
}
