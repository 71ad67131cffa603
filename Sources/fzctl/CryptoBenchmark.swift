import Crypto
import DataPlane
#if canImport(Glibc)
import Glibc
#endif

/// The measurement behind `fzctl bench crypto`.
///
/// Backends are measured in interleaved rounds (every backend once per round) so that noise from the
/// other core hits them alike, and the best round is reported: interference only ever adds time, so
/// on a shared two-core machine the fastest round is the steadiest estimate of what an operation costs.
/// Ratios inside one run are what matter.
/// Results are folded in here so the optimizer cannot drop the work being timed.
nonisolated(unsafe) var benchmarkSink: UInt8 = 0

struct CryptoBenchmark {
    struct Result {
        let backend: String
        let op: String
        let bytes: Int
        let nanosecondsPerOp: Double

        var megabytesPerSecond: Double {
            nanosecondsPerOp > 0 ? Double(bytes) / nanosecondsPerOp * 1000 : 0
        }
    }

    let backends: [CryptoBackendInfo]
    let sizes: [Int]
    let rounds: Int
    let round: Duration

    func run() -> [Result] {
        var results: [Result] = []
        for size in sizes {
            for op in ["seal", "open"] {
                var samples = Array(repeating: [Double](), count: backends.count)
                for _ in 0..<rounds {
                    for (index, info) in backends.enumerated() {
                        samples[index].append(measure(info.backend, op: op, size: size))
                    }
                }
                for (index, info) in backends.enumerated() {
                    results.append(Result(backend: info.name, op: op, bytes: size,
                                          nanosecondsPerOp: samples[index].min() ?? 0))
                }
            }
        }
        return results
    }

    /// X25519 key agreement per backend (best of the rounds), for the table: handshakes cost one or two.
    func runX25519() -> [(backend: String, nanoseconds: Double)] {
        var samples = Array(repeating: [Double](), count: backends.count)
        for _ in 0..<rounds {
            for (index, info) in backends.enumerated() {
                samples[index].append(measureX25519(info.backend))
            }
        }
        return backends.enumerated().map { ($1.name, samples[$0].min() ?? 0) }
    }

    func measureX25519<B: CryptoBackend>(_ backend: B.Type) -> Double {
        let privateKey = PrivateKey(raw: Key32(bytes: SIMD32(repeating: 0x21)))
        let peer = B.publicKey(for: PrivateKey(raw: Key32(bytes: SIMD32(repeating: 0x77))))
        return timePerOp {
            if let secret = try? B.sharedSecret(privateKey: privateKey, publicKey: peer) {
                benchmarkSink ^= secret.raw.bytes[0]
            }
        }
    }

    func measure<B: CryptoBackend>(_ backend: B.Type, op: String, size: Int) -> Double {
        var keyBytes = SIMD32<UInt8>()
        for i in 0..<32 { keyBytes[i] = UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
        let cipher = B.Cipher(key: SymmetricKey(raw: Key32(bytes: keyBytes)))
        let work = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 16, alignment: 64)
        let pristine = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 16, alignment: 64)
        defer {
            work.deallocate()
            pristine.deallocate()
        }
        for i in 0..<work.count { work[i] = UInt8(truncatingIfNeeded: i) }
        let payload = UnsafeMutableRawBufferPointer(rebasing: work[0..<size])
        let tag = work.baseAddress! + size
        let noAD = UnsafeRawBufferPointer(start: nil, count: 0)
        let counter: UInt64 = 7

