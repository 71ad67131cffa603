import Crypto
import Testing

@Suite("Crypto calibration for --crypto auto")
struct CryptoCalibrationTests {
    @Test("Even with no time budget (a descheduled process) every candidate gets a finite, positive figure")
    func zeroBudgetStillMeasuresEveryCandidate() {
        let calibration = CryptoCalibration.run(budget: .zero)
        #expect(calibration.measurements.count == CryptoRegistry.autoCandidates.count)
        for measurement in calibration.measurements {
            #expect(measurement.nanosecondsPerSeal.isFinite && measurement.nanosecondsPerSeal > 0,
                    "\(measurement.backend): \(measurement.nanosecondsPerSeal)")
        }
        #expect(calibration.measurements.contains { $0.backend == calibration.chosen.name })
    }
}
