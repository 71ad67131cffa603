/// How the benchmarks fold repeated rounds into one figure.
enum BenchMedian {
    /// The median of `values`, the mean of the two middle ones for an even count.
    static func of(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let half = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
    }
}