        if op == "seal" {
            return timePerOp {
                cipher.seal(counter: counter, buffer: payload, additionalData: noAD, tag: tag)
            }
        }
        // Open needs fresh ciphertext every time: restore it with a copy, and subtract what the copy costs.
        cipher.seal(counter: counter, buffer: payload, additionalData: noAD, tag: tag)
        pristine.copyMemory(from: UnsafeRawBufferPointer(work))
        let source = UnsafeRawPointer(pristine.baseAddress!)
        // A short round on a busy core (or under a sanitizer, which makes memcpy dear) can time the copy alone
        // slower than copy plus open; such a pair says nothing, so it is measured again, a bounded number of
        // times. If no attempt separates them, the copy-inclusive time is reported: an upper bound, never zero.
        var withCopy = 0.0
        for _ in 0..<4 {
            withCopy = timePerOp {
                memcpy(work.baseAddress!, source, size)
                do {
                    try cipher.open(counter: counter, buffer: payload, additionalData: noAD, tag: tag)
                } catch {
                    fatalError("benchmark ciphertext failed to open with backend \(B.name)")
                }
            }
            let copyOnly = timePerOp { memcpy(work.baseAddress!, source, size) }
            if withCopy > copyOnly { return withCopy - copyOnly }
        }
        return withCopy
    }

    /// Runs `body` in batches until one round's time is spent; returns nanoseconds per call.
    ///
    /// The batch grows until one batch takes at least 200 microseconds, so reading the clock (which is
    /// not free in a VM) stays far below one percent of what is measured.
    func timePerOp(_ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var batch = 1
        while true {
            let start = clock.now
            for _ in 0..<batch { body() }
            if start.duration(to: clock.now) >= .microseconds(200) || batch >= 1 << 24 { break }
            batch *= 2
        }
        var calls = 0
        let start = clock.now
        let deadline = start.advanced(by: round)
        var now = start
        repeat {
            for _ in 0..<batch { body() }
            calls += batch
            now = clock.now
        } while now < deadline
        let elapsed = start.duration(to: now)
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return ns / Double(calls)
    }

    static func json(_ results: [Result]) -> String {
        let objects = results.map { r in
            "{\"backend\": \"\(r.backend)\", \"op\": \"\(r.op)\", \"bytes\": \(r.bytes), "
                + "\"ns_per_op\": \(format(r.nanosecondsPerOp, 2)), \"mb_per_s\": \(format(r.megabytesPerSecond, 2))}"
        }
        return "[" + objects.joined(separator: ",\n ") + "]"
    }

    static func table(_ results: [Result], backends: [CryptoBackendInfo],
                      x25519: [(backend: String, nanoseconds: Double)]) -> String {
        var out = "ChaCha20-Poly1305, one core, best of interleaved rounds\n"
        for info in backends {
            out += "  \(info.name): \(info.implementation)\n"
        }
        out += "\n" + "backend".padding(18) + "op".padding(6) + "bytes".leftPadded(7) + "ns/op".leftPadded(12)
            + "MB/s".leftPadded(10) + "vs sodium".leftPadded(11) + "\n"
        for r in results {
            let reference = results.first { $0.backend == "sodium" && $0.op == r.op && $0.bytes == r.bytes }
            let ratio = reference.map { r.nanosecondsPerOp > 0 ? $0.nanosecondsPerOp / r.nanosecondsPerOp : 0 }
            out += r.backend.padding(18) + r.op.padding(6) + "\(r.bytes)".leftPadded(7)
                + format(r.nanosecondsPerOp, 1).leftPadded(12) + format(r.megabytesPerSecond, 0).leftPadded(10)
                + (ratio.map { format($0, 2) + "x" } ?? "-").leftPadded(11) + "\n"
        }
        if !x25519.isEmpty {
            out += "\nX25519 key agreement\n"
            let reference = x25519.first { $0.backend == "sodium" }?.nanoseconds
            for entry in x25519 {
                let ratio = reference.map { entry.nanoseconds > 0 ? $0 / entry.nanoseconds : 0 }
                out += entry.backend.padding(18) + (format(entry.nanoseconds / 1000, 1) + " us").leftPadded(25)
                    + (ratio.map { format($0, 2) + "x" } ?? "-").leftPadded(21) + "\n"
            }
        }
        return out
    }

    /// Fixed-point formatting without Foundation.
    static func format(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let integer = Int(scaled / scale)
        if digits == 0 { return "\(Int(scaled))" }
        var fraction = "\(Int(abs(scaled)) % Int(scale))"
        while fraction.count < digits { fraction = "0" + fraction }
        return "\(integer).\(fraction)"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
