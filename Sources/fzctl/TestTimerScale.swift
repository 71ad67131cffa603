import DataPlane

/// `FZ_TEST_REKEY_AFTER_SECONDS=N`, TEST ONLY: shortens the protocol timers of `fzctl up` so a soak test
/// sees many rekeys in a minute. Never set it outside tests; `fzctl up` logs a warning when it is set.
///
/// Every session timer is scaled by N / 120, so the paper's ratios hold: REKEY_AFTER_TIME N,
/// REJECT_AFTER_TIME 1.5 N, REKEY_ATTEMPT_TIME 0.75 N, REKEY_TIMEOUT N / 24, KEEPALIVE_TIMEOUT N / 12 and
/// the retransmission jitter 333 ms * N / 120. The initiator's rekey-on-receive age (REJECT_AFTER_TIME -
/// KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) stays after REKEY_AFTER_TIME, at 1.375 N. N = 120 gives the defaults.
/// Cookie lifetimes, rate limits and message limits keep their values.
struct TestTimerScale {
    static let variable = "FZ_TEST_REKEY_AFTER_SECONDS"
    static let allowed = 1...120

    let rekeyAfterSeconds: Int

    /// Nil when the variable is unset; a one-line error for anything but a whole number of seconds in 1...120.
    static func fromEnvironment(_ environment: [String: String]) throws -> TestTimerScale? {
        guard let text = environment[variable] else { return nil }
        guard let seconds = Int(text), allowed.contains(seconds) else {
            throw FZCtlError.invalidInput(
                "\(variable): '\(text)' is not a whole number of seconds from \(allowed.lowerBound) to "
                    + "\(allowed.upperBound)")
        }
        return TestTimerScale(rekeyAfterSeconds: seconds)
    }

    func apply(to configuration: inout WireGuardConfiguration) {
        func scaled(_ duration: Duration) -> Duration { duration * rekeyAfterSeconds / 120 }
        configuration.rekeyAfterTime = scaled(configuration.rekeyAfterTime)
        configuration.rejectAfterTime = scaled(configuration.rejectAfterTime)
        configuration.rekeyAttemptTime = scaled(configuration.rekeyAttemptTime)
        configuration.rekeyTimeout = scaled(configuration.rekeyTimeout)
        configuration.rekeyTimeoutJitter = scaled(configuration.rekeyTimeoutJitter)
        configuration.keepaliveTimeout = scaled(configuration.keepaliveTimeout)
    }
}
