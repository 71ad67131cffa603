import DataPlane

/// The measurement behind `--crypto auto`: a few milliseconds of sealing per candidate on this host.
public struct CryptoCalibration: Sendable {
    public struct Measurement: Sendable {
        public let backend: String
        public let nanosecondsPerSeal: Double
    }

    public let measurements: [Measurement]
    public let chosen: CryptoBackendInfo

    /// Times sealing `packetBytes`-byte packets with each candidate for about `budget` and picks the fastest.
    public static func run(
        candidates: [CryptoBackendInfo] = CryptoRegistry.autoCandidates,
        packetBytes: Int = 1420,
        budget: Duration = .milliseconds(3)
    ) -> CryptoCalibration {
        precondition(!candidates.isEmpty, "no crypto backend is available")
        var measurements: [Measurement] = []
        for info in candidates {
            let ns = measure(info.backend, packetBytes: packetBytes, budget: budget)
            measurements.append(Measurement(backend: info.name, nanosecondsPerSeal: ns))
        }
        let best = measurements.indices.min { measurements[$0].nanosecondsPerSeal < measurements[$1].nanosecondsPerSeal }!
        return CryptoCalibration(measurements: measurements, chosen: candidates[best])
    }

    static func measure<B: CryptoBackend>(_ backend: B.Type, packetBytes: Int, budget: Duration) -> Double {
        let cipher = B.Cipher(key: SymmetricKey(raw: Key32(bytes: SIMD32(repeating: 0x42))))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: packetBytes + 16, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<packetBytes])
        let tag = buffer.baseAddress! + packetBytes
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let clock = ContinuousClock()
        // Warm up caches and lazily initialized state before timing.
        for i in 0..<16 { cipher.seal(counter: UInt64(i), buffer: payload, additionalData: empty, tag: tag) }
        var iterations = 0
        var best = Double.infinity
        let deadline = clock.now.advanced(by: budget)
        // Best of short rounds: the minimum is the figure least disturbed by the other core's noise. At least one
        // round runs: a process descheduled past the deadline (a busy host) must still get a finite figure.
        repeat {
            let start = clock.now
            for i in 0..<32 {
                cipher.seal(counter: UInt64(iterations + i), buffer: payload, additionalData: empty, tag: tag)
            }
            let elapsed = start.duration(to: clock.now)
            iterations += 32
            let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            best = min(best, ns / 32)
        } while clock.now < deadline
        return best
    }
}
