import Benchmark
import Crypto
import DataPlane

/// Crypto microbenchmarks: every backend this host runs, one process, so ratios are comparable.
///
/// Each benchmark iteration is one operation on a buffer allocated before measuring, so the malloc
/// counters show what the operation itself allocates: zero for seal, open, X25519 and BLAKE2s.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .instructions],
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: .kilo(200),
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])]
    )

    for info in CryptoRegistry.benchmarkSet {
        for size in [64, 1420, 8192] {
            registerAEAD(info.backend, name: info.name, size: size)
        }
        registerX25519(info.backend, name: info.name)
    }

    Benchmark("BLAKE2s-256 hash 1420 bytes") { benchmark in
        let input = [UInt8](repeating: 0x5A, count: 1420)
        benchmark.startMeasurement()
        input.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                blackHole(BLAKE2s.hash(bytes))
            }
        }
    }

    Benchmark("BLAKE2s mac16 (WireGuard MAC1) 116 bytes") { benchmark in
        let input = [UInt8](repeating: 0x33, count: 116)
        let key = Key32(bytes: SIMD32(repeating: 7))
        benchmark.startMeasurement()
        input.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                blackHole(BLAKE2s.mac16(key: key, data: bytes))
            }
        }
    }
}

func registerAEAD<B: CryptoBackend>(_ backend: B.Type, name: String, size: Int) {
    Benchmark("seal \(size) bytes \(name)") { benchmark in
        let cipher = B.Cipher(key: SymmetricKey(raw: Key32(bytes: SIMD32(repeating: 0x42))))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 16, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 1)
        let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
        let noAD = UnsafeRawBufferPointer(start: nil, count: 0)
        benchmark.startMeasurement()
        var counter: UInt64 = 0
        for _ in benchmark.scaledIterations {
            cipher.seal(counter: counter, buffer: payload, additionalData: noAD, tag: buffer.baseAddress! + size)
            counter &+= 1
        }
        benchmark.stopMeasurement()
        blackHole(buffer[0])
    }

    Benchmark("seal+open \(size) bytes \(name)") { benchmark in
        let cipher = B.Cipher(key: SymmetricKey(raw: Key32(bytes: SIMD32(repeating: 0x42))))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 16, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 1)
        let payload = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
        let noAD = UnsafeRawBufferPointer(start: nil, count: 0)
        let tag = buffer.baseAddress! + size
        benchmark.startMeasurement()
        // Seal then open: each iteration authenticates fresh ciphertext. Subtract the seal benchmark of
        // the same size for the cost of open alone.
        for _ in benchmark.scaledIterations {
            cipher.seal(counter: 9, buffer: payload, additionalData: noAD, tag: tag)
            do {
                try cipher.open(counter: 9, buffer: payload, additionalData: noAD, tag: tag)
            } catch {
                fatalError("benchmark ciphertext did not open")
            }
        }
        benchmark.stopMeasurement()
        blackHole(buffer[0])
    }
}

func registerX25519<B: CryptoBackend>(_ backend: B.Type, name: String) {
    Benchmark("X25519 shared secret \(name)", configuration: .init(scalingFactor: .kilo, maxIterations: 20)) { benchmark in
        let privateKey = PrivateKey(raw: Key32(bytes: SIMD32(repeating: 0x21)))
        let peer = B.publicKey(for: PrivateKey(raw: Key32(bytes: SIMD32(repeating: 0x77))))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try? B.sharedSecret(privateKey: privateKey, publicKey: peer))
        }
    }
}
