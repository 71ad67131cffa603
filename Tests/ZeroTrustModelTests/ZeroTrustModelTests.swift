import Foundation
import Testing

/// The issue's randomized, seeded, model-based test: the real portal, Gateways and Clients against a reference
/// model over random traffic, authorizations, reject-access, expiry, reloads and restarts.
///
/// `FZ_MODEL_CASES` (default 300), `FZ_MODEL_STEPS` (default 40) and `FZ_MODEL_SEED` (default fixed, so CI
/// is reproducible) choose the run; case `n` uses seed `FZ_MODEL_SEED + n`, and a failure prints the
/// command-line settings that replay it alone.
@Suite struct ZeroTrustModelTests {
    static func setting(_ name: String, default value: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment[name].flatMap { UInt64($0) } ?? value
    }

    @Test func realNodesAndPortalMatchTheModelAfterEveryRandomStep() {
        let cases = Self.setting("FZ_MODEL_CASES", default: 300)
        let steps = Int(Self.setting("FZ_MODEL_STEPS", default: 40))
        let seed = Self.setting("FZ_MODEL_SEED", default: 20_261_130)
        var totals = ModelTotals()
        var failures = 0
        let started = ContinuousClock.now
        for index in 0..<cases {
            var modelCase = ModelCase(seed: seed &+ index, steps: steps)
            if let report = modelCase.run(totals: &totals) {
                Issue.record(Comment(rawValue: report))
                failures += 1
                if failures == 3 { break }
            }
        }
        print("ZeroTrustModel: \(cases) cases x \(steps) steps from seed \(seed) in \(ContinuousClock.now - started): "
            + "\(totals.steps) steps, \(totals.delivered) delivered, \(totals.localProhibited) local prohibited, "
            + "\(totals.gatewayProhibited) gateway prohibited, \(totals.flowRequests) flow requests, "
            + "\(totals.reauthorizations) re-authorizations")
        // A model test whose steps never reach an outcome proves nothing about it.
        if cases >= 50 && failures == 0 {
            #expect(totals.delivered > 0)
            #expect(totals.localProhibited > 0)
            #expect(totals.gatewayProhibited > 0)
            #expect(totals.flowRequests > 0)
            #expect(totals.reauthorizations > 0)
        }
    }
}
